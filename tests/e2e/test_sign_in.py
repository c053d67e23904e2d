"""Signing in with a password, a wrong password, the keyboard alone, and a forgotten password
(seeds/000 §4.1 steps 1-5 and 4a, 4b)."""

import re

from playwright.sync_api import expect

from accounts.models import AuditEvent
from tests.e2e.person import Inbox, Person


def test_sign_in_with_password_only_then_sign_out(person: Person, user, password):
    pages = person.documents_fetched()
    person.type_username("ani", shot="01-username")
    # Next shows step 2 on the username page itself (portal.js): no request, and the name typed.
    expect(person.page).to_have_url(re.compile(r"/accounts/login/#method-step$"))
    expect(person.page.get_by_text("Signing in as ani")).to_be_visible()
    expect(person.page.get_by_label("Username", exact=True)).to_be_hidden()
    expect(person.page.get_by_role("link", name="Sign in with password")).to_be_focused()
    person.choose_password(shot="02-method")
    expect(person.page.get_by_label("Password", exact=True)).to_be_focused()
    person.type_password(password, shot="03-password")
    person.is_home("Ani", shot="04-home")
    # Next and "Sign in with password" show what the username page holds, and Sign in (the
    # password with the name typed) is answered with Home: two documents in all.
    assert pages == [
        ("GET", "/accounts/login/"),
        ("POST", "/accounts/login/password/"),
    ]
    person.open_user_menu()
    person.look(shot="05-user-menu")
    person.click("Sign Out")
    person.sees("You have signed out.")
    person.sees_heading("Sign in")
    person.look()


def test_back_from_step_2_leads_to_the_username_and_a_reload_keeps_the_name(
    person: Person, user, password
):
    """Step 2 on the username page is a place in the browser's history: Back shows the
    username again, Next shows step 2 again, and a reload of it keeps the name typed."""
    page = person.page
    person.type_username("ani")
    expect(page.get_by_text("Signing in as ani")).to_be_visible()
    page.go_back()
    expect(page.get_by_label("Username", exact=True)).to_be_visible()
    expect(page.get_by_label("Username", exact=True)).to_be_focused()
    expect(page.get_by_role("link", name="Sign in with password")).to_be_hidden()
    person.fill("Username", "budi")
    person.click("Next")
    expect(page.get_by_text("Signing in as budi")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Signing in as budi")).to_be_visible()


def test_the_passkey_choice_posts_the_name_step_2_shows(person: Person, user, make_user):
    """Back, the username field changed without Next, then Forward: step 2 still says "Signing
    in as ani", and the passkey chosen there is Ani's sign-in, as the password would be."""
    make_user("budi")
    page = person.page
    person.type_username("ani")
    page.go_back()
    person.fill("Username", "budi")
    page.go_forward()
    expect(page.get_by_text("Signing in as ani")).to_be_visible()
    page.get_by_role("link", name="Sign in with passkey").click()
    expect(page).to_have_url(re.compile(r"/security/passkeys/signin/$"))
    expect(page.get_by_text("Signing in as ani")).to_be_visible()


def test_reloading_a_page_shown_in_place_asks_for_the_page_not_the_form(
    person: Person, user, password, phone
):
    """Sign in is answered with the code page, which carries its own address: a reload is a
    GET of it (no "resend the form?" question, no second POST)."""
    page = person.page
    person.sign_in_with_password("ani", password)
    expect(page).to_have_url(re.compile(r"/security/challenge/totp/$"))
    fetched = person.documents_fetched()
    page.reload()
    expect(page.get_by_role("button", name="Validate")).to_be_visible()
    assert fetched == [("GET", "/security/challenge/totp/")]


def test_a_wrong_password_says_so_next_to_the_form(person: Person, user):
    person.type_username("ani")
    person.choose_password()
    person.type_password("not the password at all")
    alert = person.page.get_by_role("alert")
    expect(alert).to_have_text("Wrong username or password.")
    person.look(shot="06-wrong-password", phone=True)
    # A reload asks for the password page; the wrong password is not posted (and counted) again.
    fetched = person.documents_fetched()
    person.page.reload()
    expect(person.page.get_by_label("Password", exact=True)).to_be_visible()
    assert fetched == [("GET", "/accounts/login/password/")]
    assert AuditEvent.objects.filter(kind="signin.password", user=user).count() == 1
    # The same words for an account that does not exist (no user enumeration).
    person.type_username("nobody")
    person.choose_password()
    person.type_password("not the password at all")
    expect(person.page.get_by_role("alert")).to_have_text("Wrong username or password.")


def test_keyboard_only_sign_in_with_visible_focus(person: Person, user, password):
    page = person.page
    keyboard = page.keyboard
    page.goto("/accounts/login/")

    def focused() -> dict:
        return page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
            return {label: e.labels?.[0]?.textContent?.trim() || e.textContent.trim(),
                    tag: e.tagName, outline: s.outlineStyle, width: s.outlineWidth}; }"""
        )

    def tab_to(name: str, limit: int = 20) -> None:
        for _ in range(limit):
            keyboard.press("Tab")
            now = focused()
            if now["label"].startswith(name):
                assert now["outline"] != "none" and now["width"] != "0px", now  # visible focus
                return
        raise AssertionError(f"Tab never reached {name!r}")

    # The username field has the focus at once (autofocus); Shift+Tab goes back up the page,
    # through the header, to the skip link.
    expect(page.get_by_label("Username")).to_be_focused()
    for _ in range(10):
        keyboard.press("Shift+Tab")
        if focused()["label"] == "Skip to content":
            break
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    tab_to("Username")
    keyboard.type("ani")
    tab_to("Next")
    keyboard.press("Enter")
    expect(page.get_by_role("link", name="Sign in with password")).to_be_visible()
    tab_to("Sign in with password")
    keyboard.press("Enter")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()  # autofocus
    keyboard.type(password)
    keyboard.press("Enter")
    person.is_home("Ani")
    # The user menu opens and signs out from the keyboard too.
    page.get_by_label("User menu").focus()
    keyboard.press("Enter")
    expect(
        page.locator(".user-menu-panel").get_by_role("link", name="Security Settings")
    ).to_be_visible()
    tab_to("Security Settings")
    keyboard.press("Enter")
    person.sees_heading("Security Settings")


def test_forgot_password_mails_a_link_that_sets_a_new_password(
    person: Person, inbox: Inbox, user, password
):
    person.type_username("ani")
    person.choose_password()
    person.click("Forgot password?", role="link")
    person.sees_heading("Forgot password")
    person.fill("Email", "ani@example.com")
    person.fill("Username", "ani")
    person.look(shot="07-forgot-password", phone=True)
    person.click("Send link")
    person.sees_heading("Check your email")
    person.look(shot="08-check-your-email")

    person.page.goto(inbox.link(1))
    person.sees_heading("Choose a new password")
    new_password = "a new and long passphrase 2026"
    person.fill("New password", new_password)
    person.fill("New password confirmation", new_password)
    person.look(shot="09-new-password", phone=True)
    person.click("Save password")
    person.sees_heading("Password changed")
    person.look()

    person.click("Sign in", role="link")
    person.sign_in_with_password("ani", new_password)
    person.is_home("Ani")


def test_confirm_and_continue_pressed_twice_signs_in(person: Person, user, phone, password):
    """A double click on Confirm and Continue: the browser sends the form once (portal.js),
    so the person lands on Home, signed in. Sent twice, one Confirm completes the sign-in and
    the other, answered as a sign-in that has ended, left the browser on the username page
    saying the sign-in had expired."""
    person.sign_in_with_password("ani", password)
    person.is_asked_for("Authenticator")
    person.validate(phone.now())
    person.sees_heading("Verified")
    pages = person.documents_fetched()

    button = person.page.get_by_role("button", name="Confirm and Continue").bounding_box()
    x, y = button["x"] + button["width"] / 2, button["y"] + button["height"] / 2
    person.page.mouse.click(x, y)
    person.page.wait_for_timeout(30)  # the first answer is on its way: pressed again
    person.page.mouse.click(x, y)

    person.is_home("Ani")
    assert pages.count(("POST", "/security/challenge/confirm/")) == 1
    person.page.reload()
    person.is_home("Ani")
