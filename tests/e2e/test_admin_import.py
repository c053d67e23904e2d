"""An admin imports accounts in Chromium, in English and Bahasa Indonesia: a file with a bad row
gets a preview that names the row and what is wrong and writes nothing; the fixed file previews
the new accounts, Confirm import writes them, and the Users list counts the invitations going
out. axe checks every screen; the English screenshots go to docs/admin-guide.md."""

import re

from playwright.sync_api import expect

from accounts.models import User
from tests.e2e.person import IMG, Person
from tests.e2e.test_overview import enter_as_admin

BAD = (
    "username,name,email\n"
    "rina.siti,Rina Siti,rina@example.com\n"
    "budi,Budi Santoso,budi(at)example.com\n"
)
FIXED = BAD.replace("budi(at)example.com", "budi@example.com")


def _upload(person: Person, text: str, file_label: str, submit: str, invite: str = "") -> None:
    page = person.page
    page.get_by_label(file_label).set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_label("Format").select_option(label="csv")
    if invite:
        page.get_by_label(invite).check()
    page.get_by_role("button", name=submit).click()


def _row_error(person: Person, message: str) -> None:
    """The wrong row alone, by its number among the data rows, with the column and what is
    wrong; the right row (1) has no error line."""
    row = person.page.get_by_role("row", name=re.compile(rf"^2 .*email {re.escape(message)}"))
    expect(row).to_have_count(1)
    expect(person.page.get_by_role("row", name=re.compile(r"^1 "))).to_have_count(0)


def test_admin_imports_accounts_in_english(person: Person, make_user, live_server):
    enter_as_admin(person, make_user, live_server)
    page = person.page
    page.goto("/admin/accounts/user/", timeout=30_000)  # the first admin page compiles a lot
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_text("username, name, email, phone, groups, is_staff")).to_be_visible()
    person.look()

    _upload(person, BAD, "File to import", "Submit")
    person.sees("Some rows failed to validate")
    _row_error(person, "Enter a valid email address.")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    person.look()
    page.screenshot(path=str(IMG / "47-admin-import-errors-1280.png"), full_page=True)
    assert not User.objects.filter(username__in=["rina.siti", "budi"]).exists()

    _upload(person, FIXED, "File to import", "Submit", invite="Invite the new accounts")
    person.sees("Below is a preview of data to be imported.")
    expect(page.get_by_text("New").first).to_be_visible()
    person.look()
    page.screenshot(path=str(IMG / "48-admin-import-preview-1280.png"), full_page=True)
    assert not User.objects.filter(username="rina.siti").exists()  # nothing written yet

    page.get_by_role("button", name="Confirm import").click()
    person.sees(re.compile(r"Import finished: 2 new, 0 updated"))
    for name in ("rina.siti", "budi"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    # The workers sent both invitations (inline here); the line above the list counts them.
    person.sees(re.compile(r"Invitations of the last import .*: 2 of 2 sent, 0 failed, 0 waiting"))
    person.look()
    page.screenshot(path=str(IMG / "49-admin-import-done-1280.png"), full_page=True)
    assert set(User.objects.values_list("email", flat=True)) >= {
        "rina@example.com", "budi@example.com",
    }  # fmt: skip


def test_admin_imports_accounts_in_indonesian(orang: Person, make_user, live_server):
    enter_as_admin(orang, make_user, live_server)
    page = orang.page
    page.goto("/admin/accounts/user/import/", timeout=30_000)
    orang.look()
    _upload(orang, BAD, "Berkas yang diimpor", "Kirim")
    orang.sees("Beberapa baris tidak lolos pemeriksaan")
    _row_error(orang, "Masukkan alamat email yang valid.")
    expect(page.get_by_role("button", name="Konfirmasi impor")).to_have_count(0)
    orang.look()

    _upload(orang, FIXED, "Berkas yang diimpor", "Kirim")
    orang.sees("Berikut pratinjau data yang akan diimpor.")
    orang.look()
    page.get_by_role("button", name="Konfirmasi impor").click()
    orang.sees(re.compile(r"Impor pengguna selesai: 2 baru, 0 diperbarui"))
    expect(page.get_by_role("link", name="budi", exact=True)).to_be_visible()
    orang.look()
    assert User.objects.filter(username__in=["rina.siti", "budi"]).count() == 2
