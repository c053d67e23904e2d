"""manage.py import_accounts FILE [--dry-run] [--invite]: the admin's import, from a shell.

It speaks the active language: from a shell, LANGUAGE_CODE's.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.imports.flows import FileRefused, import_dataset, read_dataset


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        # Translated when the parser is made: argparse takes no lazy text.
        return _(
            "Imports accounts from a CSV or XLSX file (columns username, name, email; optional "
            "phone, groups, is_staff, language). All rows or none; a row for an existing "
            "username updates it."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help=_("check and report, write nothing")
        )
        parser.add_argument("--invite", action="store_true", help=_("invite every new account"))

    def handle(self, *args, file: Path, dry_run: bool, invite: bool, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("cannot read %(file)s: %(error)s") % {"file": file, "error": error.strerror}
            ) from error
        try:
            dataset = read_dataset(content, file.suffix.lower().lstrip("."))
        except FileRefused as refused:
            raise CommandError(str(refused)) from refused
        report = import_dataset(
            dataset, actor=None, dry_run=dry_run, invite=invite, allow_privileged=True
        )
        for message in report.file_errors:
            self.stderr.write(_("file: %(message)s") % {"message": message})
        for number, messages in report.row_errors:
            for message in messages:
                self.stderr.write(
                    _("row %(row)d: %(message)s") % {"row": number, "message": message}
                )
        if report.row_errors:
            rows = len(report.row_errors)
            raise CommandError(
                ngettext(
                    "%(count)d row with errors; nothing was written",
                    "%(count)d rows with errors; nothing was written",
                    rows,
                )
                % {"count": rows}
            )
        if not report.ok:
            raise CommandError(_("nothing was written"))
        totals = report.totals
        counts = {"new": totals["new"], "updated": totals["update"], "unchanged": totals["skip"]}
        accounts = sum(counts.values())
        if dry_run:
            summary = ngettext(
                "%(new)d new, %(updated)d updated, %(unchanged)d unchanged account would be "
                "imported.",
                "%(new)d new, %(updated)d updated, %(unchanged)d unchanged accounts would be "
                "imported.",
                accounts,
            )
        else:
            summary = ngettext(
                "%(new)d new, %(updated)d updated, %(unchanged)d unchanged account was imported.",
                "%(new)d new, %(updated)d updated, %(unchanged)d unchanged accounts were imported.",
                accounts,
            )
        self.stdout.write(summary % counts)
        if invite and not dry_run:
            self.stdout.write(
                ngettext(
                    "%(count)d invitation queued (Users, filter by invitation, shows which "
                    "were sent).",
                    "%(count)d invitations queued (Users, filter by invitation, shows which "
                    "were sent).",
                    report.invited,
                )
                % {"count": report.invited}
            )
