"""``make bench``: the portal's figures on this machine, printed and written as JSON.

Starts the portal under gunicorn with production settings (DEBUG off, a random SECRET_KEY) on
its own PostgreSQL database (``sso_bench``, dropped afterwards) and its own redis-server, with
a real Celery worker and an SMTP server (aiosmtpd) on 127.0.0.1; seeds accounts with
authenticator apps (pyotp computes the codes) and drives the pages from this process with
asyncio + aiohttp. Everything it starts, it stops. Figures, never asserts (design.md, bench/).

    python -m bench.run                       # about 2-3 minutes
    python -m bench.run --seconds 60 --concurrency 8 --web-workers 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import client as browser
from bench import seed
from bench.services import REPO, Services, cpu_seconds, cpu_spent, memory_kib, server_pids

RESULTS = REPO / "bench" / "results"


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else float("nan"),
    }


def machine() -> dict[str, object]:
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "load_average_at_start": os.getloadavg(),
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=4, help="browsers at once (load)")
    parser.add_argument("--seconds", type=float, default=30, help="length of the load phase")
    parser.add_argument("--single-seconds", type=float, default=20, help="concurrency-1 phase")
    parser.add_argument("--oidc-seconds", type=float, default=15)
    parser.add_argument("--oidc-clients", type=int, default=4)
    parser.add_argument("--email-rate", type=float, default=20.0, help="code requests / s")
    parser.add_argument("--email-requests", type=int, default=160)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    # An authenticator takes a code once per 30 s step (django-otp's replay guard), so the
    # accounts cap sign-ins at accounts / 30 per second: 1,500 leave room for 50/s.
    parser.add_argument("--accounts", type=int, default=1500, help="TOTP accounts")
    parser.add_argument("--argon2-rounds", type=int, default=20)
    parser.add_argument("--database", default="sso_bench")
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json")
    return parser.parse_args(argv)


def server_time(served: list, signins: int) -> dict:
    """Milliseconds gunicorn spent per sign-in: in all, on the password POST (Argon2 and the
    rest of that step) and on every other request."""
    signins = max(signins, 1)
    password = [r.seconds for r in served if r.method == "POST" and r.path.endswith("/password/")]
    total = sum(r.seconds for r in served)
    return {
        "requests_per_signin": round(len(served) / signins, 1),
        "ms_per_signin": round(total * 1000 / signins, 1),
        "password_post_p50_ms": round(percentile(password, 50) * 1000, 1) if password else None,
        "other_requests_ms_per_signin": round((total - sum(password)) * 1000 / signins, 1),
    }


async def measure(args: argparse.Namespace, services: Services, data: dict) -> None:
    base = services.base_url
    clock = browser.TotpClock(data.pop("_totp_accounts"))
    email_accounts = data.pop("_email_accounts")

    # Warm every worker (imports, first connections) before timing anything.
    await browser.signin_load(base, clock, args.web_workers, 60, args.web_workers * 2)

    print(f"· sign-ins at concurrency 1 for {args.single_seconds:.0f} s", flush=True)
    cpu_before = {pid: cpu_seconds(pid) for pid in server_pids(services.web.pid, services.database)}
    _served, log_offset = services.served_since(0)
    single, single_elapsed = await browser.signin_load(base, clock, 1, args.single_seconds, 10_000)
    server_cpu = cpu_spent(cpu_before, server_pids(services.web.pid, services.database))
    served, _end = services.served_since(log_offset)
    argon2, argon2_cpu = seed.time_password_verify(args.argon2_rounds)
    data["argon2"] = {**data["argon2"], **summary_ms(argon2), "cpu_ms": round(argon2_cpu * 1000, 1)}
    data["single"] = timings_json(single, single_elapsed, 1)
    signin_p50 = percentile(single.signins, 50)
    data["ratio_signin_to_argon2"] = round(signin_p50 / percentile(argon2, 50), 2)
    # The same ratio in CPU time (gunicorn + its PostgreSQL backends, per sign-in), which
    # other work on a shared machine disturbs far less than the wall clock.
    cpu_per_signin = server_cpu / max(len(single.signins), 1)
    data["single"]["server_cpu_ms_per_signin"] = round(cpu_per_signin * 1000, 1)
    data["ratio_cpu_signin_to_argon2"] = round(cpu_per_signin / argon2_cpu, 2)
    # And in the portal's own time: what gunicorn spent on each request of the sign-ins,
    # without the client and the loopback.
    data["single"]["server"] = server_time(served, len(single.signins))
    data["ratio_server_signin_to_argon2"] = round(
        data["single"]["server"]["ms_per_signin"] / data["argon2"]["p50_ms"], 2
    )

    print(f"· sign-ins at concurrency {args.concurrency} for {args.seconds:.0f} s", flush=True)
    load, load_elapsed = await browser.signin_load(
        base, clock, args.concurrency, args.seconds, 100_000
    )
    data["load"] = timings_json(load, load_elapsed, args.concurrency)

    print(f"· OpenID Connect code exchanges, {args.oidc_clients} sessions", flush=True)
    clients = await signed_in_clients(base, clock, args.oidc_clients)
    data["oidc"] = await oidc_phase(clients, data["oidc_client"], args.oidc_seconds)

    print(f"· e-mail codes at {args.email_rate:g}/s ({len(email_accounts)} requests)", flush=True)
    sem = asyncio.Semaphore(args.web_workers * 2)

    async def prepare(account: seed.Account):
        async with sem:
            client, csrf = await browser.at_password(base, account)
            return client, csrf, account

    browsers = await asyncio.gather(*(prepare(a) for a in email_accounts))
    latencies, page_times, lost = await browser.email_code_load(
        browsers, args.email_rate, services.smtp
    )
    for client, _, _ in browsers:
        await client.aclose()
    if lost:  # what the worker said, for the reason
        worker_log = (services.workdir / "worker.log").read_text(errors="replace").splitlines()
        for line in [line for line in worker_log if "ERROR" in line or "WARNING" in line][-10:]:
            print("  worker:", line[:300])
    data["email_otp"] = {
        "rate_per_s": args.email_rate,
        "requests": len(browsers),
        "delivered": len(latencies),
        "lost": lost,
        "request_to_smtp": summary_ms(latencies),
        "page": summary_ms(page_times),
        "celery_concurrency": args.celery_concurrency,
    }


async def signed_in_clients(
    base: str, clock: browser.TotpClock, sessions: int
) -> list[browser.Client]:
    """``sessions`` browsers, each through a full sign-in."""
    clients = []
    for _ in range(sessions):
        account = await clock.take()
        clients.append(await browser.signed_in_client(base, account))
        clock.give_back(account)
    return clients


async def oidc_phase(clients: list[browser.Client], client_id: str, seconds: float) -> dict:
    """The signed-in ``clients`` exchanging codes (authorize → token) for ``seconds``; closes
    them afterwards."""
    times, errors, elapsed = await browser.oidc_load(clients, client_id, seconds)
    for c in clients:
        await c.aclose()
    return {
        "sessions": len(clients),
        "exchanges": len(times["token"]),
        "exchanges_per_s": round(len(times["token"]) / elapsed, 1),
        "errors": errors,
        "authorize": summary_ms(times["authorize"]),
        "token": summary_ms(times["token"]),
    }


def web_worker_memory(pids: list[int]) -> dict:
    """Peak resident set (VmHWM) of gunicorn's workers, in MiB."""
    peaks = [memory_kib(pid).get("VmHWM", 0) for pid in pids]
    return {
        "workers": len(pids),
        "peak_rss_mib": round(max(peaks, default=0) / 1024, 1),
        "per_worker_peak_rss_mib": [round(p / 1024, 1) for p in peaks],
    }


def timings_json(timings: browser.Timings, elapsed: float, concurrency: int) -> dict:
    return {
        "concurrency": concurrency,
        "signins": len(timings.signins),
        "seconds": round(elapsed, 1),
        "signins_per_s": round(len(timings.signins) / elapsed, 2) if elapsed else 0,
        "signin": summary_ms(timings.signins),
        "steps": {name: summary_ms(timings.steps[name]) for name in browser.STEPS},
        "errors": dict(timings.errors),
    }


def print_table(data: dict) -> None:
    m = data["machine"]
    print()
    print(
        f"SSO portal bench — {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}; "
        f"load average {m['load_average_at_start'][0]:.1f} at start, "
        f"{data['load_average_at_end'][0]:.1f} at end (other work on the machine skews times)"
    )
    print(
        f"gunicorn {data['config']['web_workers']} sync workers · PostgreSQL · Redis · "
        "DEBUG off · SECURE_HTTPS=false (plain http on 127.0.0.1; no TLS cost measured)"
    )
    a = data["argon2"]
    print(
        f"Argon2 ({a.get('variant')}, t={a.get('time_cost')}, m={a.get('memory_cost_kib')} KiB, "
        f"p={a.get('parallelism')}): verify p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms"
    )
    print()
    header = f"{'step':<10}" + "".join(
        f"{'c=' + str(data[k]['concurrency']) + ' ' + q:>12}"
        for k in ("single", "load")
        for q in ("p50", "p95", "p99")
    )
    print(header + "   (ms; a step = page GET + form POST)")
    for name in [*browser.STEPS, "signin"]:
        row = f"{name:<10}"
        for k in ("single", "load"):
            s = data[k]["signin"] if name == "signin" else data[k]["steps"][name]
            row += "".join(f"{s[q]:>12}" for q in ("p50_ms", "p95_ms", "p99_ms"))
        print(row)
    print()
    for k in ("single", "load"):
        d = data[k]
        errors = sum(d["errors"].values())
        print(
            f"full sign-ins at concurrency {d['concurrency']}: {d['signins_per_s']}/s "
            f"({d['signins']} in {d['seconds']} s, {errors} errors)"
        )
    print(
        f"sign-in time / Argon2 verify at concurrency 1 (p50s): {data['ratio_signin_to_argon2']}"
        f"; in server CPU time: {data['single']['server_cpu_ms_per_signin']} ms / "
        f"{a['cpu_ms']} ms = {data['ratio_cpu_signin_to_argon2']}"
    )
    srv = data["single"]["server"]
    print(
        f"in the portal's own time (gunicorn, no client): {srv['ms_per_signin']} ms per sign-in "
        f"({srv['requests_per_signin']} requests: password POST p50 "
        f"{srv['password_post_p50_ms']} ms, the others {srv['other_requests_ms_per_signin']} ms)"
        f" / Argon2 {a['p50_ms']} ms = {data['ratio_server_signin_to_argon2']}"
    )
    o = data["oidc"]
    print(
        f"OIDC code exchanges: {o['exchanges_per_s']}/s with {o['sessions']} sessions "
        f"(authorize p50 {o['authorize']['p50_ms']} ms, token p50 {o['token']['p50_ms']} ms, "
        f"{o['errors']} errors)"
    )
    e = data["email_otp"]
    print(
        f"e-mail code, password POST → SMTP accepted, at {e['rate_per_s']:g}/s: "
        f"p50 {e['request_to_smtp']['p50_ms']} ms, p95 {e['request_to_smtp']['p95_ms']} ms "
        f"({e['delivered']}/{e['requests']} delivered)"
    )
    w = data["web_worker_memory"]
    print(f"web worker peak RSS: {w['peak_rss_mib']} MiB (max over {w['workers']} workers)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    services = Services(
        database=args.database,
        web_workers=args.web_workers,
        celery_concurrency=args.celery_concurrency,
    )
    started = time.monotonic()
    data: dict = {"machine": machine(), "config": vars(args) | {"json": str(args.json)}}
    try:
        print("· starting redis-server, PostgreSQL database, migrations", flush=True)
        env = services.prepare()
        seed.setup_django(env)
        data["argon2"] = seed.argon2_parameters()
        data["_totp_accounts"] = seed.seed_accounts("t", args.accounts, totp=True, email=False)
        data["_email_accounts"] = seed.seed_accounts(
            "e", args.email_requests, totp=False, email=True
        )
        data["oidc_client"] = seed.seed_relying_app()
        from django.db import connections

        connections.close_all()
        services.start_smtp()
        services.start_web()
        services.start_worker()
        asyncio.run(measure(args, services, data))
        data["web_worker_memory"] = web_worker_memory(services.web_worker_pids())
    finally:
        services.close()
    data["total_seconds"] = round(time.monotonic() - started, 1)
    data["load_average_at_end"] = os.getloadavg()
    print_table(data)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2, default=str) + "\n")
    shown = args.json.relative_to(REPO) if args.json.is_relative_to(REPO) else args.json
    print(f"\nwritten {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
