"""Second factors on Security Settings, and signing in with them (seeds/000 §4.1, §4.3, §4)."""

import re
import time

import pyotp
from playwright.sync_api import expect

from accounts.models import AuditEvent
from tests.e2e.person import Inbox, Person


def read_key(person: Person) -> pyotp.TOTP:
    """The phone: the person types the key shown under the QR code into an authenticator app."""
    key = person.page.locator("figure").get_by_role("code").inner_text()
    return pyotp.TOTP(re.sub(r"\s+", "", key))


def next_code(phone: pyotp.TOTP) -> str:
    # An accepted code is never accepted again; the next 30-second step's code is within the
    # ±1 step the portal allows.
    return phone.at(time.time() + 30)


def test_authenticator_and_recovery_codes(person: Person, user, password):
    person.sign_in_with_password("ani", password)
    person.open_security_settings("Authenticator", shot="20-authenticator-setup")
    expect(
        person.page.get_by_role("img", name="QR code for your authenticator app")
    ).to_be_visible()
    phone = read_key(person)

    # Copy key puts the key in the clipboard and says so without moving the page.
    page = person.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    code_field = page.get_by_label("Code", exact=True)
    before = code_field.bounding_box()
    person.click("Copy key")
    expect(page.get_by_role("status").filter(has_text="Key copied")).to_be_visible()
    assert code_field.bounding_box() == before
    assert pyotp.TOTP(page.evaluate("navigator.clipboard.readText()")).now() == phone.now()

    person.fill("Code", phone.now())
    person.click("Verify")
    # The first factor after a password-only sign-in: a code to the account's e-mail first.
    person.confirm_account_email()
    person.sees_heading("Authenticator")
    person.fill("Code", phone.now())
    person.click("Verify")
    person.sees("Your authenticator app is on.")
    # Next it asks for recovery codes, in case the phone is lost.
    person.sees_heading("Recovery codes")
    person.click("Make recovery codes")
    person.sees("Save these codes now. They are shown only once.")
    codes = person.page.get_by_role("list").filter(has=person.page.locator("code"))
    recovery_codes = [c.strip() for c in codes.get_by_role("listitem").all_inner_texts()]
    assert len(recovery_codes) == 10
    person.look(shot="22-recovery-codes", phone=True)
    person.sign_out()

    # Password + authenticator.
    person.sign_in_with_password("ani", password)
    person.is_asked_for("Authenticator")  # the one factor: no picker
    person.validate(next_code(phone), shot="24-challenge-code")
    person.confirm_and_continue(trust=False, shot="25-confirm-and-continue")
    person.is_home("Ani")
    person.sign_out()

    # A new browser, and the phone is lost: a recovery code instead.
    person.page.context.clear_cookies()
    person.sign_in_with_password("ani", password)
    person.is_asked_for("Authenticator")
    person.click("Choose another method", role="link")
    person.pick_method("Recovery code", shot="23-challenge-picker")
    person.validate(recovery_codes[0], label="Recovery code", shot="26-recovery-code")
    person.confirm_and_continue(trust=False)
    person.is_home("Ani")
    person.open_security_settings("Recovery codes")
    person.sees("You have 9 unused recovery codes.")

    # Removing the authenticator asks for the password (or a current code).
    person.open_tab("Authenticator")
    person.sees("Your authenticator app is on.")
    person.fill("Your password or a current code from the app", password)
    person.look(shot="27-authenticator-remove")
    person.click("Remove")
    person.sees("The authenticator app was removed.")
    expect(
        person.page.get_by_role("img", name="QR code for your authenticator app")
    ).to_be_visible()
    person.look()


def test_email_codes_trust_this_device_and_turning_them_off(
    person: Person, inbox: Inbox, user, password, settings
):
    settings.MFA_CODE_RESEND_SECONDS = 3
    person.sign_in_with_password("ani", password)
    person.open_security_settings()  # Email is the first tab, as in the manual
    person.sees_heading("Email")
    person.sees("Sign-in codes by email are off.")
    person.fill("Email", "ani.codes@example.com")
    person.look(shot="10-email-setup", phone=True)
    person.click("Save")
    # The first factor after a password-only sign-in: a code to the account's e-mail first.
    person.confirm_account_email(lambda: inbox.code(1))
    person.sees_heading("Email")
    person.fill("Email", "ani.codes@example.com")
    person.click("Save")
    person.sees("We sent a code to the new address. Type it below to confirm.")
    person.fill("Code", inbox.code(2))
    person.look(shot="11-email-verify")
    person.click("Verify")
    person.sees("Saved. Sign-in codes will go to ani.codes@example.com.")
    person.look()
    person.sign_out()

    # Password + email code: e-mail is the only factor, so the code is sent with the password
    # and its page shown at once (seeds/001), with the code's life and the resend wait
    # counting down.
    person.page.context.clear_cookies()
    person.sign_in_with_password("ani", password)
    person.is_sent_a_code("Email")
    person.sees("A code sent to a•••@example.com")
    expect(person.page.get_by_role("timer")).to_contain_text(re.compile(r"expires in [45]:\d\d"))
    resend = person.page.get_by_role("button", name=re.compile("^Send a new code"))
    expect(resend).to_be_disabled()
    person.look(shot="12-email-code", phone=True)
    expect(resend).to_have_text("Send a new code", timeout=6_000)
    expect(resend).to_be_enabled()
    resend.click()
    person.sees("A new code is on its way. The previous code no longer works.")
    first_code, second_code = inbox.code(3), inbox.code(4)
    if first_code != second_code:  # the old code died when the new one was sent
        person.validate(first_code)
        # The error sits under the field, which gets the focus back and is described by it.
        code_field = person.page.get_by_label("Code", exact=True)
        expect(code_field).to_be_focused()
        expect(code_field).to_have_accessible_description(re.compile("That code is not right"))
        expect(person.page.get_by_role("alert")).to_contain_text("That code is not right.")
        person.look(shot="13-email-code-wrong", phone=True)
    person.validate(second_code)
    person.confirm_and_continue(trust=True)
    person.is_home("Ani")
    person.sign_out()

    # Trusted: the next sign-in on this browser asks no code.
    person.sign_in_with_password("ani", password)
    person.is_home("Ani")
    person.open_security_settings("Trusted devices", shot="14-trusted-devices")
    person.sees("(this device)")

    person.open_tab("Email")
    person.click("Turn off codes by email")
    person.sees("Sign-in codes by email are off.")
    person.look()


def test_a_reload_after_a_wrong_secret_at_remove_asks_for_the_tab(
    person: Person, user, password, phone
):
    """Remove takes only a POST: the page that says the secret was wrong carries the tab's
    address, and a reload asks for the tab (not a 405, not the wrong secret posted again)."""
    person.sign_in_with_password("ani", password)
    person.is_asked_for("Authenticator")
    person.validate(phone.now())
    person.confirm_and_continue(trust=False)
    person.is_home("Ani")
    person.open_security_settings("Authenticator")
    person.fill("Your password or a current code from the app", "not the password at all")
    person.click("Remove")
    person.sees("That is neither your password nor a current code.")
    page = person.page
    expect(page).to_have_url(re.compile(r"/security/authenticator/$"))
    fetched = person.documents_fetched()
    page.reload()
    person.sees_heading("Authenticator")
    assert fetched == [("GET", "/security/authenticator/")]
    assert AuditEvent.objects.filter(user=user, result="failure").count() == 1
