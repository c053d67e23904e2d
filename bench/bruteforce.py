"""Brute-force simulation (seeds/001 did it with Burp Suite): how many guesses get through?

Runs a generated 10,000-word password list against one account through the real pages of the
portal (gunicorn, production settings, its own PostgreSQL database and Redis on 127.0.0.1):

1. from one IP;
2. from "many IPs" by a spoofed X-Forwarded-For, on a portal that trusts no proxy (the header
   is ignored) and on one whose SSO_TRUSTED_PROXIES names 127.0.0.1 (as behind a real proxy:
   then each address counts on its own, and only the account lock is left);
3. password spraying, a different account for each guess: from one IP (the per-IP limit), from
   a new address of one /24 for each guess (the per-network limit), and from a new /24 for
   each guess (what a botnet does: no address limit applies, only the Argon2 cost);
4. with the password known: guessing the authenticator code (the daily MFA cap).

A guess "gets through" when the password was really checked (the answer is "wrong username or
password"), not refused by a lock. Each run is bounded (--max-guesses, --seconds); the hourly
figure extrapolates what got through over the configured lock windows.

    python -m bench.bruteforce
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyotp

from bench import seed
from bench.client import HTTP_ERRORS, Browser, FlowError, new_client, shown_at
from bench.services import REPO, Services

RESULTS = REPO / "bench" / "results"

WRONG = "Wrong username or password."
LOCKED = "This account is locked"
IP_BLOCKED = "from your network"
TOO_FAST = re.compile(r"Too fast: wait (\d+) seconds?")
SYLLABLES = ["ka", "ri", "to", "me", "sa", "lu", "pe", "da", "no", "wi", "bo", "ja", "ne", "gu"]


def password_list(size: int = 10_000, seed_value: int = 1) -> list[str]:
    """A 10,000-word list of plausible passwords (syllables, years, symbols), no duplicates."""
    rng = random.Random(seed_value)
    words: list[str] = []
    seen: set[str] = set()
    for parts in itertools.count(2):
        for _ in range(size):
            word = "".join(rng.choice(SYLLABLES) for _ in range(parts + 2))
            word = word.capitalize() + rng.choice(["", "1", "123", "2024", "!", "#1", "2025!"])
            if word not in seen and len(word) >= 8:
                seen.add(word)
                words.append(word)
            if len(words) == size:
                return words
    return words


async def guess_password(
    base_url: str, username: str, password: str, forwarded_for: str | None
) -> str:
    """One guess through the pages; returns "checked", "locked", "ip_blocked" or "right"."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with new_client(base_url, headers=headers) as client:
        browser = Browser(client)
        # As Chromium signs in: the username page holds the password form, posted with the
        # username typed (bench.client.Browser.to_password).
        csrf = await browser.to_password()
        response = await browser.post(
            "password", "/accounts/login/password/", csrf,
            {"username": username, "password": password},
        )  # fmt: skip
    # A right password is answered with the challenge's page in place (sso.in_place).
    if response.status_code == 302 or shown_at(response).startswith("/security/challenge/"):
        return "right"
    if IP_BLOCKED in response.text:
        return "ip_blocked"
    if LOCKED in response.text:
        return "locked"
    if WRONG in response.text:
        return "checked"
    raise FlowError(f"unexpected answer {response.status_code}")


async def attack(
    base_url: str,
    usernames: list[str],
    words: list[str],
    *,
    address: Callable[[int], str] | None,
    max_guesses: int,
    seconds: float,
) -> dict:
    """Guesses ``words`` in turn against ``usernames`` in turn; guess ``i`` comes from
    ``address(i)`` (sent as X-Forwarded-For) or, with None, from the driver's own address."""
    counts = {"checked": 0, "locked": 0, "ip_blocked": 0, "right": 0}
    started = time.monotonic()
    tried = 0
    previous = ""
    for i, word in enumerate(words[:max_guesses]):
        if time.monotonic() - started > seconds:
            break
        ip = address(i) if address else None
        raw = await guess_password(base_url, usernames[i % len(usernames)], word, ip)
        # The failure that reaches the threshold is checked, then answered "locked".
        answer = "checked" if raw == "locked" and previous == "checked" else raw
        counts[answer] += 1
        previous = raw
        tried += 1
    elapsed = time.monotonic() - started
    return {"guesses": tried, "seconds": round(elapsed, 1), **counts}


async def guess_codes(base_url: str, account: seed.Account, max_codes: int, seconds: float) -> dict:
    """Password known: new sign-in attempts, each guessing wrong codes until turned away.

    A code refused as too fast (django-otp's throttle, which doubles its wait after each wrong
    code) was not checked: it is sent again once the wait is over, as a patient attacker
    would, while the wait fits in ``seconds``; a longer wait ends the run (``throttled_s``).
    ``code_guesses`` counts the codes checked."""
    totp = pyotp.TOTP(account.totp_key)
    guesses = attempts = throttled_s = 0
    locked = False
    deadline = time.monotonic() + seconds
    while guesses < max_codes and not locked and not throttled_s:
        attempts += 1
        async with new_client(base_url) as client:
            browser = Browser(client)
            try:
                await browser.to_challenge(account.username)
            except FlowError:
                locked = True  # the password page refused: the account is locked
                break
            await browser.pick("totp")
            while guesses < max_codes:
                valid = {totp.at(time.time() + d) for d in (-30, 0, 30)}
                wrong = next(
                    f"{n:06d}"
                    for n in itertools.count(guesses * 7919 % 10**6)
                    if f"{n:06d}" not in valid
                )
                csrf = await browser.get_form("code", "/security/challenge/totp/")
                response = await browser.post(
                    "code", "/security/challenge/totp/", csrf, {"code": wrong}
                )
                if response.status_code == 302:  # this attempt (or the account) is over
                    guesses += 1
                    break
                wait = TOO_FAST.search(response.text)
                if wait is None:
                    guesses += 1
                    continue
                if time.monotonic() + int(wait.group(1)) > deadline:
                    throttled_s = int(wait.group(1))
                    break
                await asyncio.sleep(int(wait.group(1)))
    # A new attempt with the password shows whether the account is now locked.
    async with new_client(base_url) as client:
        try:
            await Browser(client).to_challenge(account.username)
            locked_after = False
        except FlowError:
            locked_after = True
    return {
        "code_guesses": guesses,
        "attempts": attempts,
        "locked_after": locked_after,
        "throttled_s": throttled_s,
    }


def throttle_codes_per_day(factor: float) -> int:
    """How many wrong codes django-otp's throttle lets one authenticator check in a day: after
    the n-th wrong code the next waits ``factor * 2 ** (n - 1)`` seconds (the first one none)."""
    if factor <= 0:
        return 10**6  # no throttle
    codes, elapsed = 1, 0.0
    while elapsed + factor * 2 ** (codes - 1) <= 86400:
        elapsed += factor * 2 ** (codes - 1)
        codes += 1
    return codes


def one_network(i: int) -> str:
    """A new address of one /24 for every guess (TEST-NET-2, never contacted)."""
    return f"198.51.100.{i % 250 + 1}"


def many_networks(i: int) -> str:
    """An address of a new /24 for every guess, as a botnet would spread them (10/8)."""
    return f"10.{i // 250 % 250 + 1}.{i % 250 + 1}.7"


def _duration(hours: int) -> str:
    return f"{hours} h" if hours < 48 else f"{hours / 24:.0f} days"


def per_hour(through: int, window_minutes: int) -> int:
    """What gets through in one lock window, repeated over an hour."""
    return through * (60 // window_minutes) if window_minutes else through


async def scenarios(args, services: Services, words: list[str], accounts, sprayed) -> dict:
    from django.conf import settings

    from accounts import lockout
    from accounts.models import User

    plain = services.base_url
    proxied = services.start_web({"SSO_TRUSTED_PROXIES": "127.0.0.1/32"})
    victim = accounts[0].username
    results = {}

    def reset() -> None:
        from django.core.cache import cache

        cache.clear()
        for user in User.objects.filter(username__startswith="v"):
            lockout.unlock(user)

    # Enough guesses to pass the per-network limit, where that is what the run shows.
    network_guesses = settings.ACCOUNTS_NETWORK_FAILURE_LIMIT + 40
    runs = [
        ("one IP", plain, [victim], None, args.max_guesses),
        (
            "many IPs, no trusted proxy (header ignored)",
            plain,
            [victim],
            one_network,
            args.max_guesses,
        ),
        ("many IPs via a trusted proxy", proxied, [victim], one_network, args.max_guesses),
        ("spraying: one IP, many accounts", plain, sprayed, None, args.max_guesses),
        (
            "spraying: many IPs of one /24 via a proxy",
            proxied,
            sprayed,
            one_network,
            network_guesses,
        ),
        (
            "spraying: a new /24 per guess via a proxy",
            proxied,
            sprayed,
            many_networks,
            args.max_guesses,
        ),
    ]
    for name, url, usernames, address, max_guesses in runs:
        await asyncio.to_thread(reset)
        print(f"· {name}", flush=True)
        seconds = args.seconds * max(1, max_guesses / args.max_guesses)
        results[name] = await attack(
            url, usernames, words, address=address, max_guesses=max_guesses, seconds=seconds
        )
    lock_minutes = settings.ACCOUNTS_LOCKOUT_MINUTES
    ip_minutes = settings.ACCOUNTS_IP_BLOCK_MINUTES
    for name, r in results.items():
        window = ip_minutes if name.startswith("spraying") else lock_minutes
        r["attempted_per_hour"] = int(r["guesses"] / r["seconds"] * 3600) if r["seconds"] else 0
        if r["locked"] + r["ip_blocked"]:  # a limit stopped it: what fits in its windows
            r["through_per_hour"] = per_hour(r["checked"], window)
        else:  # nothing stopped it: the rate this machine checks passwords at
            r["through_per_hour"] = r["attempted_per_hour"]
        r["hours_for_the_list_at_that_rate"] = round(len(words) / max(r["through_per_hour"], 1))

    await asyncio.to_thread(reset)
    print("· password known: guessing the authenticator code", flush=True)
    mfa = await guess_codes(
        plain, accounts[1], settings.MFA_MAX_FAILURES_PER_DAY + 10, args.seconds * 4
    )
    tolerance = 2 * getattr(settings, "OTP_TOTP_TOLERANCE", 1) + 1
    mfa["daily_cap"] = settings.MFA_MAX_FAILURES_PER_DAY
    mfa["throttle_codes_per_day"] = throttle_codes_per_day(
        getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)
    )
    mfa["codes_per_day"] = min(mfa["daily_cap"], mfa["throttle_codes_per_day"])
    mfa["chance_per_day"] = mfa["codes_per_day"] * tolerance / 10**6
    results["mfa"] = mfa
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-guesses", type=int, default=120, help="per scenario")
    parser.add_argument("--seconds", type=float, default=25, help="per scenario")
    parser.add_argument("--words", type=Path, help="write the generated list here")
    args = parser.parse_args(argv)
    words = password_list()
    assert len(set(words)) == 10_000
    if args.words:
        args.words.write_text("\n".join(words) + "\n")
    services = Services(database="sso_bench_bruteforce")
    try:
        env = services.prepare()
        seed.setup_django(env)
        from django.conf import settings

        accounts = seed.seed_accounts("v", 2, totp=True, email=False)
        sprayed = [a.username for a in seed.seed_accounts("s", 60, totp=False, email=False)]
        from django.db import connections

        connections.close_all()
        services.start_web()
        results = asyncio.run(scenarios(args, services, words, accounts, sprayed))
    except (*HTTP_ERRORS, FlowError) as exc:
        print(f"the simulation stopped: {exc}")
        return 1
    finally:
        services.close()
    print()
    print(
        f"limits: account lock after {settings.ACCOUNTS_LOCKOUT_THRESHOLD} wrong passwords for "
        f"{settings.ACCOUNTS_LOCKOUT_MINUTES} min; {settings.ACCOUNTS_IP_FAILURE_LIMIT} per IP "
        f"and {settings.ACCOUNTS_NETWORK_FAILURE_LIMIT} per network (/"
        f"{settings.ACCOUNTS_NETWORK_PREFIX_V4}, /{settings.ACCOUNTS_NETWORK_PREFIX_V6}) per "
        f"{settings.ACCOUNTS_IP_BLOCK_MINUTES} min; 10,000-word list"
    )
    print(
        f"{'scenario':<46}{'tried':>7}{'checked':>9}{'refused':>9}{'through/h':>11}{'tried/h':>10}"
    )
    for name, r in results.items():
        if name == "mfa":
            continue
        refused = r["locked"] + r["ip_blocked"]
        print(
            f"{name:<46}{r['guesses']:>7}{r['checked']:>9}{refused:>9}"
            f"{r['through_per_hour']:>11}{r['attempted_per_hour']:>10}"
            f"{_duration(r['hours_for_the_list_at_that_rate']):>12}"
        )
    m = results["mfa"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bruteforce.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"\npassword known, authenticator code guessed: {m['code_guesses']} codes checked in "
        f"{m['attempts']} sign-in attempts"
        + (f" (then a wait of {m['throttled_s']} s for the next)" if m["throttled_s"] else "")
        + ", then the account is "
        f"{'locked for the day' if m['locked_after'] else 'not locked'}; at most "
        f"{m['codes_per_day']} codes a day are checked (django-otp's throttle: "
        f"{m['throttle_codes_per_day']}, the daily cap: {m['daily_cap']}) → chance of a right "
        f"code {m['chance_per_day']:.1e} per day"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
