"""Brute-force limits on every check of a secret (seeds/001 shows the attack): the counters, the
locks and the refusals that ``accounts.attempts.check_secret`` applies.

Failures are counted per account (by its id; by the canonical form of the typed name when no
account has it), per client IP and per client network (/24 or /64, sso.net.client_network),
in counters every web process shares (accounts.counters: Redis, or the database). Reaching an
account limit locks the account for a while; the lock is written on the User row so that
admins can see, filter and clear it. A username that matches no account is counted and
"locked" the same way, in the cache only, so that a lock never tells an attacker which
usernames exist.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache as once

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from accounts import counters
from accounts.models import User
from accounts.usernames import canonical_username
from sso.compiled_sql import CompiledSelect, compile_select
from sso.net import client_network

ACCOUNT_FAILURES_KEY = "signin:failures:account:{}"
SECOND_FACTOR_FAILURES_KEY = "mfa:failures:day:{}"
UNKNOWN_NAME_LOCK_KEY = "signin:lock:name:{}"
IP_FAILURES_KEY = "signin:failures:ip:{}"
NETWORK_FAILURES_KEY = "signin:failures:net:{}"
DAY_SECONDS = 24 * 60 * 60

ACCOUNT_LOCKED = "account_locked"
IP_BLOCKED = "ip_blocked"
THROTTLED = "throttled"


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before the secret is even checked; ``seconds_left`` >= 1."""

    code: str
    seconds_left: int

    @property
    def minutes_left(self) -> int:
        return max(1, -(-self.seconds_left // 60))


@dataclass(frozen=True)
class AccountLimit:
    """How many wrong answers of one family an account may give in ``window_seconds`` before it
    is locked for ``lock_minutes``; each family has its own counter (``key_format``)."""

    key_format: str
    threshold: int
    window_seconds: int
    lock_minutes: int


def password_limit() -> AccountLimit:
    """Passwords and security answers: ACCOUNTS_LOCKOUT_THRESHOLD per ACCOUNTS_LOCKOUT_MINUTES."""
    minutes = settings.ACCOUNTS_LOCKOUT_MINUTES
    return AccountLimit(
        ACCOUNT_FAILURES_KEY, settings.ACCOUNTS_LOCKOUT_THRESHOLD, minutes * 60, minutes
    )


def second_factor_limit() -> AccountLimit:
    """Codes and recovery codes: MFA_MAX_FAILURES_PER_DAY per 24 hours, then locked a day
    (docs/security.md, "The guessing bound")."""
    return AccountLimit(
        SECOND_FACTOR_FAILURES_KEY,
        settings.MFA_MAX_FAILURES_PER_DAY,
        DAY_SECONDS,
        DAY_SECONDS // 60,
    )


def _name_key(username: str) -> str:
    # The canonical form (accounts.usernames), so that every spelling of a name shares one
    # counter; hashed so that odd characters or a 10,000-character name never reach the key.
    canonical = canonical_username(username)
    return hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()


def account_key(limit: AccountLimit, username: str, user: User | None) -> str:
    """The failure counter of an account: its id when it exists, else the typed name's form."""
    return limit.key_format.format(f"id:{user.pk}" if user is not None else _name_key(username))


def count_in_window(key: str, window_seconds: int) -> int:
    """Adds one to the shared counter ``key``, which lives ``window_seconds`` from its first
    hit; returns the new count (atomic: accounts.counters). Shared by the request limits of
    other steps (registration)."""
    return counters.reserve(key, window_seconds)


def ip_key(ip: str) -> str:
    return IP_FAILURES_KEY.format(ip)


def network_key(ip: str) -> str:
    return NETWORK_FAILURES_KEY.format(client_network(ip))


def _seconds_until(moment: datetime) -> int:
    return max(1, int(-(-(moment - timezone.now()).total_seconds() // 1)))


# Stand in for the typed name and the account's id in the statements compiled once: a username
# never holds a NUL (Django's form fields refuse it), and ids are positive.
_NAME = "\x00stand-in"
_ID = -2_026_120_101
# What a secret check reads again once its attempt is reserved (``fresh``), in this order.
FRESH_COLUMNS = ("locked_until", "password", "is_active")


def _by_name(name: str) -> QuerySet:
    columns = [field.attname for field in User._meta.concrete_fields]
    return User.objects.filter(username_canonical=name).values_list(*columns)[:1]


def _by_id(user_id: int) -> QuerySet:
    return User.objects.filter(pk=user_id).values_list(*FRESH_COLUMNS)[:1]


@once
def _statement(kind: str, vendor: str) -> CompiledSelect | None:
    """The account by canonical name (``kind`` "name") or its lock, hash and active flag by id
    ("id"), compiled once for this database (sso.compiled_sql); None when it cannot be kept:
    the ORM then builds the statement each time.

    The ORM takes longer to build a query (about 0.5 ms of CPU) than PostgreSQL to run it, and
    every password check reads the account twice.
    """
    if kind == "name":
        return compile_select(_by_name(_NAME), _NAME)
    return compile_select(_by_id(_ID), _ID)


def find_user(username: str) -> User | None:
    """The account a typed username names in any spelling (accounts.usernames), or None."""
    statement = _statement("name", connection.vendor)
    if statement is None:
        return User.objects.find_by_username(username)
    row = statement.row(canonical_username(username))
    return None if row is None else User.from_db(connection.alias, statement.columns, row)


def ip_limits(ip: str) -> dict[str, int]:
    """The client's IP and network failure counters, each with its limit."""
    return {
        ip_key(ip): settings.ACCOUNTS_IP_FAILURE_LIMIT,
        network_key(ip): settings.ACCOUNTS_NETWORK_FAILURE_LIMIT,
    }


def ip_blocked() -> Refusal:
    """The refusal of a client whose IP or network has its limit of failures."""
    return Refusal(IP_BLOCKED, settings.ACCOUNTS_IP_BLOCK_MINUTES * 60)


def ip_refusal(ip: str) -> Refusal | None:
    """IP_BLOCKED when the client's IP or network already has its limit of failures."""
    limits = ip_limits(ip)
    counts = counters.peek(*limits)
    if any(counts.get(key, 0) >= limit for key, limit in limits.items()):
        return ip_blocked()
    return None


def account_refusal(username: str, user: User | None) -> Refusal | None:
    """ACCOUNT_LOCKED while the account (or the unknown name) is locked."""
    if user is not None:
        if user.is_locked:
            return Refusal(ACCOUNT_LOCKED, _seconds_until(user.locked_until))
        return None
    locked_until = cache.get(UNKNOWN_NAME_LOCK_KEY.format(_name_key(username)))
    if locked_until and locked_until > timezone.now():
        return Refusal(ACCOUNT_LOCKED, _seconds_until(locked_until))
    return None


def fresh(user: User | None) -> User | None:
    """``user`` with ``locked_until``, ``password`` and ``is_active`` read again from the
    database, in one query (None stays None).

    Read after the attempt is reserved: a lock written by a parallel attempt since the first
    look is seen (accounts.attempts), and the hash checked is the one stored now, as Django's
    ``authenticate`` would have read it. An account deleted meanwhile reads as not active.
    """
    if user is None:
        return None
    statement = _statement("id", connection.vendor)
    row = next(iter(_by_id(user.pk)), None) if statement is None else statement.row(user.pk)
    if row is None:
        return read_as_deleted(user)
    user.locked_until, user.password, user.is_active = row
    return user


def read_as_deleted(user: User) -> User:
    """``user``, whose row a fresh read found gone (deleted during the attempt): not active
    and not locked, so that no secret of it passes. Its attempt's audit event is written
    without the reference (accounts.inserts: a reference a deletion sets to NULL). Returns it."""
    user.locked_until, user.is_active = None, False
    return user


def lock(limit: AccountLimit, username: str, user: User | None) -> None:
    """Locks the account (or the unknown name) for ``limit.lock_minutes``."""
    if user is not None:
        lock_account(user, limit.lock_minutes)
        return
    locked_until = timezone.now() + timedelta(minutes=limit.lock_minutes)
    cache.set(
        UNKNOWN_NAME_LOCK_KEY.format(_name_key(username)), locked_until, limit.lock_minutes * 60
    )


def record_success(user: User) -> None:
    """A finished sign-in resets the account's password failure count (not the IP's)."""
    counters.clear(account_key(password_limit(), user.username, user))


def lock_account(user: User, minutes: int) -> None:
    """Locks an account for ``minutes`` (an admin's lock, or a limit reached)."""
    locked_until = timezone.now() + timedelta(minutes=minutes)
    User.objects.filter(pk=user.pk).update(locked_until=locked_until)
    user.locked_until = locked_until


def unlock(user: User) -> None:
    """Clears an account's lock and its failure counts (admin action, password reset)."""
    User.objects.filter(pk=user.pk).update(locked_until=None)
    user.locked_until = None
    for limit in (password_limit(), second_factor_limit()):
        counters.clear(account_key(limit, user.username, user))


def lift_address_block(ip: str) -> None:
    """Clears the failure counts of ``ip`` and of its network (an admin lifts a block).

    Takes a client IP address as text. The next failure from there counts from zero again.
    """
    counters.clear(ip_key(ip))
    counters.clear(network_key(ip))
