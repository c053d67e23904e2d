"""How fast the admins' Overview renders over a big audit trail (5 million events by default).

Seeds a PostgreSQL database of its own (``sso_bench_overview``) with a year of sign-in events
spread over 2,000 accounts in 5 groups and 3 relying apps, rolls the last 32 days up as Celery
beat would, then renders /admin/overview/ in this process (Django's test client, as a
superuser): everyone, one group, one app, and the five chart images. Prints the figures and
writes bench/results/overview.json. Run: ``.venv/bin/python -m bench.overview [--events N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

from bench.services import create_database, drop_database

DATABASE = "sso_bench_overview"
RESULTS = Path(__file__).resolve().parent / "results" / "overview.json"

# One year of events: for each event a random second of the year, a random account, and a kind
# drawn with the shares of a real trail (mostly password steps and finished sign-ins).
SEED_EVENTS = """
INSERT INTO accounts_auditevent
    (created_at, kind, result, user_id, username, method, ip, user_agent, device, details)
SELECT
    now() - make_interval(secs => floor(random() * 365 * 86400)),
    k.kind, k.result, u.id, u.username, k.method, '10.1.2.3'::inet, '', '',
    CASE WHEN random() < 0.5
         THEN jsonb_build_object('client_id', 'app-' || (1 + floor(random() * 3))::int)
         ELSE '{}'::jsonb END
FROM generate_series(1, %(n)s) AS g
CROSS JOIN LATERAL (SELECT floor(random() * 100)::int AS r, g AS g) AS pick
JOIN (VALUES
    (0, 35, 'signin.password', 'success', 'pwd'),
    (35, 45, 'signin.password', 'failure', 'pwd'),
    (45, 70, 'signin.second_factor', 'success', 'totp'),
    (70, 73, 'signin.second_factor', 'failure', 'totp'),
    (73, 98, 'signin.complete', 'success', 'otp,pwd'),
    (98, 100, 'signin.passkey', 'success', 'passkey')
) AS k(lo, hi, kind, result, method) ON pick.r >= k.lo AND pick.r < k.hi
JOIN accounts_user u ON u.id = (SELECT min(id) FROM accounts_user) + (pick.g %% %(users)s)
"""


def seed(events: int, users: int) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection

    from accounts.models import User
    from accounts.usernames import canonical_username

    groups = [Group.objects.create(name=f"Group {i}") for i in range(5)]
    people = User.objects.bulk_create(
        [
            User(
                username=f"person{i:05d}",
                username_canonical=canonical_username(f"person{i:05d}"),
                email=f"person{i:05d}@bench.invalid",
            )
            for i in range(users)
        ]
    )
    membership = User.groups.through
    membership.objects.bulk_create(
        [membership(user_id=p.pk, group_id=groups[i % 5].pk) for i, p in enumerate(people)]
    )
    with connection.cursor() as cursor:
        cursor.execute(SEED_EVENTS, {"n": events, "users": users})
        cursor.execute("ANALYZE accounts_auditevent")


def timed(fn, rounds: int) -> dict[str, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
        "max_ms": round(times[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    url = create_database(DATABASE)
    os.environ.update(
        DATABASE_URL=url, DJANGO_SETTINGS_MODULE="sso.settings", DEBUG="true",
        SECRET_KEY="bench-overview-" + "k" * 40, ALLOWED_HOSTS="testserver,localhost",
    )  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import AuditEvent, User
    from accounts.overview.rollup import roll_up

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        seed(args.events, args.users)
        seeded_s = time.perf_counter() - started
        total = AuditEvent.objects.count()
        started = time.perf_counter()
        rows = roll_up()
        rollup_s = time.perf_counter() - started

        root = User.objects.create(username="root", is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(root)
        group = root.__class__.groups.field.related_model.objects.first()

        def page(query: str = ""):
            response = client.get(f"/admin/overview/{query}")
            assert response.status_code == 200, response.status_code

        page()  # warm the template and connection
        figures = {
            "everyone": timed(page, args.rounds),
            "one_group": timed(lambda: page(f"?group={group.pk}"), args.rounds),
            "one_app": timed(lambda: page("?app=app-1"), args.rounds),
        }
        for chart in ("hours", "days", "reasons", "methods", "devices"):
            figures[f"chart_{chart}"] = timed(
                lambda chart=chart: client.get(f"/admin/overview/chart/{chart}.svg"), args.rounds
            )
        result = {
            "audit_events": total,
            "accounts": args.users,
            "seed_seconds": round(seeded_s, 1),
            "rollup_seconds": round(rollup_s, 2),
            "rollup_rows": rows,
            "render": figures,
        }
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(DATABASE)

    print(f"audit events: {total:,}; roll-up of 32 days: {rollup_s:.2f} s, {rows:,} rows")
    for name, figure in figures.items():
        print(f"{name:16} p50 {figure['p50_ms']:7.1f} ms   p95 {figure['p95_ms']:7.1f} ms")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
