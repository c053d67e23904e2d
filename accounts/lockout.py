"""Brute-force protection for the password step (seeds/001 shows the attack).

Failures are counted in the cache, per account, per client IP and per client network (/24 or
/64, sso.net.client_network), so that the count holds
across every web process sharing that cache (Redis in production). Reaching the account limit
locks the account for a while; the lock is written on the User row so that admins can see,
filter and clear it. A username that matches no account is counted and "locked" the same way,
in the cache only, so that a lock never tells an attacker which usernames exist.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts.models import User
from accounts.usernames import canonical_username
from sso.net import client_network

ACCOUNT_FAILURES_KEY = "signin:failures:account:{}"
UNKNOWN_NAME_LOCK_KEY = "signin:lock:name:{}"
IP_FAILURES_KEY = "signin:failures:ip:{}"
NETWORK_FAILURES_KEY = "signin:failures:net:{}"

ACCOUNT_LOCKED = "account_locked"
IP_BLOCKED = "ip_blocked"


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt is refused before the password is even checked."""

    code: str
    minutes_left: int


def _name_key(username: str) -> str:
    # The canonical form (accounts.usernames), so that every spelling of a name shares one
    # counter; hashed so that odd characters or a 10,000-character name never reach the key.
    canonical = canonical_username(username)
    return hashlib.sha256(canonical.encode("utf-8", "replace")).hexdigest()


def _account_key(username: str, user: User | None) -> str:
    """The failure counter of an account: its id when it exists, else the typed name's form."""
    if user is not None:
        return ACCOUNT_FAILURES_KEY.format(f"id:{user.pk}")
    return ACCOUNT_FAILURES_KEY.format(_name_key(username))


def _lock_window() -> timedelta:
    return timedelta(minutes=settings.ACCOUNTS_LOCKOUT_MINUTES)


def _minutes_until(moment: datetime) -> int:
    seconds = (moment - timezone.now()).total_seconds()
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


def count_in_window(key: str, window_seconds: int) -> int:
    """Adds one to the cache counter ``key``, which lives ``window_seconds`` from its first
    hit; returns the new count. Shared by the request limits of other steps (registration)."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


def _network_key(ip: str) -> str:
    return NETWORK_FAILURES_KEY.format(client_network(ip))


def find_user(username: str) -> User | None:
    """The account a typed username names in any spelling (accounts.usernames), or None."""
    return User.objects.find_by_username(username)


def check_allowed(username: str, ip: str, user: User | None) -> Refusal | None:
    """Refuses the attempt when its IP or its account is over the limit."""
    ip_key, network_key = IP_FAILURES_KEY.format(ip), _network_key(ip)
    counts = cache.get_many([ip_key, network_key])
    if (
        counts.get(ip_key, 0) >= settings.ACCOUNTS_IP_FAILURE_LIMIT
        or counts.get(network_key, 0) >= settings.ACCOUNTS_NETWORK_FAILURE_LIMIT
    ):
        return Refusal(IP_BLOCKED, settings.ACCOUNTS_IP_BLOCK_MINUTES)
    if user is not None:
        if user.is_locked:
            return Refusal(ACCOUNT_LOCKED, _minutes_until(user.locked_until))
        return None
    locked_until = cache.get(UNKNOWN_NAME_LOCK_KEY.format(_name_key(username)))
    if locked_until and locked_until > timezone.now():
        return Refusal(ACCOUNT_LOCKED, _minutes_until(locked_until))
    return None


def record_failure(username: str, ip: str, user: User | None) -> bool:
    """Counts a wrong password. Returns True when this failure locked the account."""
    window = settings.ACCOUNTS_LOCKOUT_MINUTES * 60
    count_in_window(IP_FAILURES_KEY.format(ip), settings.ACCOUNTS_IP_BLOCK_MINUTES * 60)
    count_in_window(_network_key(ip), settings.ACCOUNTS_IP_BLOCK_MINUTES * 60)
    account_key = _account_key(username, user)
    failures = count_in_window(account_key, window)
    if failures < settings.ACCOUNTS_LOCKOUT_THRESHOLD:
        return False
    cache.delete(account_key)
    if user is not None:
        lock_account(user, settings.ACCOUNTS_LOCKOUT_MINUTES)
    else:
        locked_until = timezone.now() + _lock_window()
        cache.set(UNKNOWN_NAME_LOCK_KEY.format(_name_key(username)), locked_until, timeout=window)
    return True


def record_success(user: User) -> None:
    """A right password resets the account's failure count (not the IP's)."""
    cache.delete(_account_key(user.username, user))


def lock_account(user: User, minutes: int) -> None:
    """Locks an account for ``minutes`` (used by the second step's daily cap too)."""
    locked_until = timezone.now() + timedelta(minutes=minutes)
    User.objects.filter(pk=user.pk).update(locked_until=locked_until)
    user.locked_until = locked_until


def unlock(user: User) -> None:
    """Clears an account's lock and its failure count (admin action)."""
    User.objects.filter(pk=user.pk).update(locked_until=None)
    user.locked_until = None
    cache.delete(_account_key(user.username, user))
