"""manage.py export_accounts FILE: every account in the import's columns (CSV or XLSX)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.imports.flows import FORMATS
from accounts.imports.resources import AccountResource


class Command(BaseCommand):
    help = (
        "Exports accounts (username, name, email, phone, groups, is_staff, language) "
        "to CSV or XLSX."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:  # type: ignore[no-untyped-def]
        kind = file.suffix.lower().lstrip(".")
        if kind not in FORMATS:
            raise CommandError("use a .csv or .xlsx file name")
        dataset = AccountResource().export()
        data = FORMATS[kind]().export_data(dataset)
        file.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        self.stdout.write(f"{len(dataset)} accounts written to {file}.")
