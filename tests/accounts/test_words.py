"""Words people understand, in English and Bahasa Indonesia: browsers by name, sign-in methods
by name (never an internal code), admin sections by name, and plural forms that agree."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent
from mfa.models import TrustedDevice
from tests.conftest import sign_in
from tests.mfa.conftest import pick, to_challenge, to_code_page, validate

WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def windows(user, password) -> Client:
    browser = Client(HTTP_USER_AGENT=WINDOWS_CHROME)
    sign_in(browser, "ani", password)
    return browser


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Chrome on Windows"), ("id", "Chrome di Windows")],
)
def test_trusted_devices_and_sessions_name_the_browser(windows, user, language, expected):
    TrustedDevice.objects.create(
        user=user,
        token_hash="x" * 64,
        expires_at=timezone.now() + timedelta(days=14),
        user_agent=IPHONE,
    )
    devices = windows.get("/security/devices/", HTTP_ACCEPT_LANGUAGE=language)
    assert "Safari on iOS" in devices.text or "Safari di iOS" in devices.text
    assert "Mozilla/5.0" not in devices.text
    sessions = windows.get("/accounts/sessions/", HTTP_ACCEPT_LANGUAGE=language)
    assert expected in sessions.text
    assert "Windows 10 / Chrome" not in sessions.text


@pytest.mark.parametrize(
    ("language", "password_step", "signed_in", "second"),
    [
        ("en", "Password", "Signed in (password, one-time code)", "(authenticator app)"),
        (
            "id",
            "Kata sandi",
            "Berhasil masuk (kata sandi, kode sekali pakai)",
            "(aplikasi authenticator)",
        ),
    ],
)
def test_recent_activity_names_methods_and_keeps_the_location_to_itself(
    client, user, password, phone, settings, language, password_step, signed_in, second
):
    settings.ACCOUNTS_LOCATION_ENABLED = True
    to_challenge(client, password)
    pick(client, "totp")
    validate(client, "totp", phone.now())
    client.post("/security/challenge/confirm/", {"remember": "on"})
    AuditEvent.objects.filter(user=user).update(latitude="-6.21", longitude="106.85")

    page = " ".join(client.get("/accounts/activity/", HTTP_ACCEPT_LANGUAGE=language).text.split())
    assert password_step in page and signed_in in page and second in page
    for code in ("(pwd)", "pwd", "totp)", "mfa", "(otp"):
        assert code not in page
    assert "-6.21" not in page and "106.85" not in page


def test_admin_index_names_the_authenticator_apps(make_user):
    admin = Client()
    admin.force_login(make_user("root", is_staff=True, is_superuser=True))
    page = admin.get("/admin/").text
    assert "Authenticator apps" in page
    assert "Otp_Totp" not in page and "OTP_TOTP" not in page and "otp_totp</" not in page


@pytest.mark.parametrize(
    ("language", "one_try"),
    [
        ("en", "That code is not right. 1 try left."),
        ("id", "Kode itu tidak benar. Sisa 1 percobaan."),
    ],
)
def test_one_is_singular(client, user, password, email_factor, language, one_try):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    to_code_page(client, password)
    for _ in range(3):
        validate(client, "email", "000001")
    assert one_try in validate(client, "email", "000001").text


def test_password_forms_say_kata_sandi_like_the_rest_of_the_portal(user, password):
    """Django's own Indonesian says "Sandi … anda" in its password fields and rules, next to the
    portal's "Kata sandi … Anda": the portal's catalogue makes them one voice."""
    browser = Client()
    sign_in(browser, "ani", password)
    browser.cookies["django_language"] = "id"
    page = browser.get("/accounts/password/change/").content.decode()
    assert "Kata sandi lama" in page and "Kata sandi baru" in page
    assert "tidak boleh terlalu mirip dengan data pribadi Anda" in page
    assert "Sandi anda" not in page and "Sandi lama" not in page


@pytest.mark.parametrize(
    ("language", "header"),
    [("en", "SSO Portal · Administration"), ("id", "SSO Portal · Administrasi")],
)
def test_admin_carries_the_portals_name_not_djangos(make_user, language, header):
    admin = Client()
    admin.force_login(make_user("root", is_staff=True, is_superuser=True))
    admin.cookies["django_language"] = language
    page = admin.get("/admin/").text
    assert f'<a href="/admin/">{header}</a>' in page and f"| {header}</title>" in page
    assert "Django" not in page.split("<body", 1)[1].split('id="content"', 1)[0]


def test_admin_add_user_reads_naturally_in_indonesian(make_user):
    """Django's own Indonesian on this page says "anda … merubah" and "atau sedikit"."""
    admin = Client()
    admin.force_login(make_user("root", is_staff=True, is_superuser=True))
    admin.cookies["django_language"] = "id"
    page = admin.get("/admin/accounts/user/add/").text
    assert "Setelah pengguna dibuat, Anda dapat mengubah pengaturan lainnya." in page
    assert "Paling banyak 150 karakter" in page
    assert "merubah" not in page and "atau sedikit" not in page
