"""CPU time each middleware spends per request, over the sign-ins of ``bench.signin_cpu``.

The portal's ``MIDDLEWARE`` with a timer between every two layers, in one process as
``bench.signin_cpu`` (production settings, the bench's own PostgreSQL database and Redis).
A layer's own time is the time inside its timer less the time inside the next one: what its
``__call__``, ``process_request`` and ``process_response`` cost, and what they caused (a
session read from Redis, the user read for a gate). ``process_view`` hooks and the view run
inside the innermost timer. The timers' own cost (an empty pair) is taken off each layer.

    python -m bench.middleware_cpu [--signins 60] [--rounds 3]

Prints microseconds of CPU per request for each layer (the best round).

    python -m bench.middleware_cpu --floor 2000 [--profile]

The fixed cost instead: CPU per request of the cheapest requests (the username page for a
new browser and for one that has its CSRF cookie, and a page that does not exist), ``N``
each, in this process and through gunicorn served as ``bench.peers`` serves the portal
(``bench.sqlcount``, 2 sync workers, access log; CPU of the master, the workers and their
PostgreSQL backends from /proc, as bench/peers/run.py reads it); and, through gunicorn only,
the smallest WSGI application (bench/floor_app.py) served the same way: what gunicorn costs by
itself. ``--profile``: a cProfile of the in-process requests, sorted by own time.

    python -m bench.middleware_cpu --session 3000

The session layer alone: the portal's session middleware around a view that reads, changes
or leaves the session, for a new browser, a session before sign-in and a signed-in one
(``N`` requests each, CPU per request, best of ``--rounds``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed, signin_cpu
from bench.services import Services

TIMER = "bench.middleware_cpu.Timer"
INSIDE: dict[int, float] = {}  # timer number (outermost 0) -> CPU seconds inside it


class Timer:
    """Adds the CPU time spent inside it to ``INSIDE[number]``."""

    built = 0  # Django builds the stack from the innermost layer out

    def __init__(self, get_response) -> None:  # type: ignore[no-untyped-def]
        self.get_response = get_response
        self.built_as = Timer.built
        Timer.built += 1

    def __call__(self, request):  # type: ignore[no-untyped-def]
        start = time.process_time()
        response = self.get_response(request)
        INSIDE[self.built_as] = INSIDE.get(self.built_as, 0.0) + time.process_time() - start
        return response


# (label, path, with the CSRF cookie of an earlier visit)
FLOOR_REQUESTS = [
    ("GET /accounts/login/, new browser", "/accounts/login/", False),
    ("GET /accounts/login/, CSRF cookie", "/accounts/login/", True),
    ("GET /robots.txt (404)", "/robots.txt", False),
]


GUNICORN_ALONE = "GET / of bench/floor_app.py (gunicorn alone)"


def floor_in_process(count: int, rounds: int, profile: bool) -> dict[str, float]:
    """Microseconds of this process's CPU per request of each of ``FLOOR_REQUESTS`` (best of
    ``rounds``), through the portal's WSGI application called directly."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    first = signin_cpu.Browser(application)
    first.request("GET", "/accounts/login/", None)  # warm-up, and a CSRF cookie to send back
    cookies = dict(first.cookies)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
    figures = {}
    for label, path, returning in FLOOR_REQUESTS:
        best = float("inf")
        for _ in range(rounds):
            start = time.process_time()
            if profiler is not None:
                profiler.enable()
            for _ in range(count):
                browser = signin_cpu.Browser(application)
                if returning:
                    browser.cookies = dict(cookies)
                browser.request("GET", path, None)
            if profiler is not None:
                profiler.disable()
            best = min(best, time.process_time() - start)
        figures[label] = best / count * 1e6
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats("tottime").print_stats(45)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(70)
    return figures


def floor_gunicorn(services: Services, count: int, rounds: int) -> dict[str, float]:
    """Microseconds of server CPU (gunicorn master and workers, their PostgreSQL backends)
    per request of each of ``FLOOR_REQUESTS`` (best of ``rounds``), served as bench.peers
    serves the portal; requests one at a time over HTTP/1.1 from this process."""
    import http.client

    from bench.services import children_of, cpu_seconds, cpu_spent, server_pids

    base = services.start_web(
        {"BENCH_WSGI_APP": "sso.wsgi:application"}, app="bench.sqlcount:application"
    )
    port = int(base.rsplit(":", 1)[1])

    def get(path: str, cookie: str) -> http.client.HTTPResponse:
        connection = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"User-Agent": signin_cpu.USER_AGENT, "Accept-Language": "en-US,en;q=0.9"}
        if cookie:
            headers["Cookie"] = cookie
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        connection.close()
        return response

    first = get("/accounts/login/", "")
    cookie = "; ".join(
        value.split(";", 1)[0] for name, value in first.getheaders() if name == "Set-Cookie"
    )
    for _ in range(50):  # warm-up of both workers
        get("/accounts/login/", cookie)
    figures = {}
    for label, path, returning in FLOOR_REQUESTS:
        best = float("inf")
        for _ in range(rounds):
            pids = server_pids(services.web.pid, services.database)
            before = {pid: cpu_seconds(pid) for pid in pids}
            for _ in range(count):
                get(path, cookie if returning else "")
            best = min(best, cpu_spent(before, server_pids(services.web.pid, services.database)))
        figures[label] = best / count * 1e6
    # gunicorn by itself: the same server, the smallest application, no database.
    port = int(services.start_web(app="bench.floor_app:application").rsplit(":", 1)[1])
    alone = services.extra_webs[-1].pid
    for _ in range(50):
        get("/", "")
    best = float("inf")
    for _ in range(rounds):
        before = {pid: cpu_seconds(pid) for pid in [alone, *children_of(alone)]}
        for _ in range(count):
            get("/", "")
        best = min(best, cpu_spent(before, [alone, *children_of(alone)]))
    figures[GUNICORN_ALONE] = best / count * 1e6
    return figures


def session_layer(count: int, rounds: int) -> dict[str, float]:
    """Microseconds of CPU per request of the session middleware alone (its request and
    response halves, with the Redis commands and the row they cause) for each case, best of
    ``rounds``."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    (path,) = [layer for layer in settings.MIDDLEWARE if layer.endswith(".SessionMiddleware")]
    middleware = import_string(path)
    factory = RequestFactory()

    def reads(request):  # type: ignore[no-untyped-def]
        request.session.get("signin")
        return HttpResponse("ok")

    def changes(request):  # type: ignore[no-untyped-def]
        request.session["step"] = request.session.get("step", 0) + 1
        return HttpResponse("ok")

    def leaves(request):  # type: ignore[no-untyped-def]
        return HttpResponse("ok")

    def new_session(signed_in: bool) -> str:
        request = factory.get("/")
        middleware(leaves).process_request(request)
        request.session["signin"] = {"username": "someone"}
        if signed_in:
            request.session[SESSION_KEY] = "1"
            request.session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            request.session[HASH_SESSION_KEY] = "0" * 64
        request.session.save()
        return request.session.session_key

    before, signed_in = new_session(False), new_session(True)
    cases = [
        ("new browser, session untouched", None, leaves),
        ("before sign-in, read", before, reads),
        ("before sign-in, changed", before, changes),
        ("signed in, read", signed_in, reads),
        ("signed in, changed", signed_in, changes),
    ]
    figures: dict[str, float] = {}
    for _ in range(rounds):
        for label, key, view in cases:
            layer = middleware(view)
            requests = [factory.get("/") for _ in range(count)]
            for request in requests:
                if key:
                    request.COOKIES[settings.SESSION_COOKIE_NAME] = key
            start = time.process_time()
            for request in requests:
                layer(request)
            spent = (time.process_time() - start) / count * 1e6
            figures[label] = min(figures.get(label, spent), spent)
    return figures


def floor(args: argparse.Namespace) -> int:
    """``--floor``: the CPU of the cheapest requests, in process and through gunicorn."""
    services = Services(database=args.database)
    try:
        env = services.prepare()
        seed.setup_django(env)
        in_process = floor_in_process(args.floor, args.rounds, args.profile)
        from django.db import connections

        connections.close_all()
        served = floor_gunicorn(services, args.floor, args.rounds)
    finally:
        services.close()
    print(f"CPU per request, µs (best of {args.rounds} rounds of {args.floor}):")
    print(f"  {'':<40} {'in process':>10} {'gunicorn':>10}")
    for label, _path, _returning in FLOOR_REQUESTS:
        print(f"  {label:<40} {in_process[label]:10.0f} {served[label]:10.0f}")
    print(f"  {GUNICORN_ALONE:<40} {'':>10} {served[GUNICORN_ALONE]:10.0f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=60, help="sign-ins per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--database", default="sso_bench_middleware_cpu")
    parser.add_argument(
        "--floor", type=int, default=0, metavar="N", help="the cheapest requests instead, N each"
    )
    parser.add_argument("--profile", action="store_true", help="with --floor: a cProfile")
    parser.add_argument(
        "--session", type=int, default=0, metavar="N", help="the session layer alone, N each"
    )
    args = parser.parse_args(argv)
    if args.floor:
        return floor(args)
    if args.session:
        services = Services(database=args.database)
        try:
            env = services.prepare()
            env["DB_CONN_MAX_AGE"] = services.env["DB_CONN_MAX_AGE"] = "3600"
            seed.setup_django(env)
            figures = session_layer(args.session, args.rounds)
        finally:
            services.close()
        print(f"Session middleware alone, CPU µs per request (best of {args.rounds}):")
        for label, micros in figures.items():
            print(f"  {label:<34} {micros:7.1f}")
        return 0
    # Django imports the timers by name: as bench.middleware_cpu, not as __main__.
    from bench import middleware_cpu as timing

    services = Services(database=args.database)
    try:
        env = services.prepare()
        env["DB_CONN_MAX_AGE"] = services.env["DB_CONN_MAX_AGE"] = "3600"
        seed.setup_django(env)
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application

        layers = list(settings.MIDDLEWARE)
        settings.MIDDLEWARE = [entry for layer in layers for entry in (TIMER, layer)]
        settings.MIDDLEWARE += [TIMER, TIMER]  # the innermost pair: the timers' own cost
        application = get_wsgi_application()
        timers = timing.Timer.built
        accounts = seed.seed_accounts("w", args.signins * args.rounds + 3, totp=True, email=False)
        for account in accounts[:3]:  # warm-up
            signin_cpu.run_signin(application, account)
        best: tuple[float, dict[int, float]] | None = None
        for round_number in range(args.rounds):
            timing.INSIDE.clear()
            start = time.process_time()
            first = 3 + round_number * args.signins
            for account in accounts[first : first + args.signins]:
                signin_cpu.run_signin(application, account)
            total = time.process_time() - start
            if best is None or total < best[0]:
                # numbered from the outermost timer
                best = (total, {timers - 1 - k: v for k, v in timing.INSIDE.items()})
    finally:
        services.close()

    total, inside = best
    requests = args.signins * len(signin_cpu.SIGNIN_REQUESTS)
    per_request = {k: v / requests * 1e6 for k, v in inside.items()}
    innermost = len(layers)
    overhead = per_request[innermost] - per_request[innermost + 1]
    print(f"CPU per sign-in {total / args.signins * 1000:.1f} ms (best of {args.rounds} rounds)")
    print(f"timer pair's own cost {overhead:.1f} µs per request, taken off each layer")
    own_total = 0.0
    for number, layer in enumerate(layers):
        own = per_request[number] - per_request[number + 1] - overhead
        own_total += own
        print(f"  {layer:<58} {own:7.1f} µs")
    print(f"  {'all middleware':<58} {own_total:7.1f} µs per request")
    views = per_request[innermost + 1]
    print(f"  {'views (with process_view hooks) and renders':<58} {views:7.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
