"""A passkey as the second factor after the password, in real Chromium (mfa/passkeys/challenge.py).

The person registers a passkey in Security Settings with Chromium's virtual authenticator (the
``page`` fixture of this folder's conftest), signs out, signs in username first with the
password, and on "Verify it's you" picks Passkey rather than the authenticator app.
"""

import re
from base64 import b32encode

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts import audit
from accounts.models import AuditEvent
from mfa.models import TrustedDevice
from mfa.passkeys.models import Passkey
from tests.passkeys.e2e.test_passkeys_in_chromium import (
    open_passkeys_tab,
    register_device,
    sign_in_with_password,
    sign_out,
)

CANCELLED = "The passkey request was cancelled or not allowed. Please try again."
COPIED = "This passkey was refused because it may have been copied. Contact your administrator."


def add_authenticator_app(user) -> pyotp.TOTP:
    """A confirmed authenticator app, so that the picker offers more than the passkey."""
    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return pyotp.TOTP(b32encode(device.bin_key).decode())


def register_passkey_then_sign_out(page: Page, password: str) -> None:
    """Signs in with the password alone (no factor yet), registers "My laptop", signs out."""
    sign_in_with_password(page, "ani", password)
    open_passkeys_tab(page)
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    register_device(page, "My laptop")
    sign_out(page)


def password_then_picker(page: Page, password: str) -> None:
    """Username, Next, Sign in with password, Password, Sign in: the challenge picker."""
    page.get_by_label("Username").fill("ani")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("link", name="Sign in with password").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Verify it's you")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/security/challenge/$"))


def pick(page: Page, label: str) -> None:
    """Chooses a method on the picker by the label its button starts with."""
    page.get_by_role("button", name=re.compile(f"^{re.escape(label)}")).click()
    expect(page.get_by_role("heading", name=label, exact=True)).to_be_visible()


def signed_in_methods(user) -> list[str]:
    """The ``amr`` of each completed sign-in of ``user``, oldest first."""
    events = AuditEvent.objects.filter(kind=audit.SIGNIN_COMPLETE, user=user)
    return list(events.order_by("created_at").values_list("method", flat=True))


def second_factor_events(user) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(kind=audit.SIGNIN_SECOND_FACTOR, user=user)
    return list(events.order_by("created_at").values_list("method", "result"))


def is_not_signed_in(page: Page) -> None:
    """Home sends the person to the sign-in page."""
    page.goto("/")
    expect(page.get_by_label("Username")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_have_count(0)


def test_passkey_as_the_second_factor_after_the_password(without_autofill: Page, user, password):
    page = without_autofill
    register_passkey_then_sign_out(page, password)
    add_authenticator_app(user)

    password_then_picker(page, password)
    choices = page.locator(".choices").get_by_role("button")
    expect(choices).to_have_count(2)
    expect(choices.nth(0)).to_contain_text("Authenticator")
    expect(choices.nth(1)).to_contain_text("Passkey")
    expect(choices.nth(1)).to_contain_text("Use one of your registered devices")
    # The password alone signed no one in: only the first, password-only sign-in is recorded.
    assert signed_in_methods(user) == ["pwd"]

    pick(page, "Passkey")
    page.get_by_role("button", name="Use passkey").click()

    # The virtual authenticator answered and the portal accepted it.
    expect(page.get_by_role("heading", name="Verified")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="accepted")).to_have_text(
        "Your passkey was accepted."
    )
    expect(page.get_by_label("Trust this device")).to_be_checked()
    page.get_by_role("button", name="Confirm and Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Ani")).to_be_visible()

    # The second factor was the passkey; the session's methods are password + passkey (hwk).
    assert second_factor_events(user) == [("passkey", audit.SUCCESS)]
    assert signed_in_methods(user) == ["pwd", "hwk,pwd"]
    assert Passkey.objects.get(user=user, name="My laptop").last_used_at is not None
    assert TrustedDevice.objects.filter(user=user).count() == 1

    # What the person reads in Security Settings → Recent activity.
    page.get_by_label("User menu").click()
    page.locator(".user-menu-panel").get_by_role("link", name="Security Settings").click()
    nav = page.get_by_role("navigation", name="Security Settings")
    nav.get_by_role("link", name="Recent activity", exact=True).click()
    expect(page.get_by_role("heading", name="Recent activity")).to_be_visible()
    passkey_row = page.get_by_role("row").filter(has_text="Second factor (passkey)")
    expect(passkey_row).to_have_count(1)
    expect(passkey_row).to_contain_text("success")
    signed_in_row = page.get_by_role("row").filter(has_text="Signed in (password, passkey)")
    expect(signed_in_row).to_have_count(1)


@pytest.mark.parametrize("failure", ["credential removed", "user verification fails"])
def test_when_the_device_cannot_answer_an_error_shows_and_no_one_is_signed_in(
    without_autofill: Page, user, password, failure
):
    page = without_autofill
    register_passkey_then_sign_out(page, password)
    phone = add_authenticator_app(user)

    cdp, authenticator_id = page.authenticator  # type: ignore[attr-defined]
    if failure == "credential removed":
        held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
        (credential,) = held["credentials"]
        cdp.send(
            "WebAuthn.removeCredential",
            {"authenticatorId": authenticator_id, "credentialId": credential["credentialId"]},
        )
        held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
        assert held["credentials"] == []
    else:
        cdp.send(
            "WebAuthn.setUserVerified",
            {"authenticatorId": authenticator_id, "isUserVerified": False},
        )

    password_then_picker(page, password)
    pick(page, "Passkey")
    page.get_by_role("button", name="Use passkey").click()
    expect(page.get_by_role("alert")).to_have_text(CANCELLED)
    # Still on the passkey page, free to try again or choose another method.
    expect(page.get_by_role("heading", name="Passkey", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Use passkey")).to_be_enabled()
    expect(page.get_by_role("link", name="Choose another method")).to_be_visible()

    is_not_signed_in(page)
    assert signed_in_methods(user) == ["pwd"]  # the first sign-in, before the passkey
    assert second_factor_events(user) == []  # the browser sent nothing to judge

    # The attempt is still alive: the authenticator app finishes it.
    page.goto("/security/challenge/")
    pick(page, "Authenticator")
    page.get_by_label("Code").fill(phone.now())
    page.get_by_role("button", name="Validate").click()
    page.get_by_role("button", name="Confirm and Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Ani")).to_be_visible()
    assert signed_in_methods(user) == ["pwd", "otp,pwd"]


def test_a_copied_passkey_is_refused_by_the_portal_with_a_message(
    without_autofill: Page, user, password
):
    """The authenticator's signature counter goes back (a clone): the portal says no."""
    page = without_autofill
    register_passkey_then_sign_out(page, password)
    add_authenticator_app(user)

    cdp, authenticator_id = page.authenticator  # type: ignore[attr-defined]
    held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    (credential,) = held["credentials"]
    stored_count = Passkey.objects.get(user=user).sign_count
    assert credential["signCount"] >= stored_count >= 1
    cdp.send(
        "WebAuthn.removeCredential",
        {"authenticatorId": authenticator_id, "credentialId": credential["credentialId"]},
    )
    copy = {
        key: credential[key]
        for key in ("credentialId", "isResidentCredential", "rpId", "privateKey", "userHandle")
    }
    cdp.send(
        "WebAuthn.addCredential",
        {"authenticatorId": authenticator_id, "credential": {**copy, "signCount": 0}},
    )

    password_then_picker(page, password)
    pick(page, "Passkey")
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/security/challenge/passkey/")
    ) as answered:
        page.get_by_role("button", name="Use passkey").click()
    assert answered.value.status == 200  # a page with the message, not a server error
    expect(page.get_by_role("alert")).to_have_text(COPIED)
    expect(page.get_by_role("heading", name="Passkey", exact=True)).to_be_visible()

    assert second_factor_events(user) == [("passkey", audit.FAILURE)]
    assert Passkey.objects.get(user=user).sign_count == stored_count
    is_not_signed_in(page)
    assert signed_in_methods(user) == ["pwd"]
