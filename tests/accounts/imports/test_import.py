"""Bulk import and export of accounts through django-import-export: preview, per-row errors,
idempotent, all or nothing, the command, and formulas kept out of exports."""

import io
import random
import re
import zipfile
from html import unescape
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.imports.flows import FORMATS, FileRefused, import_dataset, read_dataset
from accounts.imports.resources import AccountResource, changed_elsewhere_message
from accounts.invitations.models import Invitation
from accounts.models import AuditEvent, User

pytestmark = pytest.mark.django_db

GOOD = (
    "username,name,email,phone,groups,is_staff\n"
    "rina.siti,Rina Siti,rina@example.com,+6281234567890,,\n"
    "budi,Budi Santoso,budi@example.com,,,0\n"
)


def _import(text: str, **kwargs):
    kwargs.setdefault("actor", None)
    kwargs.setdefault("dry_run", False)
    kwargs.setdefault("allow_privileged", True)
    return import_dataset(read_dataset(text.encode(), "csv"), **kwargs)


def test_import_creates_accounts_without_passwords_and_is_idempotent():
    report = _import(GOOD)
    assert report.ok, report.row_errors
    assert report.totals == {"new": 2, "update": 0, "skip": 0}
    rina = User.objects.get(username="rina.siti")
    assert (rina.full_name, rina.email, rina.phone) == (
        "Rina Siti",
        "rina@example.com",
        "+6281234567890",
    )
    assert not rina.has_usable_password()

    again = _import(GOOD)
    assert again.totals == {"new": 0, "update": 0, "skip": 2}
    changed = _import(GOOD.replace("Budi Santoso", "Budi S.").replace("rina.siti", "RINA.SITI"))
    assert changed.totals == {"new": 0, "update": 1, "skip": 1}
    assert User.objects.count() == 2
    assert User.objects.get(username_canonical="budi").full_name == "Budi S."
    assert User.objects.filter(username="rina.siti").exists()  # its own spelling stays
    assert AuditEvent.objects.filter(kind="accounts.imported").count() == 3


def test_a_dry_run_writes_nothing():
    report = _import(GOOD, dry_run=True)
    assert report.ok and report.totals["new"] == 2
    assert not User.objects.exists()


def test_one_bad_row_and_nothing_is_written(make_user):
    make_user("ani")
    text = (
        "username,name,email\n"
        "new.one,New One,new@example.com\n"
        "bad name!,Bad,bad@example.com\n"
        "third,Third,not-an-address\n"
        "ANI,Ani Updated,ani@example.com\n"
        "R\u0131na,Rina,r1@example.com\n"
        "rina,Rina Again,r2@example.com\n"
        ",No Name,nobody@example.com\n"
    )
    report = _import(text)
    assert not report.ok
    errors = dict(report.row_errors)
    assert set(errors) == {2, 3, 6, 7}
    assert "Enter a valid username" in " ".join(errors[2])
    assert "Enter a valid email address" in " ".join(errors[3])
    assert "Row 5 has the same username" in " ".join(errors[6])
    assert "required" in " ".join(errors[7])
    # All or nothing: the good rows were rolled back too.
    assert list(User.objects.values_list("username", flat=True)) == ["ani"]
    assert User.objects.get().full_name == "Ani"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("username,email", "missing name"),
        ("user,name,email", "missing username"),
        ("username,name,email,password", "unknown password"),
    ],
)
def test_wrong_columns_are_refused(header, message):
    values = ",".join(["rina", "Rina", "rina@example.com", "x"][: header.count(",") + 1])
    report = _import(f"{header}\n{values}\n")
    assert not report.ok
    assert message in report.file_errors[0]
    assert not User.objects.exists()


@pytest.mark.parametrize("header", ["username,name,email,email", "username,name,email, email"])
def test_a_column_given_twice_is_refused(header):
    """Two ``email`` columns (one with a space before it): one of them was imported in
    silence, the last, whichever the admin meant."""
    report = _import(f"{header}\nrina,Rina,rina@example.com,other@example.com\n")
    assert not report.ok
    assert report.file_errors == [
        "Columns given more than once: email. Each column may appear once."
    ]
    assert not User.objects.exists()
    with translation.override("id"):
        report = _import(f"{header}\nrina,Rina,rina@example.com,other@example.com\n")
    assert report.file_errors == [
        "Kolom yang muncul lebih dari sekali: email. Setiap kolom hanya boleh muncul sekali."
    ]


def test_a_nul_in_a_cell_is_refused_in_its_column():
    """PostgreSQL stores no NUL: its error was the row's message, naming neither the column
    nor anything an admin could act on (and SQLite stored the NUL)."""
    report = _import("username,name,email\nrina,Ri\x00na,rina@example.com\n")
    assert not report.ok
    assert report.row_errors == [(1, ["name: Null characters are not allowed."])]
    assert not User.objects.exists()


def test_a_nul_in_a_username_is_refused_in_its_column_in_a_non_superuser_s_file(make_user):
    """The groups of a non-superuser's file are read for every username cell before any row
    is: a NUL there was sent to PostgreSQL, whose error became the file's message."""
    make_user("rina")
    text = "username,name,email,groups\nri\x00na,Rina,rina@example.com,\n"
    report = _import(text, allow_privileged=False)
    assert report.file_errors == []
    assert report.row_errors == [(1, ["username: Null characters are not allowed."])]


def test_bad_encoding_too_big_and_not_a_workbook(settings):
    with pytest.raises(FileRefused, match="not UTF-8"):
        read_dataset(
            "username,name,email\nr\xeena,R\xeena,r@example.com\n".encode("latin-1"), "csv"
        )
    settings.ACCOUNTS_IMPORT_MAX_BYTES = 1024 * 1024
    with pytest.raises(FileRefused, match="larger than 1 MB"):
        read_dataset(b"x" * (1024 * 1024 + 1), "csv")
    with pytest.raises(FileRefused, match="not a readable XLSX"):
        read_dataset(b"username,name,email\n", "xlsx")
    workbook = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["username", "name", "email"])
    book.save(workbook)
    with pytest.raises(FileRefused, match=r"is an XLSX workbook, not CSV text\. Choose XLSX"):
        read_dataset(workbook.getvalue(), "csv")
    with pytest.raises(FileRefused, match="CSV or XLSX"):
        read_dataset(b"{}", "json")


def test_xlsx_with_groups_and_staff():
    Group.objects.create(name="Finance")
    Group.objects.create(name="Helpdesk 2")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["username", "name", "email", "groups", "is_staff"])
    sheet.append(["dewi", "Dewi", "dewi@example.com", "Finance, Helpdesk 2", "1"])
    sheet.append(["eka", "Eka", "eka@example.com", "", "0"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_dataset(
        read_dataset(buffer.getvalue(), "xlsx"), actor=None, dry_run=False, allow_privileged=True
    )
    assert report.ok, report.row_errors
    dewi = User.objects.get(username="dewi")
    assert dewi.is_staff and set(dewi.groups.values_list("name", flat=True)) == {
        "Finance", "Helpdesk 2",
    }  # fmt: skip
    assert not User.objects.get(username="eka").is_staff


def test_a_workbook_s_empty_rows_at_its_end_are_not_rows(settings):
    """Cells once formatted (or cleared) below the data keep their rows in the workbook: they
    were counted against the row limit, and each was refused for its missing username."""
    settings.ACCOUNTS_IMPORT_MAX_ROWS = 3
    book = openpyxl.load_workbook(io.BytesIO(_workbook(["username", "name", "email"])))
    book.active.append(["dewi", "Dewi", "dewi@example.com"])
    for row in range(3, 40):
        book.active.cell(row=row, column=1).number_format = "@"
        book.active.cell(row=row, column=3, value="  ")
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_dataset(read_dataset(buffer.getvalue(), "xlsx"), actor=None, dry_run=False)
    assert report.ok, (report.file_errors, report.row_errors[:3])
    assert report.totals == {"new": 1, "update": 0, "skip": 0}


def _sheet_declaring(cells: dict[str, object]) -> bytes:
    """A workbook of a header, one account and the given far ``cells`` (by address)."""
    book = openpyxl.Workbook()
    book.active.append(["username", "name", "email"])
    book.active.append(["dewi", "Dewi", "dewi@example.com"])
    for address, value in cells.items():
        book.active[address] = value
        book.active[address].number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_declaring_a_vast_sheet_is_read_within_the_import_s_bounds(settings):
    """A workbook of a few kilobytes may hold one cell at a sheet's far end: openpyxl gives
    every row up to it, as wide as the sheet, and the whole was read into memory before any
    row was counted (a far corner of the largest sheet: over a hundred gigabytes), and a cell
    at row 10^12 kept a worker busy for days. A value under no heading refuses the file, naming
    its column, as does a header naming more than 64; an empty far cell is no row; rows past
    the limit are counted, not kept."""
    settings.ACCOUNTS_IMPORT_MAX_ROWS = 3
    far_value = import_dataset(
        read_dataset(_sheet_declaring({"BL2": "x"}), "xlsx"), actor=None, dry_run=True
    )
    assert far_value.file_errors == [  # column 64
        "Column 64 has no name in the header, but row 1 has a value in it. Name the column in "
        "the header, or remove the value."
    ]
    with pytest.raises(FileRefused, match="names more than 64 columns"):
        read_dataset(_sheet_declaring({"BZ1": "is_staff", "BZ2": False}), "xlsx")  # column 78
    far_empty = _sheet_declaring({"XFD200000": None})  # the last column, row 200,000
    assert len(read_dataset(far_empty, "xlsx")) == 1
    many = _sheet_declaring({f"A{row}": f"user{row}" for row in range(3, 8)})
    with pytest.raises(FileRefused, match=r"The file has 6 rows; at most 3 are allowed\."):
        read_dataset(many, "xlsx")
    settings.ACCOUNTS_IMPORT_MAX_ROWS = 4
    spread = _sheet_declaring({"A5": "eko", "B5": "Eko", "C5": "eko@example.com"})
    dataset = read_dataset(spread, "xlsx")  # an empty row between two accounts stays a row
    assert [row[0] for row in dataset] == ["dewi", None, None, "eko"]


def test_a_workbook_s_rows_past_its_stale_declared_size_are_read():
    """A sheet's declared size (``<dimension>``) may be stale: openpyxl stopped at it and the
    rows past it were dropped in silence."""
    book = openpyxl.load_workbook(io.BytesIO(_sheet_declaring({"A3": "eko"})))
    buffer = io.BytesIO()
    book.save(buffer)
    content = _with_declared_size(buffer.getvalue(), "A1:C2")
    assert [row[0] for row in read_dataset(content, "xlsx")] == ["dewi", "eko"]


def _with_declared_size(content: bytes, size: str) -> bytes:
    """``content`` (a workbook) with its first sheet's ``<dimension>`` set to ``size``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{size}"'.encode(), data)
            target.writestr(item, data)
    return out.getvalue()


def test_a_workbook_heading_that_is_a_number_is_named_as_a_column():
    """A heading cell holding a number was refused with Python's own words ("'int' object has
    no attribute 'strip'")."""
    content = _workbook(["username", "name", "email", 2024], ["dewi", "Dewi", "d@example.com", 1])
    report = import_dataset(read_dataset(content, "xlsx"), actor=None, dry_run=True)
    assert report.file_errors == [
        "Wrong columns: missing -; unknown 2024. Expected: username, name, email, phone, "
        "groups, is_staff, language."
    ]


def _workbook_that_unpacks_to(megabytes: int) -> bytes:
    """A valid workbook of one account, with one more part of ``megabytes`` of zeros: a few
    kilobytes as a file, far more once unpacked (as a zip bomb, which would be read whole)."""
    book = openpyxl.Workbook()
    book.active.append(["username", "name", "email"])
    book.active.append(["rina", "Rina", "rina@example.com"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(megabytes * 1024 * 1024))
    return buffer.getvalue()


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_read(settings):
    settings.ACCOUNTS_IMPORT_MAX_BYTES = 1024 * 1024  # unpacked: at most 10 MB
    content = _workbook_that_unpacks_to(11)
    assert len(content) < 1024 * 1024
    with pytest.raises(FileRefused, match="larger than 10 MB once unpacked"):
        read_dataset(content, "xlsx")
    assert len(read_dataset(_workbook_that_unpacks_to(9), "xlsx")) == 1


def test_unknown_groups_and_privileged_columns_without_the_right():
    report = _import("username,name,email,groups\nrina,Rina,r@example.com,Nope\n")
    assert "Unknown groups: Nope" in " ".join(dict(report.row_errors)[1])
    report = _import(
        "username,name,email,is_staff\nrina,Rina,r@example.com,1\n", allow_privileged=False
    )
    assert "Only a superuser may import groups or staff status." in " ".join(
        dict(report.row_errors)[1]
    )
    assert not User.objects.exists()


def test_the_language_column_sets_the_preference_and_an_empty_cell_keeps_it(make_user):
    make_user("ani", preferred_language="id")
    report = _import(
        "username,name,email,language\n"
        "ani,Ani,ani@example.com,\n"
        "rina,Rina,rina@example.com,id\n"
        "budi,Budi,budi@example.com,en\n"
    )
    assert report.ok, report.row_errors
    languages = dict(User.objects.values_list("username", "preferred_language"))
    assert languages == {"ani": "id", "rina": "id", "budi": "en"}
    bad = _import("username,name,email,language\neka,Eka,eka@example.com,fr\n")
    assert dict(bad.row_errors)[1] == [
        "language: “fr” is not a language of the portal. Use one of: en, id."
    ]
    assert not User.objects.filter(username="eka").exists()


def test_the_command_dry_run_invite_and_errors(tmp_path, settings):
    settings.SSO_BASE_URL = "https://sso.example.go.id"
    good = tmp_path / "people.csv"
    good.write_text(GOOD, encoding="utf-8")
    out = io.StringIO()
    call_command("import_accounts", str(good), "--dry-run", stdout=out)
    assert "2 new, 0 updated, 0 unchanged accounts would be imported." in out.getvalue()
    assert not User.objects.exists()

    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("import_accounts", str(good), "--invite", stdout=out)
    assert "2 invitations queued" in out.getvalue()
    assert sorted(m.to[0] for m in mail.outbox) == ["budi@example.com", "rina@example.com"]
    assert all("https://sso.example.go.id/accounts/invitation/" in m.body for m in mail.outbox)
    assert Invitation.objects.count() == 2

    bad = tmp_path / "bad.csv"
    bad.write_text("username,name,email\nx y,X,x@example.com\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 row with errors; nothing was written"):
        call_command("import_accounts", str(bad), stderr=err)
    assert "row 1: username: Enter a valid username" in err.getvalue()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_accounts", str(tmp_path / "missing.csv"))


def test_the_command_speaks_the_active_language(tmp_path, settings):
    """Its summary, errors and refusals were English whatever the language; from a shell the
    active language is LANGUAGE_CODE's."""
    settings.SSO_BASE_URL = "https://sso.example.go.id"
    good = tmp_path / "people.csv"
    good.write_text(GOOD, encoding="utf-8")
    out = io.StringIO()
    with translation.override("id"):
        call_command("import_accounts", str(good), "--dry-run", stdout=out)
    assert out.getvalue() == "Akun yang akan diimpor: 2 baru, 0 diperbarui, 0 tidak berubah.\n"

    out = io.StringIO()
    with translation.override("id"), TestCase.captureOnCommitCallbacks(execute=True):
        call_command("import_accounts", str(good), "--invite", stdout=out)
    assert out.getvalue() == (
        "Akun yang diimpor: 2 baru, 0 diperbarui, 0 tidak berubah.\n"
        "2 undangan masuk antrean (daftar Pengguna, dengan filter undangan, menunjukkan mana "
        "yang sudah terkirim).\n"
    )

    bad = tmp_path / "bad.csv"
    bad.write_text("username,name,email\nx y,X,x@example.com\nz z,Z,z@example.com\n")
    err = io.StringIO()
    with translation.override("id"), pytest.raises(CommandError) as refused:
        call_command("import_accounts", str(bad), stderr=err)
    assert str(refused.value) == "2 baris berisi kesalahan; tidak ada yang disimpan"
    assert err.getvalue().startswith("baris 1: username: ")
    with translation.override("id"), pytest.raises(CommandError, match="tidak dapat membaca"):
        call_command("import_accounts", str(tmp_path / "missing.csv"))


def test_the_command_counts_in_the_singular(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("username,name,email\nrina,Rina,rina@example.com\n", encoding="utf-8")
    out = io.StringIO()
    call_command("import_accounts", str(one), "--dry-run", stdout=out)
    assert out.getvalue() == "1 new, 0 updated, 0 unchanged account would be imported.\n"
    out = io.StringIO()
    call_command("import_accounts", str(one), stdout=out)
    assert out.getvalue() == "1 new, 0 updated, 0 unchanged account was imported.\n"


def test_export_has_the_import_columns_and_no_formulas(tmp_path, make_user):
    make_user("mallory", full_name='=HYPERLINK("http://evil.example","x")', email="m@example.com")
    make_user("budi", full_name="Budi Santoso", email="budi@example.com")
    target = tmp_path / "out.csv"
    call_command("export_accounts", str(target), stdout=io.StringIO())
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "username,name,email,phone,groups,is_staff,language"
    mallory = next(line for line in lines if line.startswith("mallory,"))
    assert not re.search(r",\"?=", mallory)  # the name starts with a quote, not with =
    # An exported file imports back: the plain rows are unchanged.
    report = _import(target.read_text(encoding="utf-8").replace("\r\n", "\n"))
    assert report.ok and report.totals["skip"] >= 1


# --- Django admin: preview, then confirm -------------------------------------------------


@pytest.fixture
def admin(make_user) -> Client:
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def _preview(admin: Client, text: str, invite: bool = False):
    upload = io.BytesIO(text.encode())
    upload.name = "people.csv"
    data = {"import_file": upload, "format": "0", "resource": "0"}
    if invite:
        data["invite"] = "on"
    return admin.post("/admin/accounts/user/import/", data)


def test_admin_preview_then_confirm_and_invite(admin, settings):
    page = _preview(admin, GOOD, invite=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert "rina.siti" in html and "Confirm import" in html
    assert not User.objects.filter(username="rina.siti").exists()
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = admin.post("/admin/accounts/user/process_import/", fields, follow=True)
    text = done.content.decode()
    assert "2 invitations queued" in text
    assert User.objects.filter(username__in=["rina.siti", "budi"]).count() == 2
    assert len(mail.outbox) == 2


def _confirm_fields(page) -> dict:  # type: ignore[no-untyped-def]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.content.decode()))


CONFIRM = "/admin/accounts/user/process_import/"
NOT_WAITING = "This preview is no longer waiting to be confirmed"


def test_admin_confirm_pressed_twice_imports_once_and_says_so(admin):
    """Confirm import sent twice (a double click, Back and again): the second finds the
    preview's file gone, and used to fail with a 500 (FileNotFoundError)."""
    fields = _confirm_fields(_preview(admin, GOOD))
    assert admin.post(CONFIRM, fields).status_code == 302
    again = admin.post(CONFIRM, fields, follow=True)
    assert again.status_code == 200
    assert NOT_WAITING in again.content.decode()
    assert User.objects.filter(username__in=["rina.siti", "budi"]).count() == 2
    assert AuditEvent.objects.filter(kind="accounts.imported").count() == 1


def test_admin_confirms_only_its_own_preview_s_file(admin, make_user, tmp_path, settings):
    """Confirm import names the preview's stored file. Any other name is refused, without
    reading or deleting anything: another admin's pending preview, a file the preview refused,
    and a file of the machine's temporary folder, which import-export read (its rows shown,
    or imported) and then deleted, whatever process it belonged to."""
    import tempfile

    other = Client()
    other.force_login(make_user("root2", is_staff=True, is_superuser=True))
    theirs = _confirm_fields(_preview(other, GOOD))
    refused_name = "username,name,email\nx,y,z,w\n"
    _preview(admin, refused_name)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as stray:
        stray.write("username,name,email\nmallory,Mallory,m@example.com\n")
    mine = _confirm_fields(_preview(admin, "username,name,email\nsari,Sari,sari@example.com\n"))
    for name in (theirs["import_file_name"], stray.name, "../../etc/passwd", "nothing"):
        answer = admin.post(CONFIRM, {**mine, "import_file_name": name}, follow=True)
        assert answer.status_code == 200, name
        assert NOT_WAITING in answer.content.decode(), name
    assert not User.objects.filter(username__in=["rina.siti", "mallory", "sari"]).exists()
    assert Path(stray.name).exists()
    Path(stray.name).unlink()
    assert other.post(CONFIRM, theirs).status_code == 302  # theirs is still waiting for them
    assert User.objects.filter(username="rina.siti").exists()


@pytest.mark.parametrize(
    "changed",
    [{"format": "1"}, {"format": "9"}, {"format": "abc"}, {"resource": "3"}, {"format": ""}],
)
def test_admin_confirm_reads_the_upload_as_its_preview_did(admin, changed):
    """Confirm import sends back the preview's format and resource: changed (an XLSX reader
    for a CSV upload, an index out of range, no format), they used to give a 500 and leave
    the preview unconfirmable. The upload is read as the preview read it."""
    fields = _confirm_fields(_preview(admin, "username,name,email\nsari,Sari,sari@example.com\n"))
    answer = admin.post(CONFIRM, {**fields, **changed})
    assert answer.status_code == 302
    assert User.objects.filter(username="sari").exists()


def test_admin_preview_has_no_style_attributes_and_escapes_cells(admin, make_user):
    """The portal's CSP (style-src 'self') refuses style attributes: import-export's diff
    library writes them on every changed cell, so the preview is written without."""
    make_user("budi", full_name="Budi")
    text = "username,name,email\nrina,<b>Rina</b>,rina@example.com\nbudi,Budi S,budi@example.com\n"
    html = _preview(admin, text).content.decode()
    preview = html[html.index('class="import-preview"') :]
    assert "style=" not in preview
    headings = re.findall(r"<th>([^<]*)</th>", preview)
    assert headings[-3:] == ["username", "name", "email"]
    assert "<ins>&lt;b&gt;Rina&lt;/b&gt;</ins>" in preview  # a new account: all inserted
    assert "<span>Budi</span><ins> S</ins>" in preview  # a change: only what changed


def test_admin_preview_shows_row_errors_and_no_confirm(admin):
    page = _preview(admin, "username,name,email\nok,Ok,ok@example.com\nx y,X,bad\n")
    html = page.content.decode()
    assert "Enter a valid username" in html and "Enter a valid email address" in html
    assert "Confirm import" not in html
    assert not User.objects.filter(username="ok").exists()


def test_admin_refuses_a_file_over_the_size_limit(admin, settings):
    settings.ACCOUNTS_IMPORT_MAX_BYTES = 1024 * 1024
    page = _preview(admin, "username,name,email\n" + "x" * (1024 * 1024))
    assert "The file is larger than 1 MB." in page.content.decode()
    assert not User.objects.exclude(username="root").exists()


def _admin_preview_of_workbook(admin: Client, content: bytes) -> str:
    upload = io.BytesIO(content)
    upload.name = "people.xlsx"
    xlsx = str(list(FORMATS).index("xlsx"))
    data = {"import_file": upload, "format": xlsx, "resource": "0"}
    return admin.post("/admin/accounts/user/import/", data).content.decode()


def test_admin_refuses_a_workbook_that_unpacks_to_too_much(admin, settings):
    settings.ACCOUNTS_IMPORT_MAX_BYTES = 1024 * 1024
    page = _admin_preview_of_workbook(admin, _workbook_that_unpacks_to(11))
    assert "The workbook is larger than 1 MB once unpacked." in page
    assert not User.objects.exclude(username="root").exists()


def test_admin_unpacks_a_workbook_in_proportion_to_the_rows_it_takes(admin, settings, tmp_path):
    """A workbook is parsed whole, at about 0.6 s of CPU per unpacked megabyte: the admin's
    preview, one web request of at most ACCOUNTS_IMPORT_ADMIN_MAX_ROWS (a tenth of the
    command's rows by default), unpacks a tenth as much (10 MB of the command's 100 MB). A
    workbook of a few hundred kilobytes unpacking to 100 MB took a minute per preview, past
    the web server's timeout; the command still reads it."""
    content = _workbook_that_unpacks_to(11)
    page = _admin_preview_of_workbook(admin, content)
    assert "The workbook is larger than 10 MB once unpacked." in page
    assert "Confirm import" not in page
    path = tmp_path / "people.xlsx"
    path.write_bytes(content)
    call_command("import_accounts", str(path), stdout=io.StringIO())
    assert User.objects.filter(username="rina").exists()


def test_admin_counts_the_rows_before_reading_them(admin, settings):
    """manage.py import_accounts refused a file over ACCOUNTS_IMPORT_MAX_ROWS; the admin's
    preview read every row of it (each with its queries), whatever its number."""
    settings.ACCOUNTS_IMPORT_MAX_ROWS = 2
    rows = "".join(f"user{n},User {n},user{n}@example.com\n" for n in range(3))
    shown = _visible_text(_preview(admin, "username,name,email\n" + rows).content.decode())
    assert "Errors The file has 3 rows; at most 2 are allowed." in shown
    assert "user0" not in shown and "Confirm import" not in shown


def test_admin_refuses_a_file_larger_than_it_imports_in_one_request(admin, settings, tmp_path):
    """The preview and the confirmation each run in one web request: a file of more rows than
    ACCOUNTS_IMPORT_ADMIN_MAX_ROWS is refused before a row is read, naming the command, which
    imports it (up to ACCOUNTS_IMPORT_MAX_ROWS). The admin used to read every row, and a web
    server's timeout ended the request (a 10,000-row file took about 50 s of CPU)."""
    settings.ACCOUNTS_IMPORT_ADMIN_MAX_ROWS = 2
    rows = "".join(f"user{n},User {n},user{n}@example.com\n" for n in range(3))
    text = "username,name,email\n" + rows
    shown = _visible_text(_preview(admin, text).content.decode())
    assert (
        "The file has 3 rows; an import here takes at most 2. Split the file, or import it "
        "with manage.py import_accounts, which takes up to 50000 rows."
    ) in shown
    assert "user0" not in shown and "Confirm import" not in shown
    assert not User.objects.filter(username__startswith="user").exists()
    admin.cookies["django_language"] = "id"
    shown = _visible_text(_preview(admin, text).content.decode())
    assert "impor di sini menerima paling banyak 2 baris" in shown

    path = tmp_path / "people.csv"
    path.write_text(text)
    call_command("import_accounts", str(path), stdout=io.StringIO())
    assert User.objects.filter(username__startswith="user").count() == 3


def test_admin_import_speaks_indonesian(admin):
    """django-import-export ships no Indonesian catalogue: the portal's own catalogue
    translates its screens, so an admin reading Bahasa Indonesia sees no English there."""
    admin.cookies["django_language"] = "id"
    form = admin.get("/admin/accounts/user/import/").content.decode()
    assert "Berkas yang diimpor" in form and "Kolom berikut akan diimpor" in form
    assert "File to import" not in form and "This importer will import" not in form
    html = _preview(admin, GOOD).content.decode()
    assert "Konfirmasi impor" in html and "Pratinjau" in html
    assert "Confirm import" not in html and "Below is a preview" not in html
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))
    done = admin.post("/admin/accounts/user/process_import/", fields, follow=True)
    text = done.content.decode()
    assert "Impor pengguna selesai: 2 baru, 0 diperbarui, 0 dihapus, dan 0 dilewati." in text
    assert "Import finished" not in text


def test_admin_import_page_lists_the_columns_and_offers_csv_and_xlsx(admin):
    form = admin.get("/admin/accounts/user/import/").content.decode()
    assert "<code>username, name, email, phone, groups, is_staff, language</code>" in form
    formats = re.findall(r'<option value="\d+"[^>]*>(\w+)</option>', form)
    assert formats == ["csv", "xlsx"]
    export = admin.get("/admin/accounts/user/export/").content.decode()
    assert re.findall(r'<option value="\d+"[^>]*>(\w+)</option>', export) == ["csv", "xlsx"]


def _visible_text(html: str) -> str:
    """The page's text as a reader sees it without pointing at anything: no tags, no attribute
    values, and nothing inside import-export's hover box (``validation-error-container``, shown
    only while the pointer is over the red count)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    hidden = re.search(r'<div class="validation-error-container">', html)
    while hidden:
        end = html.index("</div>", hidden.end())
        html = html[: hidden.start()] + html[end + len("</div>") :]
        hidden = re.search(r'<div class="validation-error-container">', html)
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", html)).split())


def test_admin_preview_lists_every_bad_row_with_its_column_and_message(admin):
    """An admin importing hundreds of people reads every wrong row at once: its number among
    the data rows, the file's column and what is wrong, without pointing at anything."""
    text = (
        "username,name,email,language\n"
        "ok,Ok,ok@example.com,\n"
        "x y,X,x@example.com,\n"
        "good,Good,good@example.com,\n"
        "fine,Fine,not-an-address,fr\n"
    )
    page = _preview(admin, text)
    shown = _visible_text(page.content.decode())
    assert "Row Column Error" in shown
    assert "2 username Enter a valid username." in shown
    assert "4 email Enter a valid email address." in shown
    # The file's column ("language"), not the model's field (preferred_language).
    assert "4 language “fr” is not a language of the portal. Use one of: en, id." in shown
    assert not re.search(r"\b[13] (username|name|email|language) ", shown)
    assert "Confirm import" not in shown


def test_admin_preview_lists_bad_rows_in_indonesian(admin):
    admin.cookies["django_language"] = "id"
    page = _preview(admin, "username,name,email\nx y,X,x@example.com\n")
    shown = _visible_text(page.content.decode())
    assert "Baris Kolom Kesalahan" in shown
    assert "1 username" in shown
    assert "Row Column Error" not in shown


def test_admin_preview_of_a_file_with_wrong_columns_says_so_without_a_traceback(admin):
    page = _preview(admin, "username,nama,email\nrina,Rina,rina@example.com\n")
    shown = _visible_text(page.content.decode())
    assert "Errors Wrong columns: missing name; unknown nama." in shown
    assert "Traceback" not in page.content.decode() and ".py" not in shown
    assert "Confirm import" not in shown


# --- Refused cells and rows, through the admin and the command ------------------------------


def _command_errors(tmp_path, text: str) -> str:
    """What ``manage.py import_accounts`` says of the CSV ``text``, which it must refuse."""
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_accounts", str(path), stdout=io.StringIO(), stderr=err)
    return f"{err.getvalue()}\n{refused.value}"


@pytest.mark.parametrize("value", ["maybe", "2", "yes please", "y", "-1", "tidak ada"])
def test_a_staff_cell_that_is_not_yes_or_no_is_an_error_of_its_column(admin, tmp_path, value):
    """import-export's boolean cell read any value it did not know as false: ``maybe`` made a
    person not staff, in silence, and demoted an existing staff member."""
    text = f"username,name,email,is_staff\nrina,Rina,rina@example.com,{value}\n"
    shown = _visible_text(_preview(admin, text).content.decode())
    message = f"“{value}” is not a yes/no value. Use 1, true or yes for yes; 0, false or no for no."
    assert f"1 is_staff {message}" in shown
    assert "Confirm import" not in shown
    assert f"row 1: is_staff: {message}" in _command_errors(tmp_path, text)
    assert not User.objects.filter(username="rina").exists()
    admin.cookies["django_language"] = "id"
    shown = _visible_text(_preview(admin, text).content.decode())
    assert f"1 is_staff “{value}” bukan nilai ya/tidak." in shown


@pytest.mark.parametrize(
    ("value", "staff"),
    [("1", True), ("true", True), ("TRUE", True), (" True ", True), ("0", False),
     ("false", False), ("False", False), ("", False), ("none", False)],
)  # fmt: skip
def test_the_staff_values_accepted_before_are_still_accepted(value, staff):
    """The values import-export accepted stay accepted (spaces around them now ignored, as in
    the other columns)."""
    report = _import(f"username,name,email,is_staff\nrina,Rina,rina@example.com,{value}\n")
    assert report.ok, report.row_errors
    assert User.objects.get(username="rina").is_staff is staff


@pytest.mark.parametrize(
    ("value", "staff"),
    [("yes", True), ("Yes", True), (" YES ", True), ("ya", True), ("Ya", True),
     ("no", False), ("No", False), ("tidak", False), ("TIDAK", False)],
)  # fmt: skip
def test_the_words_a_spreadsheet_holds_are_yes_or_no(value, staff):
    """A spreadsheet's Yes and No (Ya and Tidak in Indonesian) were refused as not a yes/no
    value, which its message itself called them."""
    report = _import(f"username,name,email,is_staff\nrina,Rina,rina@example.com,{value}\n")
    assert report.ok, report.row_errors
    assert User.objects.get(username="rina").is_staff is staff


def test_unknown_groups_are_an_error_of_the_groups_column_before_the_row_is_written(
    admin, tmp_path
):
    """The names were checked once the account was saved: the error was the whole row's,
    and only the file's transaction undid the account."""
    Group.objects.create(name="Finance")
    text = 'username,name,email,groups\nrina,Rina,rina@example.com,"Finance, Nope, Gone"\n'
    shown = _visible_text(_preview(admin, text).content.decode())
    assert "1 groups Unknown groups: Gone, Nope" in shown
    assert "the whole row" not in shown
    assert "row 1: groups: Unknown groups: Gone, Nope" in _command_errors(tmp_path, text)
    # Without the file's transaction to undo it, nothing of the row is written either.
    resource = AccountResource(allow_privileged=True)
    result = resource.import_data(read_dataset(text.encode(), "csv"), use_transactions=False)
    assert [row.import_type for row in result.rows] == ["invalid"]
    assert not User.objects.filter(username="rina").exists()


def test_a_row_longer_than_the_header_is_refused_with_a_message_naming_it(admin, tmp_path):
    """tablib refused it with ``InvalidDimensions``, which the admin showed as the name of an
    exception and the command as a traceback."""
    text = (
        "username,name,email\nrina,Rina,rina@example.com\n\nbudi,Santoso, Budi,budi@example.com\n"
    )
    message = (
        "Row 2 has 4 cells, but the header names 3 columns (rows are counted from the first "
        "row under the header). Remove the extra cells, or name their column in the header."
    )
    shown = _visible_text(_preview(admin, text).content.decode())
    assert message in shown
    assert "InvalidDimensions" not in shown and "Confirm import" not in shown
    assert message in _command_errors(tmp_path, text)
    assert not User.objects.exclude(username="root").exists()
    admin.cookies["django_language"] = "id"
    shown = _visible_text(_preview(admin, text).content.decode())
    assert "Baris 2 berisi 4 sel, padahal kepala tabel menyebut 3 kolom" in shown


def _workbook(*rows: list) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_row_longer_than_the_header_is_refused_with_a_message_naming_it(admin):
    """A workbook reads a row longer than its header as a column without a name: the file was
    refused as "Wrong columns: missing -; unknown -.", which named nothing wrong."""
    content = _workbook(
        ["username", "name", "email"],
        ["rina", "Rina", "rina@example.com"],
        ["budi", "Budi", "budi@example.com", "extra"],
    )
    upload = io.BytesIO(content)
    upload.name = "people.xlsx"
    xlsx = str(list(FORMATS).index("xlsx"))
    data = {"import_file": upload, "format": xlsx, "resource": "0"}
    shown = _visible_text(admin.post("/admin/accounts/user/import/", data).content.decode())
    assert (
        "Column 4 has no name in the header, but row 2 has a value in it. Name the column in "
        "the header, or remove the value." in shown
    )
    assert "Confirm import" not in shown
    report = import_dataset(read_dataset(content, "xlsx"), actor=None, dry_run=False)
    assert report.file_errors[0].startswith("Column 4 has no name in the header, but row 2")
    with translation.override("id"):
        report = import_dataset(read_dataset(content, "xlsx"), actor=None, dry_run=False)
    assert report.file_errors[0].startswith("Kolom 4 tidak bernama di kepala tabel")
    assert not User.objects.exclude(username="root").exists()


def test_an_empty_column_without_a_name_is_left_out():
    """A header ending in a comma, or a workbook's formatted empty column, holds nothing."""
    report = _import("username,name,email,\nrina,Rina,rina@example.com,\n")
    assert report.ok, (report.file_errors, report.row_errors)
    content = _workbook(["username", "name", "email", None], ["budi", "Budi", "budi@example.com"])
    report = import_dataset(read_dataset(content, "xlsx"), actor=None, dry_run=False)
    assert report.ok, (report.file_errors, report.row_errors)
    assert set(User.objects.values_list("username", flat=True)) == {"rina", "budi"}


def test_admin_refuses_a_csv_that_is_not_utf8_saying_where(admin):
    """The admin named the exception ('UnicodeDecodeError' encountered...); the command said
    which byte and how to save the file: the admin now says the same."""
    upload = io.BytesIO("username,name,email\nr\xeena,R\xeena,r@example.com\n".encode("latin-1"))
    upload.name = "people.csv"
    data = {"import_file": upload, "format": "0", "resource": "0"}
    shown = _visible_text(admin.post("/admin/accounts/user/import/", data).content.decode())
    assert "The file is not UTF-8 text (byte 22). Save it as CSV UTF-8." in shown
    assert "UnicodeDecodeError" not in shown
    assert not User.objects.exclude(username="root").exists()
    admin.cookies["django_language"] = "id"
    upload.seek(0)
    shown = _visible_text(admin.post("/admin/accounts/user/import/", data).content.decode())
    assert "Berkas bukan teks UTF-8 (bita 22). Simpan sebagai CSV UTF-8." in shown


def test_a_language_cell_that_is_not_a_code_of_the_portal_names_the_codes(admin, tmp_path):
    """The model's check said "Value 'ID' is not a valid choice.", not which values are."""
    text = "username,name,email,language\nrina,Rina,rina@example.com,ID\n"
    message = "“ID” is not a language of the portal. Use one of: en, id."
    assert f"1 language {message}" in _visible_text(_preview(admin, text).content.decode())
    assert f"row 1: language: {message}" in _command_errors(tmp_path, text)
    admin.cookies["django_language"] = "id"
    shown = _visible_text(_preview(admin, text).content.decode())
    assert "1 language “ID” bukan bahasa portal ini. Gunakan salah satu dari: en, id." in shown
    assert not User.objects.filter(username="rina").exists()


# --- A staff member who is not a superuser ---------------------------------------------------


@pytest.fixture
def manager(make_user) -> Client:
    """A staff member who may add and change accounts (and so import them), not a superuser."""
    from django.contrib.auth.models import Permission

    user = make_user("manager", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "add_user", "change_user"])
    )
    client = Client()
    client.force_login(user)
    return client


def _confirm(client: Client, page) -> None:
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.content.decode()))
    client.post("/admin/accounts/user/process_import/", fields)


def test_a_non_superuser_may_import_staff_and_groups_cells_that_change_nothing(manager, make_user):
    """Any value in ``is_staff`` or ``groups`` refused the file, even ``0`` or ``false``, which
    an export writes for every account that is not staff."""
    finance = Group.objects.create(name="Finance")
    make_user("budi")
    sari = make_user("sari", is_staff=True)
    sari.groups.add(finance)
    text = (
        "username,name,email,groups,is_staff\n"
        "rina,Rina,rina@example.com,,0\n"
        "eka,Eka,eka@example.com,,false\n"
        "dewi,Dewi,dewi@example.com,, False \n"
        "budi,Budi S,budi@example.com,,\n"
        "sari,Sari S,sari@example.com,Finance,1\n"
    )
    page = _preview(manager, text)
    shown = _visible_text(page.content.decode())
    assert "Only a superuser" not in shown
    assert "Confirm import" in shown
    _confirm(manager, page)
    assert User.objects.filter(username__in=["rina", "eka", "dewi"]).count() == 3
    assert User.objects.get(username="budi").full_name == "Budi S"
    assert set(User.objects.filter(is_staff=True).values_list("username", flat=True)) == {
        "manager", "sari",
    }  # fmt: skip
    sari.refresh_from_db()
    assert sari.full_name == "Sari S" and list(sari.groups.all()) == [finance]
    assert not Group.objects.get(name="Finance").user_set.exclude(username="sari").exists()


def test_a_non_superuser_may_not_change_staff_status_or_groups(manager, make_user):
    """Granting staff or a group is refused in its own column (is_staff's error was shown in
    the groups column); taking them away is refused too, as on the account's change form."""
    finance = Group.objects.create(name="Finance")
    sari = make_user("sari", is_staff=True)
    sari.groups.add(finance)
    text = (
        "username,name,email,groups,is_staff\n"
        "rina,Rina,rina@example.com,,1\n"
        "eka,Eka,eka@example.com,Finance,0\n"
        "sari,Sari,sari@example.com,,false\n"
        "dewi,Dewi,dewi@example.com,,TRUE\n"
    )
    shown = _visible_text(_preview(manager, text).content.decode())
    message = "Only a superuser may import groups or staff status."
    assert f"1 is_staff {message}" in shown
    assert f"2 groups {message}" in shown
    assert f"3 groups {message} 3 is_staff {message}" in shown
    assert f"4 is_staff {message}" in shown
    assert "1 groups" not in shown and "2 is_staff" not in shown
    assert "Confirm import" not in shown
    assert not User.objects.filter(username__in=["rina", "eka", "dewi"]).exists()
    sari.refresh_from_db()
    assert sari.is_staff and list(sari.groups.all()) == [finance]
    # An empty groups cell cleared the account's groups, in silence.
    text_groups = "username,name,email,groups\nsari,Sari,sari@example.com,\n"
    shown = _visible_text(_preview(manager, text_groups).content.decode())
    assert f"1 groups {message}" in shown and "Confirm import" not in shown
    assert list(sari.groups.all()) == [finance]
    # A superuser's file with the same cells is imported.
    report = _import(text)
    assert report.ok, report.row_errors
    assert User.objects.get(username="rina").is_staff
    assert not User.objects.get(username="sari").is_staff


def test_a_non_superuser_s_groups_cells_are_checked_without_a_query_of_their_own(make_user):
    """Whether each row's groups cell changes its account's groups is told by the groups read
    for all the file's accounts at once: the check costs no query, not one per existing
    account."""
    finance, audit_group = Group.objects.create(name="Finance"), Group.objects.create(name="Audit")
    lines = ["username,name,email,groups"]
    for number in range(6):
        account = make_user(f"staf{number}")
        account.groups.add(finance, *([audit_group] if number % 2 else []))
        groups = "Finance, Audit" if number % 2 else "Finance"
        lines.append(f'Staf{number},Staf {number},staf{number}@example.com,"{groups}"')
    lines.append("citra,Citra,citra@example.com,")  # a new account, in no group
    text = "\n".join(lines) + "\n"
    _import(text, dry_run=True)  # whatever a first import reads once per process

    def queries(allow_privileged: bool) -> int:
        with CaptureQueriesContext(connection) as captured:
            report = _import(text, dry_run=True, allow_privileged=allow_privileged)
        assert report.ok, report.row_errors
        assert report.totals == {"new": 1, "update": 6, "skip": 0}
        return len(captured.captured_queries)

    assert queries(allow_privileged=False) == queries(allow_privileged=True)


def _file_of(count: int, start: int = 0) -> str:
    rows = [f"user{n},User {n},user{n}@example.com,,0" for n in range(start, start + count)]
    return "username,name,email,groups,is_staff\n" + "\n".join(rows) + "\n"


def _queries_of(text: str, dry_run: bool = False) -> int:
    with CaptureQueriesContext(connection) as captured:
        report = _import(text, dry_run=dry_run, allow_privileged=True)
    assert report.ok, report.row_errors
    return len(captured.captured_queries)


def test_an_import_reads_the_file_s_accounts_and_groups_once():
    """A file's accounts and their groups are read for all its rows at once: a row costs its
    own savepoint, its insert (a new account) and its release, and no read. django-import-export
    read each row's account, Django's unique checks two more rows per new account, and the
    groups twice per row (to set them and for the preview), eight queries per new account."""
    Group.objects.create(name="Finance")
    _import(_file_of(1, start=900))  # whatever a first import reads once per process
    for dry_run in (True, False):
        offset = 0 if dry_run else 100
        ten, twenty = _file_of(10, start=offset), _file_of(20, start=offset + 10)
        assert _queries_of(twenty, dry_run) - _queries_of(ten, dry_run) == 10 * 3
    # The same accounts again, unchanged: two statements per row (its savepoint), no read.
    again = _file_of(10, start=100)
    again_twice = _file_of(20, start=100)
    assert _queries_of(again_twice) - _queries_of(again) == 10 * 2
    # With groups in their cells, changed or not, still no read per row.
    for n in range(100, 120):
        User.objects.get(username=f"user{n}").groups.add(Group.objects.get(name="Finance"))
    grouped = [_file_of(count, start=100).replace(",,0", ",Finance,0") for count in (10, 20)]
    assert _queries_of(grouped[1]) - _queries_of(grouped[0]) == 10 * 2
    assert User.objects.filter(username__startswith="user").count() == 31


def _after_the_file_is_read(monkeypatch, change) -> None:  # type: ignore[no-untyped-def]
    """``change()`` made, as by someone else, right after the import has read the file's
    accounts (``accounts_named``), before any row is written."""
    from accounts.imports import resources

    read = resources.accounts_named

    def read_then_changed(usernames):  # type: ignore[no-untyped-def]
        found = read(usernames)
        change()
        return found

    monkeypatch.setattr(resources, "accounts_named", read_then_changed)


def test_an_account_added_by_someone_else_during_the_import_rolls_it_back(make_user, monkeypatch):
    """The file's accounts are read once, at its start: an account of a row's name created
    after that read (by a sign-up, SCIM, another admin) fails that row's insert. The file is
    rolled back and the row says why, in the admin's words, not the database's."""
    _after_the_file_is_read(monkeypatch, lambda: make_user("budi"))
    report = _import(GOOD)
    assert not report.ok
    assert report.row_errors == [(2, [changed_elsewhere_message()])]
    assert not User.objects.filter(username="rina.siti").exists()


def test_an_account_deleted_by_someone_else_during_the_import_rolls_it_back(make_user, monkeypatch):
    """An account of the file deleted after its read is not written back as a new account
    (with its old data and password): its row fails, and the file is rolled back."""
    budi = make_user("budi")
    _after_the_file_is_read(monkeypatch, User.objects.filter(pk=budi.pk).delete)
    report = _import(GOOD)
    assert not report.ok
    assert report.row_errors == [(2, [changed_elsewhere_message()])]
    # (The deletion, made here inside the import's transaction, is rolled back with it.)
    assert not User.objects.filter(username="rina.siti").exists()


def test_what_others_change_during_the_import_stands(make_user, monkeypatch, settings):
    """The file's accounts are read once, at its start; an account's row writes the columns
    it changes and nothing else. Another admin's deactivation, removal of staff and superuser
    status and new password, made after that read, stand: the import saved the whole account
    as it was read and undid them, even a non-superuser's file without an is_staff column."""
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    budi = make_user("budi")
    User.objects.filter(pk=budi.pk).update(is_staff=True, is_superuser=True, phone="+628111")
    _after_the_file_is_read(
        monkeypatch,
        lambda: User.objects.filter(pk=budi.pk).update(
            is_active=False, is_staff=False, is_superuser=False, full_name="Budi S.",
            password=make_password("a new secret 123"),
        ),
    )  # fmt: skip
    text = "username,name,email,phone\nbudi,Budi,budi@example.com,+6281234567890\n"
    report = _import(text, allow_privileged=False)
    assert report.ok, report.row_errors
    budi.refresh_from_db()
    assert (budi.is_active, budi.is_staff, budi.is_superuser) == (False, False, False)
    assert budi.check_password("a new secret 123")
    assert budi.phone == "+6281234567890"  # the column the row changed
    assert budi.full_name == "Budi S."  # the row's cell is what was read: left as changed


def test_a_file_refused_whole_has_none_of_its_rows_read(admin, settings):
    """A file over the row limit, or with wrong columns, is refused before its rows are read:
    django-import-export recorded the refusal and went on to import every row (its savepoint,
    instance and diff), so a large file of empty rows ran past the web server's timeout."""
    settings.ACCOUNTS_IMPORT_ADMIN_MAX_ROWS = 10

    def statements(text: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            page = _preview(admin, text)
        assert "Confirm import" not in page.content.decode()
        return len(captured.captured_queries)

    for header in ("username,name,email", "user,name,email"):
        few, many = (f"{header}\n" + ",,\n" * rows for rows in (20, 200))
        statements(few)  # whatever a first preview reads once
        assert statements(few) == statements(many), header


def test_groups_changed_by_a_row_are_written_and_unchanged_ones_left_alone(make_user):
    """Only a row whose groups cell differs from the account's groups writes them; the preview
    shows the change from the groups the account had."""
    finance, audit_group = Group.objects.create(name="Finance"), Group.objects.create(name="Audit")
    dewi, eko = make_user("dewi"), make_user("eko")
    dewi.groups.add(finance)
    eko.groups.add(finance)
    text = (
        "username,name,email,groups\n"
        "dewi,Dewi,dewi@example.com,Finance\n"
        'eko,Eko,eko@example.com,"Audit, Finance"\n'
        "fajar,Fajar,fajar@example.com,Audit\n"
    )
    report = _import(text, allow_privileged=True)
    assert report.ok, report.row_errors
    assert set(dewi.groups.all()) == {finance}
    assert set(eko.groups.all()) == {finance, audit_group}
    assert set(User.objects.get(username="fajar").groups.all()) == {audit_group}
    # The same file again: every row unchanged, nothing written.
    assert _import(text, allow_privileged=True).totals == {"new": 0, "update": 0, "skip": 3}


# --- A file its chosen format cannot read ----------------------------------------------------

NOT_A_WORKBOOK = [
    random.Random(7).randbytes(4096),  # random bytes
    GOOD.encode(),  # a CSV file
]


@pytest.mark.parametrize("content", NOT_A_WORKBOOK, ids=["random-bytes", "csv-text"])
def test_admin_refuses_a_file_that_is_not_a_workbook_chosen_as_xlsx(admin, content):
    """import-export's message named a Python exception ('BadZipFile' encountered...)."""
    upload = io.BytesIO(content)
    upload.name = "people.xlsx"
    data = {"import_file": upload, "format": str(list(FORMATS).index("xlsx")), "resource": "0"}
    page = admin.post("/admin/accounts/user/import/", data)
    assert page.status_code == 200
    shown = _visible_text(page.content.decode())
    assert (
        "The file is not a readable XLSX workbook. Choose the format the file was saved in."
        in shown
    )
    assert "BadZipFile" not in shown and "encountered" not in shown
    assert "Confirm import" not in shown
    admin.cookies["django_language"] = "id"
    upload.seek(0)
    page = admin.post("/admin/accounts/user/import/", data)
    assert page.status_code == 200
    shown = _visible_text(page.content.decode())
    assert (
        "Berkas bukan buku kerja XLSX yang dapat dibaca. Pilih format yang dipakai saat "
        "berkas disimpan." in shown
    )
    assert not User.objects.exclude(username="root").exists()


def test_a_file_that_is_not_csv_chosen_as_csv_is_refused(admin, tmp_path):
    """A file the CSV reader cannot read (here, one line longer than any field it reads):
    the admin named the exception ('Error' encountered...); the command showed a traceback."""
    text = "username,name,email\n" + "x" * 200_000 + "\n"
    page = _preview(admin, text)
    assert page.status_code == 200
    shown = _visible_text(page.content.decode())
    assert "The file is not a readable CSV file. Choose the format the file was saved in." in shown
    assert "encountered" not in shown and "Confirm import" not in shown
    assert "The file is not a readable CSV file." in _command_errors(tmp_path, text)
    admin.cookies["django_language"] = "id"
    shown = _visible_text(_preview(admin, text).content.decode())
    assert "Berkas bukan berkas CSV yang dapat dibaca." in shown
    assert not User.objects.exclude(username="root").exists()


@pytest.mark.parametrize(
    "rights", [[], ["view_user"], ["view_user", "change_user"], ["view_user", "add_user"]]
)
def test_only_who_may_add_and_change_accounts_may_import(make_user, rights):
    """import-export lets every staff member import (no IMPORT_EXPORT_IMPORT_PERMISSION_CODE):
    one without the right to change accounts could set a superuser's address, then reset
    their password through it. An import adds and changes accounts: it takes both rights."""
    from django.contrib.auth.models import Permission

    root = make_user("root", is_staff=True, is_superuser=True)
    helpdesk = make_user("helpdesk", is_staff=True)
    helpdesk.user_permissions.add(*Permission.objects.filter(codename__in=rights))
    client = Client()
    client.force_login(helpdesk)
    assert client.get("/admin/accounts/user/import/").status_code == 403
    page = _preview(client, "username,name,email\nroot,Root,someone@example.com\nnew,New,n@e.com\n")
    assert page.status_code == 403
    fields = {"import_file_name": "x.csv", "original_file_name": "x.csv", "format": "0"}
    assert client.post("/admin/accounts/user/process_import/", fields).status_code == 403
    root.refresh_from_db()
    assert root.email == "root@example.com"
    assert not User.objects.filter(username="new").exists()


@pytest.mark.parametrize("rights", [[], ["add_user"]])
def test_only_who_may_see_accounts_may_export_them(make_user, rights):
    from django.contrib.auth.models import Permission

    helpdesk = make_user("helpdesk", is_staff=True)
    helpdesk.user_permissions.add(*Permission.objects.filter(codename__in=rights))
    client = Client()
    client.force_login(helpdesk)
    assert client.get("/admin/accounts/user/export/").status_code == 403
    assert client.post("/admin/accounts/user/export/", {"format": "0"}).status_code == 403


def test_who_may_see_accounts_may_export_them(manager):
    assert manager.get("/admin/accounts/user/export/").status_code == 200
    assert manager.get("/admin/accounts/user/import/").status_code == 200


def test_a_workbook_chosen_as_csv_is_told_to_choose_xlsx(admin, tmp_path):
    """A workbook read as CSV text was "not UTF-8 text (byte 11)", which sent an admin to
    re-save a file that only needed the other format chosen."""
    workbook = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["username", "name", "email"])
    book.active.append(["rina", "Rina", "rina@example.com"])
    book.save(workbook)
    upload = io.BytesIO(workbook.getvalue())
    upload.name = "people.xlsx"
    data = {"import_file": upload, "format": str(list(FORMATS).index("csv")), "resource": "0"}
    shown = _visible_text(admin.post("/admin/accounts/user/import/", data).content.decode())
    assert "The file is an XLSX workbook, not CSV text. Choose XLSX as its format." in shown
    assert "UTF-8" not in shown
    saved_as_csv = tmp_path / "people.csv"
    saved_as_csv.write_bytes(workbook.getvalue())
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_accounts", str(saved_as_csv), stdout=io.StringIO(), stderr=err)
    assert "is an XLSX workbook, not CSV text" in f"{err.getvalue()} {refused.value}"
    assert not User.objects.filter(username="rina").exists()
