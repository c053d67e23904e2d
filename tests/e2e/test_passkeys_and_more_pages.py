"""Screens of the user guide not covered elsewhere, each checked with axe: passkeys (their
behaviour is tested in tests/passkeys/e2e), the fresh-proof page, errors and the pages that
Security Settings links to."""

from playwright.sync_api import Page, expect

from tests.e2e.person import Person


def add_platform_authenticator(page: Page) -> None:
    """A fingerprint reader, as Chromium's DevTools protocol offers one (user verified)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def test_passkey_register_and_sign_in(person: Person, user, password):
    add_platform_authenticator(person.page)
    person.sign_in_with_password("ani", password)
    person.open_security_settings("Passkeys")
    person.click("Register New Device", role="link")
    person.fill("Device name", "My laptop")
    person.look(shot="17-passkey-register", phone=True)
    person.click("Save New Device")
    person.confirm_account_email()  # the first factor after a password-only sign-in
    person.fill("Device name", "My laptop")
    person.click("Save New Device")
    person.sees("Your new device “My laptop” is registered.")
    person.look(shot="18-passkey-list", phone=True)
    person.sign_out()

    person.fill("Username", "ani")
    person.click("Next")
    person.click("Sign in with passkey", role="link")
    person.look()
    person.click("Continue")
    person.sees("You confirmed it is you with your device “My laptop”.")
    person.look(shot="19-passkey-confirm", phone=True)
    person.click("Confirm and Continue")
    person.is_home("Ani")


def test_every_other_page_passes_axe(person: Person, user, password, settings):
    page = person.page
    page.goto("/no-such-page/")
    person.look()
    page.goto("/accounts/password/reset/MQ/not-a-token/")
    person.sees_heading("Choose a new password")
    person.look()
    page.goto("/accounts/logout/")
    person.look()

    person.sign_in_with_password("ani", password)
    tabs = page.get_by_role("navigation", name="Security Settings")
    page.goto("/security/")
    for name in tabs.get_by_role("link").all_inner_texts():
        tabs.get_by_role("link", name=name, exact=True).click()
        expect(tabs.get_by_role("link", name=name, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        person.look()

    # A sensitive change long after the sign-in asks for the password again.
    settings.MFA_REAUTH_SECONDS = -1
    page.goto("/security/email/")
    person.fill("Email", "ani.codes@example.com")
    person.click("Save")
    person.sees_heading("Confirm it's you")
    person.look(shot="28-confirm-its-you", phone=True)
    person.fill("Password", "not my password")
    person.click("Confirm")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text("Wrong password.")
    person.look()
    person.fill("Password", password)
    person.click("Confirm")
    person.sees_heading("Email")
    page.goto("/accounts/logout/")
    person.sees_heading("Sign Out")
    person.look()
