"""Passkeys end to end in real Chromium, driven through what a person sees and clicks."""

import re

from django.core import mail
from playwright.sync_api import Page, expect

from mfa.passkeys.decoys import decoy_descriptors


def sign_in_with_password(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    # With autofill on, the page asks for a passkey challenge as it loads (a session write):
    # let it answer before Next, whose own session write it would otherwise race.
    page.wait_for_load_state("networkidle")
    page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("link", name="Sign in with password").click()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_label("User menu").click()
    page.get_by_role("button", name="Sign Out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()


def open_passkeys_tab(page: Page) -> None:
    page.get_by_label("User menu").click()
    page.locator(".user-menu-panel").get_by_role("link", name="Security Settings").click()
    page.goto("/security/passkeys/")  # the tab bar is filled in by the MFA app
    expect(page.get_by_role("heading", name="Passkeys")).to_be_visible()


def confirm_account_email(page: Page) -> None:
    """Set up a second factor: Send code, the code mailed to the account's address, Verify.
    The portal asks this before the first factor of a password-only sign-in (mfa.binding)."""
    expect(page.get_by_role("heading", name="Set up a second factor")).to_be_visible()
    page.get_by_role("button", name="Send code").click()
    code = re.search(r"^\s+(\d{6})\s*$", mail.outbox[-1].body, re.MULTILINE).group(1)
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Verify").click()


def register_device(page: Page, name: str, first: bool = True) -> None:
    """Register New Device, a name, Save New Device. The ``first`` device after a password-only
    sign-in is sent to the account e-mail proof, then back to the name step, which still holds
    the name typed."""
    page.get_by_role("link", name="Register New Device").click()
    page.get_by_label("Device name").fill(name)
    page.get_by_role("button", name="Save New Device").click()
    if first:
        confirm_account_email(page)
        expect(page.get_by_label("Device name")).to_have_value(name)
        page.get_by_role("button", name="Save New Device").click()
    expect(page.get_by_text(f"Your new device “{name}” is registered.")).to_be_visible()
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()


def test_register_sign_out_and_sign_in_username_first(without_autofill: Page, user, password):
    page = without_autofill
    sign_in_with_password(page, "ani", password)
    open_passkeys_tab(page)
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    register_device(page, "My laptop")
    sign_out(page)

    page.get_by_label("Username").fill("ani")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("link", name="Sign in with passkey").click()
    page.get_by_role("button", name="Continue").click()
    expect(
        page.get_by_text("You confirmed it is you with your device “My laptop”.")
    ).to_be_visible()
    page.get_by_role("button", name="Confirm and Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Ani")).to_be_visible()


def test_usernameless_sign_in_then_rename_delete_and_the_sign_in_fails(
    without_autofill: Page, user, password
):
    page = without_autofill
    sign_in_with_password(page, "ani", password)
    open_passkeys_tab(page)
    register_device(page, "My laptop")
    sign_out(page)

    page.get_by_role("button", name="Sign in with a passkey").click()
    page.get_by_role("button", name="Confirm and Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Ani")).to_be_visible()

    page.goto("/security/passkeys/")
    page.get_by_role("link", name="Rename My laptop").click()
    page.get_by_label("Device name").fill("Office PC")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The device is renamed to “Office PC”.")).to_be_visible()
    expect(page.get_by_role("cell", name="Office PC", exact=True)).to_be_visible()

    page.get_by_role("link", name="Delete Office PC").click()
    expect(page.get_by_role("heading", name="Delete “Office PC”?")).to_be_visible()
    page.get_by_role("button", name="Delete this device").click()
    expect(page.get_by_text("The device “Office PC” is deleted.")).to_be_visible()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    sign_out(page)

    # The authenticator still holds the credential; the portal no longer knows it.
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_have_text(
        "This passkey is not registered for this account."
    )
    page.get_by_label("Username").fill("ani")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("link", name="Sign in with passkey").click()
    page.get_by_role("button", name="Continue").click()
    # Username first, an account without passkeys is offered stand-in credential ids like any
    # unknown name (mfa/passkeys/decoys.py): the authenticator holds none of them, so the
    # browser ends the request itself, as when nothing matches.
    expect(page.get_by_role("alert")).to_have_text(NO_PASSKEY)
    expect(page.get_by_role("button", name="Continue")).to_be_visible()


NO_PASSKEY = (
    "No passkey for this account was found on this device, or the request was cancelled."
    " Sign in with your password instead, or try again with the device that holds your passkey."
)


def _names_chromium_ends_at_once(count: int) -> list[str]:
    """Names whose stand-in ids all name the internal transport: Chromium's virtual
    authenticator (internal) then ends the request at once, as a person's Cancel would; for
    a security key's ids, Chromium would wait for one to be plugged in."""
    names = []
    for index in range(200):
        name = f"person{index}"
        if all("internal" in d.transports for d in decoy_descriptors(name)):
            names.append(name)
        if len(names) == count:
            return names
    raise AssertionError("no name found")


def test_sign_in_with_passkey_without_one_says_so_alike_for_any_name(
    without_autofill: Page, make_user
):
    """Step 2's passkey choice for an account without a passkey tells the person what happened
    and what to do, in the words it uses for a name no account has: no account-existence oracle."""
    page = without_autofill
    known, unknown = _names_chromium_ends_at_once(2)
    make_user(known)
    shown = []
    for name in (known, unknown):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(name)
        page.get_by_role("button", name="Next").click()
        page.get_by_role("link", name="Sign in with passkey").click()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_have_text(NO_PASSKEY)
        expect(page.get_by_role("link", name="Sign in with password")).to_be_visible()
        shown.append(page.locator(".card").inner_text().replace(name, "NAME"))
    assert shown[0] == shown[1]


def test_autofill_offers_the_passkey_on_the_username_field(page: Page, user, password):
    sign_in_with_password(page, "ani", password)
    open_passkeys_tab(page)
    register_device(page, "My phone")
    page.get_by_label("User menu").click()
    page.get_by_role("button", name="Sign Out").click()
    # Back on the sign-in page, the username field asks for passkeys in its autofill
    # ("username webauthn"); Chromium's virtual authenticator picks the one it holds.
    expect(page.get_by_role("button", name="Confirm and Continue")).to_be_visible()
    expect(page.get_by_text("Signing in as ani")).to_be_visible()
    page.get_by_role("button", name="Confirm and Continue").click()
    expect(page.get_by_role("heading", name="Welcome, Ani")).to_be_visible()


def test_clear_messages_when_the_user_cancels_or_the_browser_cannot(
    without_autofill: Page, user, password
):
    page = without_autofill
    sign_in_with_password(page, "ani", password)
    open_passkeys_tab(page)
    register_device(page, "My laptop")
    sign_out(page)

    # The fingerprint or PIN check fails: Chromium ends the request with NotAllowedError,
    # the same error as when the person closes the dialog.
    cdp, authenticator_id = page.authenticator  # type: ignore[attr-defined]
    cdp.send(
        "WebAuthn.setUserVerified", {"authenticatorId": authenticator_id, "isUserVerified": False}
    )
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The passkey request was cancelled or not allowed. Please try again."
    )

    page.context.add_init_script("delete window.PublicKeyCredential;")
    page.reload()
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("This browser cannot use passkeys.")


# Records the promise of the page's passkey autofill (conditional) request, so that a test can
# wait until it has ended, whatever the outcome, before looking at the page.
WATCH_CONDITIONAL = """
(() => {
  if (!navigator.credentials) return;
  const get = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = (options) => {
    const answer = get(options);
    if (options && options.mediation === "conditional") window.conditionalRequest = answer;
    return answer;
  };
})();
"""


def test_an_autofill_request_that_ends_by_itself_shows_no_error(page: Page, user, password):
    """Nobody asked for anything yet: a failed or aborted autofill request stays silent; the
    request the person starts with the button still explains what went wrong."""
    sign_in_with_password(page, "ani", password)
    open_passkeys_tab(page)
    register_device(page, "My laptop")
    # The device's check fails from now on, so the autofill request ends with NotAllowedError
    # as soon as the page loads (as when a browser drops it).
    cdp, authenticator_id = page.authenticator  # type: ignore[attr-defined]
    cdp.send(
        "WebAuthn.setUserVerified", {"authenticatorId": authenticator_id, "isUserVerified": False}
    )
    page.context.add_init_script(WATCH_CONDITIONAL)
    sign_out(page)
    expect(page.get_by_label("Username")).to_have_attribute("autocomplete", "username webauthn")
    page.wait_for_function("() => window.conditionalRequest !== undefined")
    ended = page.evaluate("() => window.conditionalRequest.then(() => 'ok', (e) => e.name)")
    assert ended == "NotAllowedError"
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text("The passkey request was cancelled")).to_have_count(0)

    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The passkey request was cancelled or not allowed. Please try again."
    )


def budi_begins_in_another_tab(page: Page) -> Page:
    """Another tab of the same browser, where budi types his name, Next and Sign in with
    passkey (the username page's copy of step 2 posts the name with the choice: budi's
    sign-in begins); returns that tab."""
    other_tab = page.context.new_page()
    other_tab.goto("/accounts/login/")
    other_tab.get_by_label("Username").fill("budi")
    other_tab.get_by_role("button", name="Next").click()
    other_tab.get_by_role("link", name="Sign in with passkey").click()
    expect(other_tab.get_by_text("Signing in as budi")).to_be_visible()
    return other_tab


def refused_while_budi_goes_on(page: Page, other_tab: Page) -> None:
    """``page``, answered for a sign-in that has ended, is on the username page saying why;
    budi's sign-in in ``other_tab`` is still under way."""
    expect(page.get_by_text("The sign-in on that page has ended")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_visible()
    other_tab.reload()
    expect(other_tab.get_by_text("Signing in as budi")).to_be_visible()


def test_continue_on_a_passkey_page_left_open_while_another_sign_in_began(
    without_autofill: Page, user, password
):
    """Ani's Sign in with passkey page left open in a tab; budi's name typed in another tab.
    Continue on ani's page (its script posts whose sign-in the page was shown for) is refused
    and sends the tab to the username page, which says why; budi's sign-in goes on."""
    page = without_autofill
    sign_in_with_password(page, "ani", password)
    open_passkeys_tab(page)
    register_device(page, "My laptop")
    sign_out(page)
    page.get_by_label("Username").fill("ani")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("link", name="Sign in with passkey").click()
    expect(page.get_by_role("button", name="Continue")).to_be_visible()

    other_tab = budi_begins_in_another_tab(page)

    page.get_by_role("button", name="Continue").click()
    refused_while_budi_goes_on(page, other_tab)


def test_the_passkey_button_of_a_username_page_left_open_while_another_sign_in_began(
    without_autofill: Page, user
):
    """A username page left open in a tab; budi's name typed in another. Sign in with a
    passkey on the first page (its script posts the mark of the sign-in under way when the
    page was shown: none) is refused and sends the tab to the username page, which says why;
    budi's sign-in goes on."""
    page = without_autofill
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_visible()

    other_tab = budi_begins_in_another_tab(page)

    page.get_by_role("button", name="Sign in with a passkey").click()
    refused_while_budi_goes_on(page, other_tab)
