"""Soak: thousands of sign-ins with a one-time code, then: are the tables and the workers bounded?

Half the sign-ins use the authenticator app, half an e-mail code read from the SMTP server
(aiosmtpd), through the real pages (gunicorn, Celery worker, PostgreSQL, Redis, production
settings). Between batches, with no request in flight, it samples the resident memory of the
web and Celery worker processes. Afterwards it counts the rows that sign-ins leave (sessions,
e-mail/SMS code challenges, passkey challenges, trusted devices) and runs the cleanup: once as
of now (what is dead already goes) and once as of the end of the longest lifetime (everything
the soak made has expired by then, so nothing may be left: the tables are bounded by
rate x lifetime).

    python -m bench.soak                  # 5,000 sign-ins: about 40 min on 2 cores
    python -m bench.soak --signins 500    # a short one
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import time
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyotp

from bench import seed
from bench.client import HTTP_ERRORS, Browser, FlowError, TotpClock, new_client
from bench.services import REPO, Services, children_of, memory_kib

RESULTS = REPO / "bench" / "results"
CODE_RE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


async def email_signin(base_url: str, account: seed.Account, smtp) -> None:
    async with new_client(base_url) as client:
        browser = Browser(client)
        rcpt = account.email.lower()
        with smtp.lock:
            before = len(smtp.bodies.get(rcpt, []))
        # E-mail is the account's only factor: the code is sent with the password (seeds/001).
        await browser.to_challenge(account.username, lands="/security/challenge/email/")
        deadline = time.monotonic() + 30
        while True:
            with smtp.lock:
                bodies = smtp.bodies.get(rcpt, [])
                body = bodies[-1] if len(bodies) > before else None
            if body is not None:
                break
            if time.monotonic() > deadline:
                raise FlowError(f"no code mail for {account.username}")
            await asyncio.sleep(0.05)
        csrf = await browser.answer("email", CODE_RE.search(body).group(1))
        await browser.confirm_and_home(account.username, csrf)


async def totp_signin(base_url: str, clock: TotpClock) -> None:
    account = await clock.take()
    try:
        async with new_client(base_url) as client:
            browser = Browser(client)
            await browser.to_challenge(account.username)
            await browser.pick("totp")
            csrf = await browser.answer("totp", pyotp.TOTP(account.totp_key).now())
            await browser.confirm_and_home(account.username, csrf)
    finally:
        clock.give_back(account)


def rss_mib(pids: list[int]) -> list[float]:
    return [round(memory_kib(pid).get("VmRSS", 0) / 1024, 1) for pid in pids]


async def soak(args, services: Services, clock: TotpClock, email_accounts) -> dict:
    base = services.base_url
    web_pids = services.web_worker_pids()
    worker_pids = [services.worker.pid, *children_of(services.worker.pid)]
    email_queue = list(email_accounts)  # each account at most 3 codes per 15 min: one each
    batches = 10
    per_batch = math.ceil(args.signins / batches)
    samples = []
    errors: dict[str, int] = {}
    done = 0
    started = time.monotonic()
    sem = asyncio.Semaphore(args.concurrency)

    async def one(i: int) -> None:
        async with sem:
            try:
                if i % 2 and email_queue:
                    await email_signin(base, email_queue.pop(), services.smtp)
                else:
                    await totp_signin(base, clock)
            except (FlowError, *HTTP_ERRORS) as exc:
                key = f"{type(exc).__name__}: {str(exc)[:60]}"
                errors[key] = errors.get(key, 0) + 1

    for _ in range(batches):
        todo = min(per_batch, args.signins - done)
        await asyncio.gather(*(one(done + i) for i in range(todo)))
        done += todo
        await asyncio.sleep(1)  # no request in flight while sampling
        samples.append(
            {
                "signins": done,
                "seconds": round(time.monotonic() - started, 1),
                "web_rss_mib": rss_mib(web_pids),
                "celery_rss_mib": rss_mib(worker_pids),
            }
        )
        print(f"  {done} sign-ins, web RSS {samples[-1]['web_rss_mib']} MiB", flush=True)
    first, last = samples[0], samples[-1]
    growth = [
        round((b / a - 1) * 100, 1) if a else 0.0
        for a, b in zip(first["web_rss_mib"], last["web_rss_mib"], strict=True)
    ]
    celery_growth = [
        round((b / a - 1) * 100, 1) if a else 0.0
        for a, b in zip(first["celery_rss_mib"], last["celery_rss_mib"], strict=True)
    ]
    return {
        "signins": done,
        "seconds": round(time.monotonic() - started, 1),
        "errors": errors,
        "memory_samples": samples,
        "web_rss_growth_percent": growth,
        "celery_rss_growth_percent": celery_growth,
    }


def cleanup_as_of(now) -> dict[str, int]:
    """The cleanup proposed for mfa/cleanup.py (docs/performance.md), run as of ``now``.

    Until it lands in mfa/, the soak runs the same deletions here, plus Django's own
    ``clearsessions`` rule.
    """
    from django.conf import settings
    from django.contrib.sessions.models import Session

    from mfa.models import CodeChallenge, TrustedDevice
    from mfa.passkeys.models import Challenge

    # A code is bound to one sign-in attempt, which dies MFA_PENDING_SECONDS after it began.
    keep = timedelta(seconds=max(settings.MFA_PENDING_SECONDS, settings.MFA_CODE_TTL_SECONDS))
    return {
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        "code_challenges": CodeChallenge.objects.filter(created_at__lt=now - keep).delete()[0],
        "passkey_challenges": Challenge.objects.filter(expires_at__lt=now).delete()[0],
        "trusted_devices": TrustedDevice.objects.filter(expires_at__lt=now).delete()[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--web-workers", type=int, default=2)
    args = parser.parse_args(argv)
    services = Services(database="sso_bench_soak", web_workers=args.web_workers)
    try:
        env = services.prepare()
        seed.setup_django(env)
        from django.conf import settings
        from django.utils import timezone

        email_count = math.ceil(args.signins / 2)
        clock = TotpClock(seed.seed_accounts("t", 400, totp=True, email=False))
        email_accounts = seed.seed_accounts("e", email_count, totp=False, email=True)
        from django.db import connections

        connections.close_all()
        services.start_smtp()
        services.start_web()
        services.start_worker()
        print(f"· soak: {args.signins} sign-ins at concurrency {args.concurrency}", flush=True)
        result = asyncio.run(soak(args, services, clock, email_accounts))
        result["rows_after_soak"] = seed.row_counts()
        now = timezone.now()
        result["deleted_by_cleanup_now"] = cleanup_as_of(now)
        result["rows_after_cleanup_now"] = seed.row_counts()
        longest = max(
            timedelta(seconds=settings.SESSION_COOKIE_AGE),
            timedelta(days=settings.MFA_TRUST_DAYS),
        )
        result["deleted_by_cleanup_after_lifetimes"] = cleanup_as_of(now + longest)
        result["rows_after_all_expired"] = seed.row_counts()
    finally:
        services.close()
    print()
    print(f"{result['signins']} sign-ins in {result['seconds']} s, errors: {result['errors']}")
    print(f"{'rows':<20}{'after soak':>12}{'cleanup now':>13}{'+ lifetimes':>13}")
    for table in result["rows_after_soak"]:
        print(
            f"{table:<20}{result['rows_after_soak'][table]:>12}"
            f"{result['rows_after_cleanup_now'][table]:>13}"
            f"{result['rows_after_all_expired'][table]:>13}"
        )
    print(
        f"web worker RSS growth (first batch → last): {result['web_rss_growth_percent']} %; "
        f"Celery: {result['celery_rss_growth_percent']} %"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
