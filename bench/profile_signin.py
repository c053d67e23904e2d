"""Profiles full sign-ins in one process (pyinstrument): what costs time besides Argon2?

Same production settings, PostgreSQL database and private Redis as ``bench.run``, but the
requests go through Django's test client in this process, so that the profiler sees every
Python frame of the portal. Prints per-step times, the profile of the non-Argon2 steps and
writes an HTML profile next to the bench results.

    python -m bench.profile_signin --signins 30
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed
from bench.services import REPO, Services

# (step, method, url, data); "USER" and "CODE" are filled in per sign-in.
SIGNIN_REQUESTS = [
    # The username page holds step 2 and the password form (portal.js shows them); Sign in is
    # answered with the code page, Validate with Trust this device, Confirm and Continue with
    # Home (sso/in_place.py).
    ("username", "get", "/accounts/login/", None),
    (
        "password",
        "post",
        "/accounts/login/password/",
        {"username": "USER", "password": seed.PASSWORD},
    ),
    ("code", "post", "/security/challenge/totp/", {"code": "CODE"}),
    ("confirm", "post", "/security/challenge/confirm/", {"remember": "on"}),
]
EXPECTED = [200, 200, 200, 200]


def run_signin(client, account: seed.Account, step_times: dict[str, list[float]]) -> None:
    """One sign-in by a new browser: the client's cookies are cleared first.

    One client for all sign-ins, as one gunicorn worker serves them all: a new test client
    would load the middleware again (WhiteNoise scans the static files then).
    """
    from http.cookies import SimpleCookie

    import pyotp

    client.cookies = SimpleCookie()
    for (step, method, url, data), status in zip(SIGNIN_REQUESTS, EXPECTED, strict=True):
        if data:
            data = {
                k: (
                    account.username
                    if v == "USER"
                    else pyotp.TOTP(account.totp_key).now()
                    if v == "CODE"
                    else v
                )
                for k, v in data.items()
            }
        start = time.perf_counter()
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        step_times[f"{step} {method.upper()}"].append(time.perf_counter() - start)
        if response.status_code != status:
            raise RuntimeError(f"{method} {url}: {response.status_code}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=30)
    parser.add_argument("--html", type=Path, default=REPO / "var" / "profile-signin.html")
    parser.add_argument(
        "--no-profile", action="store_true", help="time the steps only (no profiler overhead)"
    )
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    services = Services(database="sso_bench_profile")
    try:
        env = services.prepare()
        seed.setup_django(env)
        from django.test.utils import setup_test_environment

        setup_test_environment()  # the test client needs it; it swaps the mail backend only
        from django.test import Client

        client = Client()
        accounts = seed.seed_accounts("p", args.signins + 2, totp=True, email=False)
        for account in accounts[:2]:  # warm-up: imports, connections, templates
            run_signin(client, account, defaultdict(list))
        argon2 = sorted(seed.time_password_verify(10)[0])[5]
        step_times: dict[str, list[float]] = defaultdict(list)
        profiler = Profiler(interval=0.0005)
        if not args.no_profile:
            profiler.start()
        cpu_start = time.process_time()
        for account in accounts[2:]:
            run_signin(client, account, step_times)
        cpu_per_signin = (time.process_time() - cpu_start) / (len(accounts) - 2)
        if not args.no_profile:
            profiler.stop()
    finally:
        services.close()
    print(f"Argon2 verify p50: {argon2 * 1000:.1f} ms")
    total = 0.0
    for name, values in step_times.items():
        median = sorted(values)[len(values) // 2]
        total += median
        print(f"{name:<16} p50 {median * 1000:7.2f} ms")
    print(f"sum of p50s      {total * 1000:7.2f} ms → ratio to Argon2 {total / argon2:.2f}")
    print(f"CPU time of this process per sign-in {cpu_per_signin * 1000:.1f} ms")
    if args.no_profile:
        return 0
    args.html.parent.mkdir(parents=True, exist_ok=True)
    args.html.write_text(profiler.output_html())
    print(profiler.output_text(unicode=True, color=False, show_all=False, timeline=False))
    print(f"HTML profile: {args.html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
