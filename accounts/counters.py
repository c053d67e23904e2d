"""Failure counters that every web process shares, changed atomically (design.md "Security
defaults": rate limits kept in Redis, or the database when Redis is absent).

``reserve`` adds one and returns the new count in one step, before the secret is checked:
with N parallel guesses each sees a different count, so no more than the limit are ever
checked. Redis does it with ``SET NX EX`` + ``INCR`` in one script (atomic in Redis, one round
trip, sent on the connection the session's commands use: sso.redis_commands); without Redis a
row per counter is updated under its row lock. Django's ``cache.incr`` is not enough: on the
database cache it is a read followed by a write, and on Redis a key that expires between
Django's existence check and ``INCR`` comes back without a time limit.
"""

from datetime import timedelta

from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import AttemptCounter
from sso.redis_commands import RedisCommands, Script, redis_commands

# Takes one back from each key that holds more than 0 (a missing key is left missing).
_RELEASE = Script("""
for _, key in ipairs(KEYS) do
  local value = redis.call('get', key)
  if value and tonumber(value) > 0 then
    redis.call('decr', key)
  end
end
return 0
""")


# Unless a counter of the first ARGV[1] keys already holds its ceiling (ARGV[1 + i]) or more,
# reserves each of the other keys as reserve_many does (SET NX EX, INCR) and returns their
# new values; returns nil (nothing reserved) when one does. One script: atomic in Redis. With
# no ceiling (ARGV[1] = 0) it is reserve_many.
_RESERVE_UNLESS = Script("""
local ceilings = tonumber(ARGV[1])
for i = 1, ceilings do
  local value = redis.call('get', KEYS[i])
  if value and tonumber(value) >= tonumber(ARGV[1 + i]) then
    return false
  end
end
local counts = {}
for i = ceilings + 1, #KEYS do
  redis.call('set', KEYS[i], 0, 'EX', ARGV[1 + i], 'NX')
  counts[#counts + 1] = redis.call('incr', KEYS[i])
end
return counts
""")


def _redis() -> RedisCommands | None:
    """The default cache's Redis commands, or None when the cache is not Redis."""
    return redis_commands(caches["default"])


def reserve(key: str, window_seconds: int) -> int:
    """Adds one to counter ``key`` and returns its new value (an int >= 1).

    A counter lives ``window_seconds`` from its first count; later counts do not extend it.
    """
    return reserve_many({key: window_seconds})[0]


def reserve_many(windows: dict[str, int]) -> list[int]:
    """``reserve`` of each key of ``windows`` (key: window in seconds), in one step: with Redis
    one script (one round trip). Returns the new values in the order of ``windows``."""
    counts = reserve_unless({}, windows)
    if counts is None:  # pragma: no cover - without a ceiling nothing refuses
        raise RuntimeError("a reservation without a ceiling was refused")
    return counts


def reserve_unless(ceilings: dict[str, int], windows: dict[str, int]) -> list[int] | None:
    """``reserve_many(windows)`` unless a counter of ``ceilings`` (key: ceiling) already holds
    its ceiling or more: then None, and nothing is reserved. Returns the new values in the
    order of ``windows``.

    With Redis the look and the reservation are one script (one round trip, and no
    reservation slips in between); without it, ``peek`` then one row per key.
    """
    commands = _redis()
    if commands is None:
        counts = peek(*ceilings)
        if any(counts.get(key, 0) >= ceiling for key, ceiling in ceilings.items()):
            return None
        return [_reserve_row(key, window) for key, window in windows.items()]
    names = [commands.key(key) for key in (*ceilings, *windows)]
    args = [len(ceilings), *ceilings.values(), *windows.values()]
    counts = _RESERVE_UNLESS(commands, names, args)
    return None if counts is None else [int(value) for value in counts]  # type: ignore[attr-defined]


def release(*keys: str) -> None:
    """Takes back one ``reserve`` of each key (the secret was right, or was never checked);
    never below 0. With Redis one script for all of them, sent with the request's next Redis
    command (its session's save at the latest: ``RedisCommands.later``)."""
    commands = _redis()
    if commands is not None:
        # Nobody waits for it: sent with the next command, the session's save at the latest.
        _RELEASE.later(commands, [commands.key(key) for key in keys], [])
        return
    for key in keys:  # one row at a time: parallel give-backs never wait on each other's locks
        AttemptCounter.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)


def peek(*keys: str) -> dict[str, int]:
    """The current values of the counters that exist (missing or expired ones are left out)."""
    commands = _redis()
    if commands is not None and keys:
        # On the same connection as release and clear: what they hold back is sent first.
        values = commands.execute("MGET", *(commands.key(key) for key in keys))
        return {key: int(v) for key, v in zip(keys, values, strict=True) if v is not None}
    if not keys:
        return {}
    rows = AttemptCounter.objects.filter(key__in=keys, expires_at__gt=timezone.now())
    return dict(rows.values_list("key", "count"))


def clear(key: str) -> None:
    """Deletes counter ``key`` (an admin's unlock, a finished sign-in)."""
    commands = _redis()
    if commands is not None:
        commands.later("DEL", commands.key(key))  # as release: nobody waits for it
        return
    AttemptCounter.objects.filter(key=key).delete()


def _reserve_row(key: str, window_seconds: int) -> int:
    # A parallel reserve may insert the row between this one's look and its insert, and a
    # parallel clear delete it again before get_or_create reads it back (Django then raises
    # the insert's IntegrityError): the reservation is simply made again.
    for _ in range(_ROW_RETRIES - 1):
        try:
            return _reserve_row_once(key, window_seconds)
        except IntegrityError:
            continue
    return _reserve_row_once(key, window_seconds)


_ROW_RETRIES = 5


def _reserve_row_once(key: str, window_seconds: int) -> int:
    now = timezone.now()
    with transaction.atomic():
        # The UPDATE takes the row lock: a parallel reserve waits, then adds its own one.
        bumped = AttemptCounter.objects.filter(key=key, expires_at__gt=now).update(
            count=F("count") + 1
        )
        if bumped:
            return AttemptCounter.objects.values_list("count", flat=True).get(key=key)
        row, created = AttemptCounter.objects.select_for_update().get_or_create(
            key=key, defaults={"count": 1, "expires_at": now + timedelta(seconds=window_seconds)}
        )
        if created:
            AttemptCounter.objects.filter(expires_at__lte=now).delete()  # housekeeping
            return 1
        if row.expires_at <= now:
            row.count, row.expires_at = 1, now + timedelta(seconds=window_seconds)
        else:
            row.count += 1
        row.save(update_fields=["count", "expires_at"])
        return row.count
