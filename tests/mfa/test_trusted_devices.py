"""Trust this device: 14 days when checked, until midnight when not (seeds/000 §4)."""

from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core.signing import get_cookie_signer
from django.test import Client
from django.utils import timezone

from mfa.models import TrustedDevice
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import confirm, pick, to_challenge, validate

COOKIE = "sso_trusted_device"


def pass_challenge(client, password, phone, remember=True, username="ani"):
    to_challenge(client, password, username)
    pick(client, "totp")
    validate(client, "totp", phone.now())
    return confirm(client, remember)


def sign_in_again(client, password, username="ani"):
    client.post("/accounts/logout/")
    return sign_in(client, username, password)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    return time_machine


def test_checked_trusts_for_fourteen_days(client, user, password, phone, clock):
    response = pass_challenge(client, password, phone, remember=True)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert user.totpdevice_set.exists()
    clock.move_to(timezone.now() + timedelta(days=13), tick=False)
    assert led_to(sign_in_again(client, password)) == "/"
    clock.move_to(timezone.now() + timedelta(days=2), tick=False)  # day 15
    assert led_to(sign_in_again(client, password)) == "/security/challenge/totp/"


def test_unchecked_trusts_until_midnight(client, user, password, phone, clock):
    pass_challenge(client, password, phone, remember=False)
    clock.move_to("2026-11-21 23:59:00+07:00", tick=False)
    assert led_to(sign_in_again(client, password)) == "/"
    clock.move_to("2026-11-22 00:01:00+07:00", tick=False)
    assert led_to(sign_in_again(client, password)) == "/security/challenge/totp/"


def test_midnight_is_in_the_portal_time_zone(client, user, password, phone, clock):
    pass_challenge(client, password, phone, remember=False)
    device = TrustedDevice.objects.get(user=user)
    assert timezone.localtime(device.expires_at).isoformat() == "2026-11-22T00:00:00+07:00"


def test_tampered_cookie_is_ignored(client, user, password, phone, clock):
    pass_challenge(client, password, phone)
    value = client.cookies[COOKIE].value
    client.cookies[COOKIE] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert led_to(sign_in_again(client, password)) == "/security/challenge/totp/"


def test_cookie_of_another_user_is_ignored(client, make_user, password, clock):
    import pyotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    ani, budi = make_user("ani"), make_user("budi")
    phones = {}
    for person in (ani, budi):
        device = TOTPDevice.objects.create(user=person, name="A", confirmed=True)
        from base64 import b32encode

        phones[person.username] = pyotp.TOTP(b32encode(device.bin_key).decode())
    pass_challenge(client, password, phones["ani"], username="ani")
    ani_cookie = client.cookies[COOKIE].value
    other = Client()
    other.cookies[COOKIE] = ani_cookie
    assert led_to(sign_in(other, "budi", password)) == "/security/challenge/totp/"
    # Forging a cookie for budi with ani's token needs the signing key.
    forged = get_cookie_signer(salt=COOKIE + "mfa.trusted-device").sign(
        f"{budi.pk}:" + ani_cookie.split(":")[1]
    )
    other.cookies[COOKIE] = forged
    other.post("/accounts/logout/")
    assert led_to(sign_in(other, "budi", password)) == "/security/challenge/totp/"


def test_revoked_device_is_asked_again(client, user, password, phone, clock):
    pass_challenge(client, password, phone)
    page = client.get("/security/devices/")
    assert "this device" in page.text
    device = TrustedDevice.objects.get(user=user)
    client.post(f"/security/devices/{device.pk}/revoke/")
    assert not TrustedDevice.objects.exists()
    assert led_to(sign_in_again(client, password)) == "/security/challenge/totp/"


def test_revoke_all_and_password_change_revoke(client, user, password, phone, clock):
    pass_challenge(client, password, phone)
    other = Client()
    clock.move_to(timezone.now() + timedelta(minutes=1), tick=False)
    pass_challenge(other, password, phone)
    assert TrustedDevice.objects.filter(user=user).count() == 2
    client.post("/security/devices/revoke-all/")
    assert TrustedDevice.objects.filter(user=user).count() == 0
    clock.move_to(timezone.now() + timedelta(minutes=1), tick=False)
    client.post("/accounts/logout/")
    pass_challenge(client, password, phone)
    assert TrustedDevice.objects.filter(user=user).count() == 1
    user.set_password("another long passphrase")
    user.save()
    assert not TrustedDevice.objects.filter(user=user).exists()


def test_removing_a_factor_revokes_trust(client, user, password, phone, clock):
    pass_challenge(client, password, phone)
    assert TrustedDevice.objects.filter(user=user).exists()
    client.post("/security/authenticator/remove/", {"secret": password})
    assert not TrustedDevice.objects.filter(user=user).exists()


def test_trusted_sign_in_records_only_the_password(client, user, password, phone, clock):
    pass_challenge(client, password, phone)
    sign_in_again(client, password)
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session["accounts.auth_methods"] == ["pwd"]


def test_a_new_password_set_by_an_admin_revokes_trust(
    client, make_user, user, password, phone, clock
):
    """A password set outside the portal's own pages (Django admin's Change password form, as
    for an account thought stolen; SCIM or manage.py changepassword alike) is a password change
    too (design.md "Trusted devices"): a browser trusted before it is asked for a code again."""
    from mfa.rollout.models import Level, OverallPolicy

    pass_challenge(client, password, phone)
    assert TrustedDevice.objects.filter(user=user).exists()
    OverallPolicy.objects.create(level=Level.NONE, staff_level=Level.NONE)
    admin = Client()
    admin.force_login(make_user("root", is_staff=True, is_superuser=True))
    new = "a brand new passphrase 2026"
    answer = admin.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert answer.status_code == 302, answer.text[:2000]
    user.refresh_from_db()
    assert user.check_password(new)
    assert not TrustedDevice.objects.filter(user=user).exists()
    assert led_to(sign_in_again(client, new)) == "/security/challenge/totp/"


def test_a_rehashed_password_is_no_change(client, user, password, phone, clock, settings):
    """Django re-hashes an outdated hash at sign-in: the same password, trust kept."""
    pass_challenge(client, password, phone)
    user.password = make_password(password, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert led_to(sign_in_again(client, password)) == "/"
    assert TrustedDevice.objects.filter(user=user).exists()


@pytest.mark.parametrize("name", ["__Host-sso_trusted_device", "__Secure-trusted"])
def test_a_secure_only_cookie_name_over_plain_http_is_an_error(settings, name):
    """Browsers drop a __Host- or __Secure- cookie that is not Secure: "Trust this device"
    would silently never be remembered, so the portal refuses to start that way."""
    from django.core.checks import run_checks

    settings.MFA_TRUST_COOKIE_NAME = name
    settings.SESSION_COOKIE_SECURE = False
    assert [m.id for m in run_checks() if m.id == "mfa.E001"] == ["mfa.E001"]
    settings.SESSION_COOKIE_SECURE = True
    assert not [m for m in run_checks() if m.id == "mfa.E001"]
    settings.MFA_TRUST_COOKIE_NAME = "sso_trusted_device"
    settings.SESSION_COOKIE_SECURE = False
    assert not [m for m in run_checks() if m.id == "mfa.E001"]


@pytest.mark.parametrize(
    ("name_setting", "secure_setting"),
    [
        ("ACCOUNTS_DEVICE_COOKIE_NAME", "SESSION_COOKIE_SECURE"),
        ("SESSION_COOKIE_NAME", "SESSION_COOKIE_SECURE"),
        ("CSRF_COOKIE_NAME", "CSRF_COOKIE_SECURE"),
    ],
)
def test_every_cookie_with_a_secure_only_name_is_checked(settings, name_setting, secure_setting):
    """The same for the other cookies the sign-in relies on."""
    from django.core.checks import run_checks

    settings.MFA_TRUST_COOKIE_NAME = "sso_trusted_device"
    setattr(settings, name_setting, "__Host-cookie")
    setattr(settings, secure_setting, False)
    found = [m for m in run_checks() if m.id == "mfa.E001"]
    assert [name_setting in m.msg for m in found] == [True]
    setattr(settings, secure_setting, True)
    assert not [m for m in run_checks() if m.id == "mfa.E001"]
