"""CPU time each middleware spends per request, over the sign-ins of ``bench.signin_cpu``.

The portal's ``MIDDLEWARE`` with a timer between every two layers, in one process as
``bench.signin_cpu`` (production settings, the bench's own PostgreSQL database and Redis).
A layer's own time is the time inside its timer less the time inside the next one: what its
``__call__``, ``process_request`` and ``process_response`` cost, and what they caused (a
session read from Redis, the user read for a gate). ``process_view`` hooks and the view run
inside the innermost timer. The timers' own cost (an empty pair) is taken off each layer.

    python -m bench.middleware_cpu [--signins 60] [--rounds 3]

Prints microseconds of CPU per request for each layer (the best round).
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=60, help="sign-ins per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best is reported")
    parser.add_argument("--database", default="sso_bench_middleware_cpu")
    args = parser.parse_args(argv)
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
