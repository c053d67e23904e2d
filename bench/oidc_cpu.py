"""CPU per OpenID Connect code exchange (authorize with a live session → token), in-process.

The same production settings, private Redis and own PostgreSQL database as ``bench.run``, but the
requests go through Django's test client in this process: one signed-in browser (a full
password + authenticator sign-in) asks ``/o/authorize/`` for a code (public client, PKCE, scopes
openid profile email, as ``bench.client.code_exchange``), and the relying app, without the
browser's cookies, trades it at ``/o/token/``. Measured per exchange:

- CPU time of this process (``time.process_time``) and of its PostgreSQL backend
  (``/proc/<pid>/stat`` utime + stime; PostgreSQL runs on this machine) — CPU, not the wall
  clock, because the machine is shared;
- SQL queries of the authorize and of the token request;
- optionally (``--profile``) cProfile's top functions by cumulative time.

Prints and writes ``bench/results/oidc_cpu.json``; ``exchanges_per_s_per_core`` is
1 / (CPU seconds per exchange), the ceiling one core reaches when it does nothing else.

``--served SECONDS`` measures, after the in-process rounds, what ``make bench-peers`` measures:
the portal under gunicorn (2 sync workers, the statement counter of bench/sqlcount.py), four
signed-in browsers exchanging codes for that long over HTTP (the token request carries the
browser's cookies, as there), and the server CPU (gunicorn and its PostgreSQL backends) per
exchange.

    python -m bench.oidc_cpu --exchanges 300 [--profile | --sample] [--served 15]
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed
from bench.client import pkce_pair
from bench.profile_signin import run_signin
from bench.services import REPO, Services, cpu_seconds

RESULTS = REPO / "bench" / "results"
FORM = "application/x-www-form-urlencoded"


# Python CPU seconds per step, summed over the exchanges of a round.
STEP_CPU: dict[str, float] = defaultdict(float)


def code_exchange(browser, app, client_id: str) -> tuple[dict, dict]:
    """One exchange; returns the token response and ``{"authorize": n, "token": n}`` queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": "openid profile email",
            "redirect_uri": seed.RP_REDIRECT_URI,
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    start = time.process_time()
    with CaptureQueriesContext(connection) as authorize_queries:
        response = browser.get(f"/o/authorize/?{query}")
    STEP_CPU["authorize"] += time.process_time() - start
    location = response.headers.get("Location", "")
    if response.status_code != 302 or not location.startswith(seed.RP_REDIRECT_URI):
        raise RuntimeError(f"authorize answered {response.status_code} {location[:120]}")
    code = parse_qs(urlsplit(location).query)["code"][0]
    body = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": seed.RP_REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": client_id,
        }
    )
    start = time.process_time()
    with CaptureQueriesContext(connection) as token_queries:
        token = app.post("/o/token/", body, content_type=FORM)
    STEP_CPU["token"] += time.process_time() - start
    if token.status_code != 200 or "id_token" not in token.json():
        raise RuntimeError(f"token endpoint answered {token.status_code}: {token.content[:200]}")
    return token.json(), {
        "authorize": [q["sql"] for q in authorize_queries.captured_queries],
        "token": [q["sql"] for q in token_queries.captured_queries],
    }


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def served_exchanges(services: Services, seconds: float) -> dict:
    """Code exchanges through gunicorn for ``seconds``, as ``make bench-peers`` runs them."""
    import asyncio

    from django.db import connections

    from bench import client as browser
    from bench.run import oidc_phase, signed_in_clients
    from bench.services import cpu_spent, read_access_log, server_pids

    accounts = seed.seed_accounts("served", 8, totp=True, email=False)
    client_id = seed.seed_relying_app()
    connections.close_all()
    base_url = services.start_web(
        {"BENCH_WSGI_APP": "sso.wsgi:application"}, app="bench.sqlcount:application"
    )

    async def run() -> dict:
        clock = browser.TotpClock(accounts)
        await oidc_phase(await signed_in_clients(base_url, clock, 2), client_id, 3)  # warm-up
        clients = await signed_in_clients(base_url, clock, 4)
        pids = server_pids(services.web.pid, services.database)
        before = {pid: cpu_seconds(pid) for pid in pids}
        offset = services.access_log().stat().st_size
        result = await oidc_phase(clients, client_id, seconds)
        cpu = cpu_spent(before, server_pids(services.web.pid, services.database))
        time.sleep(0.3)  # gunicorn logs a request after sending its response
        served, _end = read_access_log(services.access_log(), offset)
        sql = defaultdict(list)
        for request in served:
            if request.sql is not None:
                sql[request.path].append(request.sql)
        exchanges = max(result["exchanges"], 1)
        result["server_cpu_ms_per_exchange"] = round(cpu * 1000 / exchanges, 2)
        result["exchanges_per_server_cpu_s"] = round(exchanges / max(cpu, 1e-9), 1)
        result["sql_per_request"] = {p: round(sum(v) / len(v), 2) for p, v in sql.items()}
        return result

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exchanges", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3, help="best of (least disturbed) rounds")
    parser.add_argument("--database", default="sso_bench_oidc_cpu")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument(
        "--sample", action="store_true", help="print pyinstrument's sampled call tree"
    )
    parser.add_argument("--queries", action="store_true", help="print the SQL of one exchange")
    parser.add_argument(
        "--served", type=float, default=0, help="seconds of exchanges through gunicorn too"
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "oidc_cpu.json")
    args = parser.parse_args(argv)

    services = Services(database=args.database)
    try:
        env = services.prepare()
        seed.setup_django(env)
        from django.test.utils import setup_test_environment

        setup_test_environment()  # the test client needs it; it swaps the mail backend only
        from django.test import Client

        client_id = seed.seed_relying_app()
        account = seed.seed_accounts("o", 1, totp=True, email=False)[0]
        browser, app = Client(), Client()
        run_signin(browser, account, defaultdict(list))
        for _ in range(20):  # warm-up: imports, key parsing, connections
            _token, queries = code_exchange(browser, app, client_id)
        pid = backend_pid()
        rounds = []
        for _ in range(args.rounds):
            STEP_CPU.clear()
            cpu, pg = time.process_time(), cpu_seconds(pid)
            for _ in range(args.exchanges):
                code_exchange(browser, app, client_id)
            rounds.append(
                {
                    "python_ms": (time.process_time() - cpu) * 1000 / args.exchanges,
                    "postgres_ms": (cpu_seconds(pid) - pg) * 1000 / args.exchanges,
                    **{f"{k}_python_ms": v * 1000 / args.exchanges for k, v in STEP_CPU.items()},
                }
            )
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
            profiler.enable()
            for _ in range(min(args.exchanges, 100)):
                code_exchange(browser, app, client_id)
            profiler.disable()
            (REPO / "var").mkdir(exist_ok=True)
            profiler.dump_stats(REPO / "var" / "oidc_cpu.prof")
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(70)
            stats.sort_stats("tottime").print_stats(40)
        if args.sample:
            from pyinstrument import Profiler
            from pyinstrument.stack_sampler import get_stack_sampler

            # Sampled on this process's CPU clock, not the wall clock: waits for PostgreSQL
            # and Redis (and other processes on a shared machine) take no samples.
            get_stack_sampler().timer_func = time.process_time
            sampler = Profiler(interval=0.0002)  # sampling: small overhead, true proportions
            sampler.start()
            for _ in range(args.exchanges):
                code_exchange(browser, app, client_id)
            sampler.stop()
            print(sampler.output_text(unicode=True, show_all=False))
        served = served_exchanges(services, args.served) if args.served > 0 else None
    finally:
        services.close()

    best = min(rounds, key=lambda r: r["python_ms"] + r["postgres_ms"])
    total = best["python_ms"] + best["postgres_ms"]
    data = {
        "what": "OIDC code exchange: authorize (live session) + token, public client + PKCE, "
        "in-process (Django test client), production settings",
        "exchanges_per_round": args.exchanges,
        "rounds": [{k: round(v, 2) for k, v in r.items()} for r in rounds],
        "python_cpu_ms_per_exchange": round(best["python_ms"], 2),
        "postgres_cpu_ms_per_exchange": round(best["postgres_ms"], 2),
        "python_cpu_ms_by_step": {
            step: round(best[f"{step}_python_ms"], 2) for step in ("authorize", "token")
        },
        "cpu_ms_per_exchange": round(total, 2),
        "exchanges_per_s_per_core": round(1000 / total, 1),
        "queries": {"authorize": len(queries["authorize"]), "token": len(queries["token"])},
        "note": "includes the test client's own work (a few percent); the machine is shared, "
        "so CPU time is measured, not the wall clock",
    }
    if served is not None:
        data["served"] = served
    if args.queries:
        for step, sql in queries.items():
            print(f"--- {step}: {len(sql)} queries")
            for statement in sql:
                print(f"  {statement[:220]}")
    print(json.dumps(data, indent=2))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
