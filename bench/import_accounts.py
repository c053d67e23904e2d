"""How long a bulk import of accounts takes, and how much memory it needs (10,000 rows).

Creates a PostgreSQL database of its own (``sso_bench_import``), writes a CSV of N accounts,
then runs the same code as ``manage.py import_accounts``: a dry run (the admin's preview), the
import, and the same file again (idempotent: every row unchanged). Prints wall time and the
peak of Python's allocations (tracemalloc) for each, plus the process's peak RSS, and writes
bench/results/import_accounts.json. Figures, never asserts.
Run: ``.venv/bin/python -m bench.import_accounts [--rows N]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import time
from pathlib import Path

from bench.services import create_database, drop_database

DATABASE = "sso_bench_import"
RESULTS = Path(__file__).resolve().parent / "results" / "import_accounts.json"


def make_csv(rows: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["username", "name", "email", "phone", "groups", "is_staff"])
    for n in range(rows):
        writer.writerow([f"user{n:05d}", f"Person {n}", f"user{n:05d}@example.go.id", "", "", ""])
    return buffer.getvalue().encode()


def measured(step) -> dict:  # type: ignore[no-untyped-def]
    started, cpu = time.perf_counter(), time.process_time()
    report = step()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    assert report.ok, report.row_errors[:5] or report.file_errors  # a broken bench, not a figure
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1),
        "peak_rss_mib": round(rss), **report.totals,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    url = create_database(DATABASE)
    os.environ.update(
        DATABASE_URL=url, DJANGO_SETTINGS_MODULE="sso.settings", DEBUG="false",
        SECRET_KEY="bench-import-" + "k" * 40,
    )  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command

    from accounts.imports.flows import import_dataset, read_dataset

    content = make_csv(args.rows)
    try:
        call_command("migrate", verbosity=0)

        def run(dry_run: bool):  # type: ignore[no-untyped-def]
            return lambda: import_dataset(
                read_dataset(content, "csv"), actor=None, dry_run=dry_run, allow_privileged=True
            )

        figures = {
            "preview (dry run)": measured(run(True)),
            "import": measured(run(False)),
            "same file again": measured(run(False)),
        }
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.rows:,} rows, {len(content) / 2**20:.1f} MiB CSV; "
        f"process peak RSS {rss_mib:.0f} MiB"
    )
    for name, figure in figures.items():
        print(
            f"{name:18} {figure['seconds']:7.1f} s (CPU {figure['cpu_seconds']:.1f} s)  "
            f"{args.rows / figure['seconds']:6.0f} rows/s  RSS {figure['peak_rss_mib']} MiB  "
            f"new {figure['new']} update {figure['update']} unchanged {figure['skip']}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    result = {"rows": args.rows, "peak_rss_mib": round(rss_mib), "steps": figures}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
