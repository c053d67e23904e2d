"""CPU time of one full sign-in, besides the Argon2 verify, measured in one process.

Production settings (``DEBUG`` false, cached template loader, WhiteNoise's manifest), the
bench's own PostgreSQL database and private Redis, as ``bench.run``; but the four requests
of a sign-in as Chromium makes them (the username page, which holds step 2 and its password
form, shown by Next and "Sign in with password" without a request; Sign in, the password with
the username, answered with the authenticator's code page: the account's one factor; Validate,
answered with Trust this device; Confirm and Continue, answered with Home) go
straight into the portal's WSGI application in this process, with a small cookie jar and the
CSRF token read from each form, as a browser sends them. No test client (it records every
rendered template's context) and no HTTP, so what is counted is what a gunicorn worker spends
on the requests.

CPU time, not wall time: the machine may be shared. Per sign-in it reports

- ``portal_cpu_ms``: this process (``time.process_time``: the portal, its database driver and
  redis-py);
- ``db_cpu_ms`` and ``redis_cpu_ms``: the PostgreSQL backend serving this process and the
  private redis-server (utime + stime from /proc);
- ``argon2_cpu_ms``: one verify of the bench password;
- ``own_cpu_ms`` = portal + database - one verify (what issue 15's target counts);
- SQL statements and Redis commands per sign-in, and the web process's peak RSS (VmHWM).

    python -m bench.signin_cpu --signins 60 [--repeat 3] [--profile cprofile|pyinstrument]

Prints a table and writes ``bench/results/signin_cpu.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed
from bench.services import REPO, Services, cpu_seconds, memory_kib

# (step, method, path, form); "USER" and "CODE" are filled in per sign-in.
# The username page holds step 2 and the password form (portal.js shows them); Sign in is
# answered with the code page, Validate with Trust this device, Confirm and Continue with Home,
# each shown in place of a redirect to it (sso/in_place.py).
SIGNIN = {"username": "USER", "password": seed.PASSWORD}
SIGNIN_REQUESTS = [
    ("username", "GET", "/accounts/login/", None),
    ("password", "POST", "/accounts/login/password/", SIGNIN),
    ("code", "POST", "/security/challenge/totp/", {"code": "CODE"}),
    ("confirm", "POST", "/security/challenge/confirm/", {"remember": "on"}),
]
EXPECTED = [200, 200, 200, 200]
STEP_CPU: Counter[str] = Counter()  # CPU seconds per request, over the measured rounds
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"


class Browser:
    """Cookies and the last form's CSRF token, over the WSGI application in this process."""

    def __init__(self, application) -> None:  # type: ignore[no-untyped-def]
        self.application = application
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def request(self, method: str, path: str, form: dict[str, str] | None) -> tuple[int, bytes]:
        from urllib.parse import urlencode

        body = b""
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.csrf_token}).encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": USER_AGENT,
            "HTTP_ACCEPT": "text/html,application/xhtml+xml",
            "HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9",
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if body:
            environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
            environ["CONTENT_LENGTH"] = str(len(body))
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status_line: list[str] = []
        headers: list[tuple[str, str]] = []

        def start_response(status, response_headers, exc_info=None):  # type: ignore[no-untyped-def]
            status_line.append(status)
            headers.extend(response_headers)

        result = self.application(environ, start_response)
        try:
            content = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        for name, value in headers:
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if "expires=Thu, 01 Jan 1970" in value or "Max-Age=0" in value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
        match = CSRF_FIELD.search(content)
        if match:
            self.csrf_token = match.group(1).decode()
        return int(status_line[0].split()[0]), content


def run_signin(application, account: seed.Account, trace=None) -> None:  # type: ignore[no-untyped-def]
    """One sign-in by a new browser (no cookies), as ``bench.run``'s driver makes it.

    ``trace(method, path)``, when given, is called before each request.
    """
    import pyotp

    browser = Browser(application)
    for (_step, method, path, form), status in zip(SIGNIN_REQUESTS, EXPECTED, strict=True):
        if trace is not None:
            trace(method, path)
        if form:
            form = {
                k: account.username
                if v == "USER"
                else pyotp.TOTP(account.totp_key).now()
                if v == "CODE"
                else v
                for k, v in form.items()
            }
        cpu = time.process_time()
        got, content = browser.request(method, path, form)
        STEP_CPU[f"{method} {path}"] += time.process_time() - cpu
        if got != status:
            raise RuntimeError(f"{method} {path}: {got}\n{content[:2000].decode(errors='replace')}")


def print_sql(application, account: seed.Account) -> None:  # type: ignore[no-untyped-def]
    """The statements of one more sign-in of ``account``, under the request that sent each."""
    from django.db import connection

    def show(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        print(f"    {sql[:400]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(show):
        run_signin(application, account, trace=lambda method, path: print(method, path))


def gunicorn_figures(services: Services, accounts: list[seed.Account]) -> dict[str, object]:
    """Sign-ins over HTTP against gunicorn (1 sync worker): its peak RSS and its CPU (with its
    PostgreSQL backend's) per sign-in, the bench's client (bench/client.py) in this process."""
    import asyncio

    from bench import client as browser
    from bench.services import postgres_backend_pids

    services.web_workers = 1
    services.start_web()
    worker = services.web_worker_pids()[0]
    clock = browser.TotpClock(accounts)
    base = services.base_url
    asyncio.run(browser.signin_load(base, clock, 1, 60, 3))  # warm-up
    pids = [worker, *postgres_backend_pids(services.database)]
    before = {pid: cpu_seconds(pid) for pid in pids}
    timings, _elapsed = asyncio.run(browser.signin_load(base, clock, 1, 120, len(accounts) - 3))
    done = max(len(timings.signins), 1)
    cpu = sum(cpu_seconds(pid) - before[pid] for pid in pids)
    memory = memory_kib(worker)
    return {
        "signins": len(timings.signins),
        "errors": dict(timings.errors),
        "server_cpu_ms_per_signin": round(cpu / done * 1000, 2),
        "worker_peak_rss_mib": round(memory.get("VmHWM", 0) / 1024, 1),
        "worker_rss_mib": round(memory.get("VmRSS", 0) / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=60, help="sign-ins per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--database", default="sso_bench_signin_cpu")
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"], default=None)
    parser.add_argument(
        "--gunicorn",
        type=int,
        default=0,
        metavar="N",
        help="also N sign-ins over HTTP to one gunicorn worker: its peak RSS and server CPU",
    )
    parser.add_argument(
        "--sql", action="store_true", help="print the SQL of one sign-in, request by request"
    )
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "signin_cpu.json")
    args = parser.parse_args(argv)

    services = Services(database=args.database)
    try:
        env = services.prepare()
        # One database connection for the whole run (production reopens it every 60 s, which a
        # slow run on a busy machine would count as changes of backend).
        env["DB_CONN_MAX_AGE"] = services.env["DB_CONN_MAX_AGE"] = "3600"
        seed.setup_django(env)
        from django.core.wsgi import get_wsgi_application
        from django.db import connection

        application = get_wsgi_application()
        total = args.signins * args.repeat + 3
        accounts = seed.seed_accounts("c", total, totp=True, email=False)
        for account in accounts[:3]:  # warm-up: imports, connections, compiled templates
            run_signin(application, account)
        if args.sql:
            print_sql(application, accounts[-1])
            return 0
        argon2_cpu = sorted(seed.time_password_verify(1)[1] for _ in range(9))[4]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_pid = cursor.fetchone()[0]
        redis_pid = services.redis.proc.pid

        statements: Counter[str] = Counter()

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            statements[sql.split(None, 1)[0].upper()] += 1
            return execute(sql, params, many, context)

        import redis

        from sso.redis_commands import RedisCommands

        redis_commands = 0
        original = redis.Redis.execute_command
        # The session's and the attempt counters' commands go on a connection of their own,
        # not through redis-py's client (sso.redis_commands.RedisCommands): counted there.
        original_session = RedisCommands.execute

        def counting(self, *a, **k):  # type: ignore[no-untyped-def]
            nonlocal redis_commands
            redis_commands += 1
            return original(self, *a, **k)

        def counting_session(self, *a):  # type: ignore[no-untyped-def]
            nonlocal redis_commands
            redis_commands += 1
            return original_session(self, *a)

        rounds = []
        profiler = None
        STEP_CPU.clear()
        remaining = iter(accounts[3:])
        for _ in range(args.repeat):
            batch = [next(remaining) for _ in range(args.signins)]
            statements.clear()
            redis_commands = 0
            redis.Redis.execute_command = counting
            RedisCommands.execute = counting_session
            if args.profile == "cprofile":
                import cProfile

                profiler = profiler or cProfile.Profile(time.process_time)
                profiler.enable()
            elif args.profile == "pyinstrument" and profiler is None:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                profiler.start()
            db0, redis0 = cpu_seconds(backend_pid), cpu_seconds(redis_pid)
            cpu0 = time.process_time()
            with connection.execute_wrapper(count):
                for account in batch:
                    run_signin(application, account)
            cpu = time.process_time() - cpu0
            db, rds = cpu_seconds(backend_pid) - db0, cpu_seconds(redis_pid) - redis0
            if args.profile == "cprofile":
                profiler.disable()
            redis.Redis.execute_command = original
            RedisCommands.execute = original_session
            n = len(batch)
            rounds.append(
                {
                    "portal_cpu_ms": round(cpu / n * 1000, 2),
                    "db_cpu_ms": round(db / n * 1000, 2),
                    "redis_cpu_ms": round(rds / n * 1000, 2),
                    "sql_per_signin": round(sum(statements.values()) / n, 2),
                    "sql_by_kind": {k: round(v / n, 2) for k, v in statements.most_common()},
                    "redis_commands_per_signin": round(redis_commands / n, 2),
                }
            )
        if args.profile == "pyinstrument":
            profiler.stop()
        peak = memory_kib(os.getpid())
        served = {}
        if args.gunicorn:
            served = gunicorn_figures(
                services, seed.seed_accounts("g", args.gunicorn + 3, totp=True, email=False)
            )
    finally:
        services.close()

    best = min(rounds, key=lambda r: r["portal_cpu_ms"] + r["db_cpu_ms"])
    own = best["portal_cpu_ms"] + best["db_cpu_ms"] - argon2_cpu * 1000
    result = {
        "what": "one full sign-in with an authenticator code, 6 requests, in one process",
        "signins_per_round": args.signins,
        "rounds": rounds,
        "argon2_cpu_ms": round(argon2_cpu * 1000, 2),
        "portal_cpu_ms": best["portal_cpu_ms"],
        "db_cpu_ms": best["db_cpu_ms"],
        "redis_cpu_ms": best["redis_cpu_ms"],
        "own_cpu_ms": round(own, 2),
        "sql_per_signin": best["sql_per_signin"],
        "redis_commands_per_signin": best["redis_commands_per_signin"],
        "portal_cpu_ms_per_request": {
            k: round(v / (args.signins * args.repeat) * 1000, 2) for k, v in STEP_CPU.items()
        },
        "process_peak_rss_mib": round(peak.get("VmHWM", 0) / 1024, 1),
        "gunicorn": served,
        "load_average": os.getloadavg(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    for i, r in enumerate(rounds):
        print(
            f"round {i + 1}: portal {r['portal_cpu_ms']:.1f} ms, db {r['db_cpu_ms']:.1f} ms, "
            f"redis {r['redis_cpu_ms']:.1f} ms, SQL {r['sql_per_signin']}, "
            f"redis cmds {r['redis_commands_per_signin']}"
        )
    for name, ms in result["portal_cpu_ms_per_request"].items():
        print(f"  {name:<36} {ms:6.2f} ms")
    print(f"Argon2 verify CPU {result['argon2_cpu_ms']:.1f} ms")
    print(f"own CPU per sign-in (portal + db - verify): {result['own_cpu_ms']:.1f} ms")
    if served:
        print(f"gunicorn worker: {served}")
    print(f"peak RSS of this process {result['process_peak_rss_mib']} MiB")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.json}")
    if args.profile == "cprofile":
        import pstats

        path = REPO / "var" / "signin_cpu.prof"
        path.parent.mkdir(exist_ok=True)
        profiler.dump_stats(path)
        stats = pstats.Stats(str(path))
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(80)
        print(f"cProfile stats: {path}")
    elif args.profile == "pyinstrument":
        html = REPO / "var" / "signin_cpu.html"
        html.parent.mkdir(exist_ok=True)
        html.write_text(profiler.output_html())
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
