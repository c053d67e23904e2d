"""Importing a file of accounts: parse, check every row, write all or nothing, invite.

Used by Django admin's import (preview, then confirm) and by ``manage.py import_accounts``.
The parsing and row rules are django-import-export's (``AccountResource``); this module adds
the file-level limits, the all-or-nothing rule and the invitations of new accounts.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import IO

import tablib
from django.conf import settings
from django.db import IntegrityError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from import_export.formats import base_formats
from import_export.results import Result, RowResult
from tablib.exceptions import InvalidDimensions

from accounts import audit
from accounts.imports.resources import (
    AccountResource,
    changed_elsewhere_message,
    column_of,
    too_many_rows,
)
from accounts.invitations.flows import InvitationRefused, send_invitation
from accounts.invitations.models import InvitationBatch
from accounts.models import AccountDeleted, User


class FileRefused(ValueError):
    """The file cannot be read at all (too big, wrong type, bad encoding, not a spreadsheet,
    a row longer than the header)."""


def overlong_row_refusal(text: str) -> str:
    """Why the CSV ``text`` cannot be read as a table: the first row with more cells than its
    header, counted as the import counts rows (from the first row under the header, blank
    lines skipped, as tablib skips them)."""
    lines = csv.reader(io.StringIO(text))
    columns = len(next(lines, []))
    number = 0
    for cells in lines:
        if not cells:
            continue
        number += 1
        if len(cells) > columns:
            return _(
                "Row %(row)d has %(cells)d cells, but the header names %(columns)d columns "
                "(rows are counted from the first row under the header). Remove the extra "
                "cells, or name their column in the header."
            ) % {"row": number, "cells": len(cells), "columns": columns}
    return _("A row has more cells than the header names columns.")


# Every XLSX workbook is a zip file, which begins with this signature (PKWARE's APPNOTE §4.3.7).
ZIP_SIGNATURE = b"PK\x03\x04"


def not_utf8_refusal(error: UnicodeDecodeError) -> str:
    """Why a CSV file that is not UTF-8 is refused: where, and how to save it instead; a
    workbook chosen as CSV is told to choose XLSX."""
    if bytes(error.object[:4]) == ZIP_SIGNATURE:
        return _("The file is an XLSX workbook, not CSV text. Choose XLSX as its format.")
    return _("The file is not UTF-8 text (byte %(position)d). Save it as CSV UTF-8.") % {
        "position": error.start + 1
    }


def unreadable_refusal(file_format: str) -> str:
    """Why a file that its format (``csv`` or ``xlsx``) cannot read is refused: random bytes
    or a text file read as a workbook, a file the CSV reader cannot read."""
    if file_format == "xlsx":
        return _("The file is not a readable XLSX workbook.")
    return _("The file is not a readable CSV file.")


class CSV(base_formats.CSV):
    """import-export's CSV format, which refuses a row longer than its header with a message
    naming the row: tablib's own error (``InvalidDimensions``) says neither."""

    def create_dataset(self, in_stream, **kwargs) -> tablib.Dataset:  # type: ignore[no-untyped-def]
        try:
            return super().create_dataset(in_stream, **kwargs)
        except InvalidDimensions as error:
            if isinstance(in_stream, bytes):
                in_stream = in_stream.decode(self.encoding or "utf-8-sig")
            raise FileRefused(overlong_row_refusal(in_stream)) from error


# Columns read from a workbook's sheet (an account file has seven); its header may name no more.
XLSX_COLUMNS = 64
# The last row a spreadsheet has (Excel, LibreOffice); openpyxl reads row numbers past it.
XLSX_LAST_ROW = 1_048_576


class XLSX(base_formats.XLSX):
    """import-export's XLSX format, reading the active sheet's rows one by one and keeping only
    what an import can take.

    openpyxl gives a sheet's rows as wide as the sheet says it is, and a row for every missing
    row number before one it holds: a workbook of a few kilobytes declaring a sheet of a million
    rows and thousands of columns, with one cell at its far end, was read whole into memory
    (tens of gigabytes) before any row was counted, and a cell at row 10^12 kept a worker busy
    for days. Here the sheet's rows are read as the file holds them (its declared size may be
    stale, and rows past it were dropped), up to ``XLSX_LAST_ROW``; the header whole (naming
    more than ``XLSX_COLUMNS`` columns refuses the file), the other rows up to the column after
    ``XLSX_COLUMNS`` (a value under no heading refuses the file, naming its column:
    ``drop_unnamed_columns``; cells further right are not read); rows past
    ACCOUNTS_IMPORT_MAX_ROWS are counted, not kept, and empty rows are kept only when a row
    with a value follows them (the empty rows a sheet ends with, cells once formatted or
    cleared, are not rows)."""

    def create_dataset(self, in_stream, **kwargs) -> tablib.Dataset:  # type: ignore[no-untyped-def]
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(in_stream), read_only=True, data_only=True)
        sheet = book.active
        sheet.reset_dimensions()
        headers = list(next(sheet.iter_rows(max_row=1, values_only=True), ()))  # as long as it is
        while headers and _blank(headers[-1]):
            headers.pop()
        if len(headers) > XLSX_COLUMNS:
            raise FileRefused(
                _("The header names more than %(columns)d columns; an account file has seven.")
                % {"columns": XLSX_COLUMNS}
            )
        most = settings.ACCOUNTS_IMPORT_MAX_ROWS
        kept: list[tuple] = []  # type: ignore[type-arg]
        count = 0  # rows, the empty ones between rows with a value included
        empty = 0  # empty rows since the last row with a value
        rows = sheet.iter_rows(
            min_row=2, max_row=XLSX_LAST_ROW, max_col=XLSX_COLUMNS + 1, values_only=True
        )
        for row in rows:
            if row.count(None) == len(row) or all(_blank(cell) for cell in row):
                empty += 1
                continue
            count += empty + 1
            if count <= most:
                kept.extend([()] * empty)
                kept.append(row)
            empty = 0
        book.close()
        if count > most:
            raise FileRefused(too_many_rows(count, most))
        # As wide as its widest row: a value under no heading is named by drop_unnamed_columns.
        width = max([len(headers), *(len(row) for row in kept)])
        dataset = tablib.Dataset(headers=[*headers, *[None] * (width - len(headers))])
        dataset.extend([*row, *[None] * (width - len(row))] for row in kept)
        return dataset


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


FORMATS = {"csv": CSV, "xlsx": XLSX}


# An XLSX file is a zip: its parts, unpacked, may be this many times the file's own cap
# (ACCOUNTS_IMPORT_MAX_BYTES). A workbook of accounts unpacks to a few times its size; a zip
# of a few megabytes that unpacks to gigabytes would be read whole, in memory, before any
# row is counted.
UNPACKED_FACTOR = 10


def unpacked_cap(max_rows: int | None = None) -> int:
    """Bytes a workbook may unpack to: ``UNPACKED_FACTOR`` times ACCOUNTS_IMPORT_MAX_BYTES,
    for an import of at most ACCOUNTS_IMPORT_MAX_ROWS rows; an import of fewer (``max_rows``:
    the admin's, which runs in one web request) gets its share of it. Reading a workbook takes
    about 0.6 s of CPU per unpacked megabyte, read or not: 100 MB was a minute per preview.
    """
    cap = settings.ACCOUNTS_IMPORT_MAX_BYTES * UNPACKED_FACTOR
    if max_rows is None or max_rows >= settings.ACCOUNTS_IMPORT_MAX_ROWS:
        return cap
    return max(cap * max_rows // settings.ACCOUNTS_IMPORT_MAX_ROWS, 1024 * 1024)


def unpacked_refusal(upload: IO[bytes], cap: int | None = None) -> str | None:
    """Why a file that is a zip (an XLSX workbook) is refused before it is read: its parts
    would unpack to more than ``cap`` bytes (default: ``unpacked_cap()``); None for any other
    file, or a zip within the cap (openpyxl judges the rest).

    The sizes are the zip's own directory's: Python's zipfile reads a part no further than
    its stated size, so a part that states less cannot unpack to more.
    """
    cap = unpacked_cap() if cap is None else cap
    position = upload.tell()
    try:
        if not zipfile.is_zipfile(upload):
            return None
        upload.seek(position)
        with zipfile.ZipFile(upload) as archive:
            unpacked = sum(part.file_size for part in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(position)
    if unpacked <= cap:
        return None
    return _("The workbook is larger than %(mb)d MB once unpacked.") % {"mb": cap // (1024 * 1024)}


@dataclass(frozen=True)
class RowError:
    """One thing wrong with one data row of a file."""

    row: int  # 1 is the first row under the header (import-export's numbering)
    column: str  # the file's column, or "" when the error is about the row as a whole
    message: str


def row_errors(result: Result) -> list[RowError]:
    """Every error of every row of an import's ``result``, by row then column.

    Validation errors (a cell the rules refuse) name their column; an error raised while
    writing a row (the database refused it) names none.
    """
    errors = [
        RowError(number, "", _write_refusal(error.error))
        for number, found in result.row_errors()
        for error in found
    ]
    errors += [
        RowError(invalid.number, column_of(key), str(message))
        for invalid in result.invalid_rows
        for key, messages in invalid.error_dict.items()
        for message in messages
    ]
    # A stable sort: a row's messages keep the order the rules found them in.
    return sorted(errors, key=lambda error: (error.row, error.column))


def _write_refusal(error: Exception) -> str:
    """A row's error raised while writing it, as the row's message: the database's refusal of a
    row whose account someone else added (the unique username) or deleted (``AccountDeleted``)
    during the import says so; any other error as it is."""
    if isinstance(error, IntegrityError | AccountDeleted):
        return changed_elsewhere_message()
    return str(error)


@dataclass
class ImportReport:
    """What an import did or would do: counts per kind, and every row's errors."""

    dry_run: bool
    totals: dict[str, int] = field(default_factory=dict)
    file_errors: list[str] = field(default_factory=list)
    row_errors: list[tuple[int, list[str]]] = field(default_factory=list)
    new_user_ids: list[int] = field(default_factory=list)
    invited: int = 0

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.row_errors


def read_dataset(content: bytes, file_format: str) -> tablib.Dataset:
    """The rows of a CSV (UTF-8, with or without BOM) or XLSX file.

    Raises FileRefused when the file is over ACCOUNTS_IMPORT_MAX_BYTES, has another format, is
    not UTF-8, or its format cannot read it (unreadable_refusal).
    """
    if len(content) > settings.ACCOUNTS_IMPORT_MAX_BYTES:
        raise FileRefused(
            _("The file is larger than %(mb)d MB.")
            % {"mb": settings.ACCOUNTS_IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    if file_format not in FORMATS:
        raise FileRefused(_("Use a CSV or XLSX file."))
    if file_format == "csv":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise FileRefused(not_utf8_refusal(error)) from error
        try:
            return FORMATS["csv"]().create_dataset(text)
        except csv.Error as error:  # e.g. a line longer than the reader's field limit
            raise FileRefused(unreadable_refusal("csv")) from error
    refusal = unpacked_refusal(io.BytesIO(content))
    if refusal is not None:
        raise FileRefused(refusal)
    try:
        return FORMATS["xlsx"]().create_dataset(content)
    except FileRefused:
        raise
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise FileRefused(unreadable_refusal("xlsx")) from error


def import_dataset(
    dataset: tablib.Dataset,
    *,
    actor: User | None,
    dry_run: bool,
    invite: bool = False,
    allow_privileged: bool = False,
    request: HttpRequest | None = None,
) -> ImportReport:
    """Imports ``dataset`` in one transaction: any row error rolls every row back.

    Returns the report (counts new/update/skip, file errors, per-row errors with 1-based row
    numbers of the data rows). With ``invite`` (and not ``dry_run``) every new account is
    invited after the import (accounts.invitations, mails through Celery at
    ACCOUNTS_INVITE_RATE). Writes one ``accounts.imported`` audit event for a real import.
    """
    report = ImportReport(dry_run=dry_run)
    if len(dataset) > settings.ACCOUNTS_IMPORT_MAX_ROWS:
        report.file_errors.append(too_many_rows(len(dataset), settings.ACCOUNTS_IMPORT_MAX_ROWS))
        return report
    resource = AccountResource(allow_privileged=allow_privileged)
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        use_transactions=True,
        rollback_on_validation_errors=True,
        raise_errors=False,
    )
    report.totals = {kind: result.totals.get(kind, 0) for kind in ("new", "update", "skip")}
    report.file_errors = [str(error.error) for error in result.base_errors]
    by_row: dict[int, list[str]] = {}
    for error in row_errors(result):
        line = f"{error.column}: {error.message}" if error.column else error.message
        by_row.setdefault(error.row, []).append(line)
    report.row_errors = sorted(by_row.items())
    if not report.ok or dry_run:
        return report
    report.new_user_ids = [
        int(row.object_id) for row in result.rows if row.import_type == RowResult.IMPORT_TYPE_NEW
    ]
    audit.record(request, audit.ACCOUNTS_IMPORTED, actor=actor, rows=len(dataset), **report.totals)
    if invite:
        report.invited = invite_new_accounts(report.new_user_ids, actor=actor, request=request)
    return report


def invite_new_accounts(
    user_ids: list[int], *, actor: User | None, request: HttpRequest | None = None
) -> int:
    """Sends an invitation to each of ``user_ids`` that can be invited; returns how many.

    They form one batch, whose progress the Users list of admin shows (the last import's).
    """
    batch = InvitationBatch.objects.create(created_by=actor if actor and actor.pk else None)
    sent = 0
    for user in User.objects.filter(pk__in=user_ids).iterator():
        try:
            send_invitation(user, actor=actor, request=request, batch=batch)
        except InvitationRefused:
            continue
        sent += 1
    if not sent:
        batch.delete()
    return sent
