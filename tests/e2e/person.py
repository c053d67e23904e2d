"""A person at a browser: the steps of seeds/000 as someone clicks them, by what is on screen.

Every step finds elements by their role, label or text only. ``look`` is called on each page
the person reaches: axe-core must find no serious or critical violation, the browser must not
have refused anything under the Content-Security-Policy, and a screenshot may be taken for
docs/user-guide.md (<name>-1280.png, and -375.png for the main screens): into var/screenshots/,
or into the folder ``E2E_SCREENSHOTS_DIR`` names (``make screenshots`` renews docs/img/ so). A
test run leaves the repository's files as they were.
"""

import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, expect

REPO = Path(__file__).resolve().parents[2]
IMG = Path(os.environ.get("E2E_SCREENSHOTS_DIR") or REPO / "var" / "screenshots").resolve()
IMG.mkdir(parents=True, exist_ok=True)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
SERIOUS = {"serious", "critical"}

AXE_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ")),
  }));
}"""


# The account e-mail proof page: heading, Send code, the code field, Verify.
PROOF_PAGE_WORDS = ("Set up a second factor", "Send code", "Code", "Verify")


def last_mailed_code() -> str:
    """The 6-digit code of the last mail in Django's test outbox (locmem, tasks inline)."""
    from django.core import mail

    return re.search(r"^\s+(\d{6})\s*$", mail.outbox[-1].body, re.MULTILINE).group(1)


class Person:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.refused: list[str] = []
        self.pages_checked: list[str] = []
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        # axe itself copies a stylesheet's @import (Django admin's forms.css) into a <style>
        # when it reads the CSS: the CSP refuses the checker's copy, not anything of the page.
        if message.location.get("url", "").endswith("axe.min.js"):
            return
        if "Content Security Policy" in message.text:
            self.refused.append(f"{self.page.url}: {message.text}")

    def documents_fetched(self) -> list[tuple[str, str]]:
        """From now on, the method and path of every page the browser asks for (not its
        styles, scripts or images), in a list that grows as it does."""
        fetched: list[tuple[str, str]] = []

        def note(request) -> None:  # type: ignore[no-untyped-def]
            if request.resource_type == "document":
                fetched.append((request.method, urlsplit(request.url).path))

        self.page.on("request", note)
        return fetched

    # --- checks ---------------------------------------------------------------------------

    def look(self, shot: str = "", phone: bool = False) -> None:
        """Checks the page a person now sees; saves its screenshot when ``shot`` is given."""
        page = self.page
        page.wait_for_load_state()
        violations = [v for v in page.evaluate(AXE_RUN) if v["impact"] in SERIOUS]
        assert not violations, f"axe on {page.url}:\n" + "\n".join(map(str, violations))
        assert not self.refused, "refused by the CSP:\n" + "\n".join(self.refused)
        self.pages_checked.append(page.url)
        if shot:
            IMG.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=IMG / f"{shot}-1280.png")
            if phone:
                page.set_viewport_size(PHONE)
                assert self.fits_the_screen(), f"{page.url} scrolls sideways at 375 px"
                page.screenshot(path=IMG / f"{shot}-375.png", full_page=True)
                page.set_viewport_size(DESKTOP)

    def fits_the_screen(self) -> bool:
        return self.page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )

    def sees(self, text: str | re.Pattern) -> None:
        expect(self.page.get_by_text(text).first).to_be_visible()

    def sees_heading(self, name: str | re.Pattern) -> None:
        heading = self.page.get_by_role("heading", name=name, exact=isinstance(name, str))
        expect(heading).to_be_visible()

    def click(self, name: str | re.Pattern, role: str = "button") -> None:
        self.page.get_by_role(role, name=name, exact=isinstance(name, str)).click()

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).fill(value)

    # --- sign-in (seeds/000 §4.1 steps 1-5) ----------------------------------------------

    def type_username(self, username: str, shot: str = "") -> None:
        self.page.goto("/accounts/login/")
        self.sees_heading("Sign in")
        self.look(shot, phone=True)
        self.fill("Username", username)
        self.click("Next")

    def choose_password(self, shot: str = "") -> None:
        self.sees_heading("Sign in")
        self.look(shot, phone=True)
        self.click("Sign in with password", role="link")

    def type_password(self, password: str, shot: str = "") -> None:
        self.fill("Password", password)
        self.look(shot, phone=True)
        self.click("Sign in")

    def sign_in_with_password(self, username: str, password: str) -> None:
        """Username, Next, Sign in with password, Password, Sign in."""
        self.type_username(username)
        self.choose_password()
        self.type_password(password)

    def is_home(self, name: str, shot: str = "") -> None:
        self.sees_heading(f"Welcome, {name}")
        # Home answers the sign-in's last step in place (sso/in_place.py): under its address.
        expect(self.page).to_have_url(re.compile(r"^https?://[^/]+/$"))
        self.look(shot, phone=True)

    def open_user_menu(self) -> None:
        self.page.get_by_label("User menu").click()

    def sign_out(self) -> None:
        self.open_user_menu()
        self.click("Sign Out")
        self.sees("You have signed out.")
        self.look()

    def open_security_settings(self, tab: str = "", shot: str = "") -> None:
        """User menu (top right) → Security Settings, then a tab (seeds/000 §4.1 step 6)."""
        self.open_user_menu()
        # Home may link to Security Settings too; the manual's way is the user menu.
        menu = self.page.locator(".user-menu-panel")
        menu.get_by_role("link", name="Security Settings", exact=True).click()
        self.sees_heading("Security Settings")
        if tab:
            self.open_tab(tab)
        self.look(shot, phone=bool(shot))

    def open_tab(self, tab: str) -> None:
        nav = self.page.get_by_role("navigation", name="Security Settings")
        nav.get_by_role("link", name=tab, exact=True).click()
        self.sees_heading(tab)

    def confirm_account_email(
        self,
        code: Callable[[], str] | None = None,
        shot: str = "",
        words: tuple[str, str, str, str] = PROOF_PAGE_WORDS,
    ) -> None:
        """The account e-mail proof before the first factor of a password-only sign-in
        (mfa.binding): Send code, the code mailed to the account's address (``code()``, else
        the last mail of the test outbox), Verify. ``words``: heading, buttons and field in
        the page's language."""
        heading, send, field, verify = words
        self.sees_heading(heading)
        self.click(send)
        expect(self.page.get_by_label(field, exact=True)).to_be_visible()
        self.fill(field, code() if code else last_mailed_code())
        self.look(shot, phone=bool(shot))
        self.click(verify)

    # --- the MFA challenge (seeds/000 §4: pick, code, Validate, Confirm and Continue) -----

    def pick_method(self, label: str, shot: str = "") -> None:
        self.sees_heading("Verify it's you")
        expect(self.page).to_have_url(re.compile(r"/security/challenge/$"))
        self.look(shot, phone=bool(shot))
        self.page.get_by_role("button", name=re.compile(f"^{re.escape(label)}")).click()
        self.sees_heading(label)

    def is_asked_for(self, label: str, shot: str = "") -> None:
        """The account has one factor: no picker, its page comes straight after the password,
        with the way to the other methods (the recovery codes)."""
        self.sees_heading(label)
        # Sign in is answered with this page in place; it carries its own address.
        expect(self.page).to_have_url(re.compile(r"/security/challenge/[a-z]+/$"))
        expect(self.page.get_by_role("heading", name="Verify it's you")).to_have_count(0)
        expect(self.page.get_by_role("link", name="Choose another method")).to_be_visible()
        self.look(shot, phone=bool(shot))

    def is_sent_a_code(self, label: str, shot: str = "") -> None:
        """The only factor sends a code (e-mail, SMS): it went out with the password and its
        page is shown (seeds/001)."""
        self.is_asked_for(label, shot)

    def validate(self, code: str, shot: str = "", label: str = "Code") -> None:
        self.fill(label, code)
        self.look(shot, phone=bool(shot))
        self.click("Validate")

    def confirm_and_continue(self, trust: bool = True, shot: str = "") -> None:
        self.sees_heading("Verified")
        # Validate is answered with this page in place; it carries its own address.
        expect(self.page).to_have_url(re.compile(r"/security/challenge/confirm/$"))
        trust_box = self.page.get_by_label("Trust this device")
        expect(trust_box).to_be_checked()  # seeds/000 §4 item 4: checked by default
        expect(trust_box).to_have_accessible_description(re.compile("until midnight"))
        self.look(shot, phone=bool(shot))
        if not trust:
            trust_box.uncheck()
        self.click("Confirm and Continue")


class Inbox:
    """The SMTP server's mailbox, read as the person reads their mail (notices about security
    changes arrive in between and are skipped)."""

    CODE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)
    LINK = re.compile(r"https?://\S+/password/reset/\S+")

    def __init__(self, smtp) -> None:  # tests.conftest.SmtpInbox
        self.smtp = smtp

    def _found(self, pattern: re.Pattern, count: int) -> list[str]:
        with self.smtp.received:
            self.smtp.received.wait_for(lambda: len(self._matches(pattern)) >= count, timeout=20)
            found = self._matches(pattern)
        assert len(found) >= count, f"expected {count} mails matching {pattern.pattern}"
        return found

    def _matches(self, pattern: re.Pattern) -> list[str]:
        bodies = (m.get_body(preferencelist=("plain",)).get_content() for m in self.smtp.messages)
        return [m.group(m.lastindex or 0) for b in bodies if (m := pattern.search(b))]

    def code(self, count: int) -> str:
        """The 6-digit code of the ``count``-th code mail."""
        return self._found(self.CODE, count)[count - 1]

    def link(self, count: int = 1) -> str:
        """The password-reset link of the ``count``-th such mail."""
        return self._found(self.LINK, count)[count - 1]
