"""Recovery codes, the Email tab, fresh proof for changes, notices, and admin's Reset MFA."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.utils import timezone

from mfa.models import EmailDevice, RecoveryCode, TrustedDevice
from tests.conftest import PROOF_PAGE, led_to, prove_account_email, sign_in
from tests.mfa.conftest import confirm, last_code, pick, run_on_commit, to_challenge, validate


@pytest.fixture
def clock(time_machine):
    time_machine.move_to("2026-11-21 09:00:10+07:00", tick=False)
    return time_machine


@pytest.fixture
def signed_in(client, user, password, clock):
    """Signed in with the password, and the account e-mail code typed back, as the portal
    asks before the first second factor (mfa.binding); the code's mail is cleared."""
    sign_in(client, "ani", password)
    prove_account_email(client)
    mail.outbox.clear()
    return client


def make_codes(client) -> list[str]:
    page = run_on_commit(client.post, "/security/recovery/")
    assert "They are shown only once." in page.text
    return re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", page.text)


def test_recovery_codes_need_a_factor_first(signed_in):
    page = signed_in.get("/security/recovery/")
    assert "Turn on a second factor first" in page.text
    signed_in.post("/security/recovery/")
    assert not RecoveryCode.objects.exists()


def test_ten_codes_shown_once_stored_hashed_and_downloadable(signed_in, user, phone):
    codes = make_codes(signed_in)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h for code in codes for h in stored)
    assert "<code>" not in signed_in.get("/security/recovery/").text
    assert "You have 10 unused recovery codes." in signed_in.get("/security/recovery/").text
    download = signed_in.post("/security/recovery/download/", {"code": codes})
    assert download["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert all(code in download.text for code in codes)


def test_recovery_code_passes_the_challenge_once(client, user, password, phone, clock):
    sign_in(client, "ani", password)
    client.post("/accounts/logout/")
    client.force_login(user)
    session = client.session
    session["accounts.auth_time"] = int(timezone.now().timestamp())
    session.save()
    codes = make_codes(client)
    client.post("/accounts/logout/")
    to_challenge(client, password)
    assert "Recovery code" in client.get("/security/challenge/").text
    pick(client, "recovery")
    assert led_to(validate(client, "recovery", codes[0].upper())) == "/security/challenge/confirm/"
    confirm(client, remember=False)
    assert client.session[SESSION_KEY] == str(user.pk)
    client.post("/accounts/logout/")
    TrustedDevice.objects.all().delete()
    to_challenge(client, password)
    assert "was used already" in validate(client, "recovery", codes[0]).text


def test_regenerating_kills_the_old_set(signed_in, user, phone):
    old = make_codes(signed_in)
    new = make_codes(signed_in)
    assert set(old).isdisjoint(new)
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert "New recovery codes were made" in mail.outbox[-1].body


def test_email_tab_changes_the_address_only_after_its_code(signed_in, user):
    page = signed_in.get("/security/email/")
    assert "Save" in page.text
    run_on_commit(signed_in.post, "/security/email/", {"email": "new.box@example.com"})
    assert mail.outbox[-1].to == ["new.box@example.com"]
    assert not EmailDevice.objects.filter(user=user).exists()
    wrong = signed_in.post("/security/email/verify/", {"code": "000000"})
    assert "not right" in wrong.text or "tries left" in wrong.text
    assert not EmailDevice.objects.filter(user=user).exists()
    done = run_on_commit(
        signed_in.post, "/security/email/verify/", {"code": last_code()}, follow=True
    )
    assert "Sign-in codes will go to new.box@example.com" in done.text
    assert EmailDevice.objects.get(user=user).email == "new.box@example.com"
    # The account e-mail follows the Email tab (one verified address): the old address is
    # told, and the notice of the factor change goes to the account's address, now the new one.
    old_notice = next(m for m in mail.outbox if m.to == ["ani@example.com"])
    assert "account was changed to ne*****@example.com" in old_notice.body
    assert mail.outbox[-1].to == ["new.box@example.com"]
    assert "email address for sign-in codes was changed" in mail.outbox[-1].body


def test_email_tab_sends_a_new_code_or_cancels_the_change(signed_in, user, clock):
    run_on_commit(signed_in.post, "/security/email/", {"email": "new.box@example.com"})
    first = last_code()
    page = signed_in.get("/security/email/")
    assert "Send a new code" in page.text and "Cancel" in page.text
    too_soon = run_on_commit(signed_in.post, "/security/email/resend/", follow=True)
    assert re.search(r"Wait \d+ seconds before asking for a new code", too_soon.text)
    assert len(mail.outbox) == 1
    clock.move_to(timezone.now() + timedelta(minutes=1), tick=False)
    resent = run_on_commit(signed_in.post, "/security/email/resend/", follow=True)
    assert "A new code is on its way" in resent.text
    assert len(mail.outbox) == 2 and mail.outbox[-1].to == ["new.box@example.com"]
    second = last_code()
    if second != first:  # the previous code died with the new send
        refused = signed_in.post("/security/email/verify/", {"code": first})
        assert "not right" in refused.text or "tries left" in refused.text
    signed_in.post("/security/email/cancel/")
    page = signed_in.get("/security/email/")
    assert "Type the code we sent" not in page.text
    nothing = signed_in.post("/security/email/verify/", {"code": second}, follow=True)
    assert "No address is waiting for confirmation." in nothing.text
    assert not EmailDevice.objects.filter(user=user).exists()
    # Nothing waits any more: a resend sends nothing and says nothing.
    signed_in.post("/security/email/resend/")
    assert len(mail.outbox) == 2


def test_email_tab_survives_a_broken_pending_change_in_the_session(signed_in, user):
    session = signed_in.session
    session["mfa.email_change"] = {"email": "old.format@example.com"}  # no attempt, old shape
    session.save()
    assert "Type the code we sent" not in signed_in.get("/security/email/").text
    response = signed_in.post("/security/email/verify/", {"code": "123456"}, follow=True)
    assert response.status_code == 200
    assert "No address is waiting for confirmation." in response.text


@pytest.mark.parametrize("bad", ["", "not-an-email", "a" * 300 + "@x.id", "x@\x00.id"])
def test_email_tab_bad_addresses(signed_in, user, bad):
    response = signed_in.post("/security/email/", {"email": bad})
    if "\x00" in bad:  # refused before any form (sso/request_input.py)
        assert response.status_code == 400
        assert "Bad request" in response.text
    else:
        assert response.status_code == 200
        assert 'class="field-error"' in response.text
    assert mail.outbox == []


def test_changes_need_a_fresh_proof_after_ten_minutes(signed_in, user, password, clock):
    clock.move_to(timezone.now() + timedelta(minutes=11), tick=False)
    response = signed_in.post("/security/email/", {"email": "new.box@example.com"})
    assert response.status_code == 302
    assert response["Location"].startswith("/security/reauth/?next=")
    assert mail.outbox == []
    wrong = signed_in.post("/security/reauth/", {"password": "nope", "next": "/security/email/"})
    assert "Wrong password." in wrong.text
    ok = signed_in.post("/security/reauth/", {"password": password, "next": "/security/email/"})
    assert ok["Location"] == "/security/email/"
    # The account e-mail proof before a first factor has run out too (mfa.binding).
    again = signed_in.post("/security/email/", {"email": "new.box@example.com"})
    assert again["Location"] == f"{PROOF_PAGE}?next=%2Fsecurity%2Femail%2F"
    assert mail.outbox == []
    prove_account_email(signed_in, "/security/email/")
    run_on_commit(signed_in.post, "/security/email/", {"email": "new.box@example.com"})
    assert mail.outbox[-1].to == ["new.box@example.com"]


def test_tabs_speak_the_manuals_words(signed_in):
    page = signed_in.get("/security/", follow=True)
    for label in ("Email", "Authenticator", "Recovery codes", "Trusted devices"):
        assert f">{label}</a>" in page.text
    assert "Security Settings" in page.text


def test_admin_reset_mfa(client, user, password, phone, make_user, clock):
    to_challenge(client, password)
    pick(client, "totp")
    validate(client, "totp", phone.now())
    confirm(client)
    EmailDevice.objects.create(user=user, name="Email", email="x@example.com")
    RecoveryCode.objects.create(user=user, code_hash="x" * 64)
    make_user("root", is_staff=True, is_superuser=True)
    from django.test import Client

    admin = Client()
    admin.force_login(type(user).objects.get(username="root"))
    page = admin.get(f"/admin/accounts/user/{user.pk}/change/")
    assert "Authenticator apps" in page.text and "Trusted devices" in page.text
    asked = admin.post(
        "/admin/accounts/user/", {"action": "reset_mfa", "_selected_action": [user.pk]}
    )
    assert "Reset the second factors of these accounts?" in asked.text
    assert "1 authenticator app" in asked.text and "x@example.com" in asked.text
    assert "1 unused recovery code" in asked.text and "1 trusted device" in asked.text
    assert user.totpdevice_set.exists()  # nothing removed before the admin confirms
    response = run_on_commit(
        admin.post,
        "/admin/accounts/user/",
        {"action": "reset_mfa", "_selected_action": [user.pk], "post": "yes"},
        follow=True,
    )
    assert "MFA reset for 1 account." in response.text
    assert not user.totpdevice_set.exists()
    assert not EmailDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert not TrustedDevice.objects.filter(user=user).exists()
    assert "An administrator reset the second factors" in mail.outbox[-1].body
    client.post("/accounts/logout/")
    assert led_to(sign_in(client, "ani", password)) == "/"
