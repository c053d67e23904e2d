"""manage.py import_accounts FILE [--dry-run] [--invite]: the admin's import, from a shell."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports.flows import FileRefused, import_dataset, read_dataset


class Command(BaseCommand):
    help = (
        "Imports accounts from a CSV or XLSX file (columns username, name, email; optional "
        "phone, groups, is_staff, language). All rows or none; a row for an existing "
        "username updates it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )
        parser.add_argument("--invite", action="store_true", help="invite every new account")

    def handle(self, *args, file: Path, dry_run: bool, invite: bool, **options) -> None:  # type: ignore[no-untyped-def]
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from error
        try:
            dataset = read_dataset(content, file.suffix.lower().lstrip("."))
        except FileRefused as refused:
            raise CommandError(str(refused)) from refused
        report = import_dataset(
            dataset, actor=None, dry_run=dry_run, invite=invite, allow_privileged=True
        )
        for message in report.file_errors:
            self.stderr.write(f"file: {message}")
        for number, messages in report.row_errors:
            for message in messages:
                self.stderr.write(f"row {number}: {message}")
        if not report.ok:
            raise CommandError(
                f"{len(report.row_errors)} rows with errors; nothing was written"
                if report.row_errors
                else "nothing was written"
            )
        totals = report.totals
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{totals['new']} new, {totals['update']} updated, {totals['skip']} unchanged "
            f"accounts {verb} imported."
        )
        if invite and not dry_run:
            self.stdout.write(
                f"{report.invited} invitations queued (Users, filter by invitation, shows "
                "which were sent)."
            )
