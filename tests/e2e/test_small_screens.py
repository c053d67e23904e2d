"""At 375 px every table keeps its meaning: rows stack, and each cell says which column it is
(data-label), so "Created" and "Last used" never read as two bare dates. The same pages name
browsers and sign-in methods in words (Chrome on Linux, password), never in codes."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from mfa.models import TrustedDevice
from mfa.passkeys.models import Passkey
from tests.e2e.person import IMG, PHONE, Person

# Each cell of each table: what it shows before its text on a phone (the ::before content),
# and whether its row is stacked. Empty cells and cells that hold only buttons or links need
# no label.
CELLS = """() => [...document.querySelectorAll("main table tbody td")].map((td) => ({
  label: getComputedStyle(td, "::before").content,
  stacked: getComputedStyle(td).display === "block",
  text: td.innerText.trim(),
  actionsOnly: td.querySelector("button, a") !== null
    && td.innerText.trim() === [...td.querySelectorAll("button, a")]
      .map((e) => e.innerText.trim()).join(" · "),
}))"""


def phone_shot(person: Person, name: str) -> None:
    """The user guide's picture of this screen on a phone (<name>-375.png in person.IMG)."""
    IMG.mkdir(parents=True, exist_ok=True)
    person.page.screenshot(path=IMG / f"{name}-375.png", full_page=True)


def labelled(person: Person, expected: list[str]) -> list[dict]:
    cells = person.page.evaluate(CELLS)
    assert cells, f"no table on {person.page.url}"
    for cell in cells:
        assert cell["stacked"], cell
        if cell["text"] and not cell["actionsOnly"]:
            assert cell["label"] not in ("none", "normal", '""'), cell
    labels = {cell["label"].strip('"') for cell in cells}
    assert set(expected) <= labels, labels
    return cells


def test_tables_keep_their_column_names_on_a_phone(person: Person, user, password):
    TrustedDevice.objects.create(
        user=user,
        token_hash="t" * 64,
        expires_at=timezone.now() + timedelta(days=14),
        user_agent=(
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0.0.0 Safari/537.36"
        ),
        ip="203.0.113.9",
    )
    person.sign_in_with_password("ani", password)
    person.is_home("Ani")
    # Registered since (a passkey before signing in would ask for it as the second factor).
    Passkey.objects.create(
        user=user, name="My phone", credential_id="AAAA", public_key=b"\x00",
        last_used_at=timezone.now(),
    )  # fmt: skip
    person.page.set_viewport_size(PHONE)

    person.page.goto("/security/passkeys/")
    cells = labelled(person, ["Device name", "Created", "Last used", "Synced"])
    assert {"label": '"Created"'}.items() <= cells[1].items()
    person.look()

    person.page.goto("/security/devices/")
    labelled(person, ["Device", "IP address", "Trusted since", "Until"])
    expect(person.page.get_by_role("cell", name="Chrome on Windows")).to_be_visible()
    expect(person.page.get_by_text("Mozilla/5.0")).to_have_count(0)
    person.look()

    person.page.goto("/accounts/activity/")
    labelled(person, ["Time", "Event", "Result", "Device", "IP address"])
    expect(person.page.get_by_role("cell", name="Chrome on Linux").first).to_be_visible()
    expect(person.page.get_by_role("cell", name="Signed in (password)")).to_be_visible()
    expect(person.page.get_by_text("(pwd)")).to_have_count(0)
    person.look()
    phone_shot(person, "31-recent-activity")

    person.page.goto("/accounts/sessions/")
    labelled(person, ["Device", "IP address", "Signed in"])
    expect(person.page.get_by_role("cell", name="Chrome on Linux (this session)")).to_be_visible()
    person.look()
    phone_shot(person, "32-where-signed-in")
    assert person.fits_the_screen()
