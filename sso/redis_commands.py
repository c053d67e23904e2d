"""Redis commands sent on a connection this thread keeps from a Django Redis cache's own pool.

The session (sso/sessions.py) and the attempt counters (accounts/counters.py) send a few
commands at every step of a sign-in; through Django's cache and redis-py's client each cost
about three times the exchange itself. Every other use of the cache goes through Django's
cache API. A command whose answer nobody reads (a counter's give-back or clear) is held back
and sent in the same write as the next one (``RedisCommands.later``), the session's save at the
end of the request at the latest.
"""

import contextlib
import hashlib
import os
import threading

from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import NoScriptError, ResponseError

from sso.middleware import unavailable_errors


class RedisCommands:
    """The session's Redis commands, sent on a connection that this thread keeps from the
    cache's own pool (its settings: server, database, password, timeouts).

    A command through Django's cache and redis-py costs about 45 µs of CPU, of which the
    exchange with Redis (pack, send, read, parse) is 13: the rest is Django's key check and
    serializer dispatch, and redis-py's pool checkout and release (two locks, a ``poll`` of the
    socket), retry wrapper, metrics and events. Here a command is packed and sent, and its
    answer read, by redis-py's own connection object, which disconnects itself on any error
    while sending or reading (so the connection never holds a half-read answer).

    Errors behave as with redis-py: when the connection fails (Redis restarted, out of reach)
    the command is sent once more through the cache's redis-py client, with its retry policy;
    if that fails too its ``ConnectionError`` or ``TimeoutError`` reaches the caller, and the
    session middleware answers 503 as before. Values are those of Django's cache (its key
    function and serializer), so either path reads what the other wrote.
    """

    _local = threading.local()  # per thread: (pool, process id, connection)

    def __init__(self, cache: RedisCache) -> None:
        self.cache = cache
        self.pool = cache._cache._get_connection_pool(write=True)  # reads too: the primary
        self.serializer = cache._cache._serializer

    def _connection(self):  # type: ignore[no-untyped-def]
        pool = self.pool
        kept = getattr(self._local, "kept", None)
        if kept is not None and kept[0] is pool and kept[1] == os.getpid():
            return kept[2]
        if kept is not None and kept[1] == os.getpid():
            kept[2].disconnect()  # another cache (settings changed in tests)
        connection = pool.make_connection()  # connects on its first command
        self._local.kept = (pool, os.getpid(), connection)
        return connection

    def execute(self, *args: bytes | str | int) -> object:
        """The answer of one command (redis-py's parsed reply); raises as redis-py does.

        Commands held back by ``later`` on this connection go in the same write, first."""
        connection = self._connection()
        held = self._take_held()
        try:
            if held:
                connection.send_packed_command(connection.pack_commands([*held, args]))
                _read_and_drop(connection, len(held))
            else:
                connection.send_packed_command(connection.pack_command(*args))
            return connection.read_response()
        except unavailable_errors():
            # The connection was closed (redis-py disconnected it): once more through the
            # client, which reconnects and retries as it would have for the first attempt.
            # Held commands are not sent again: each one gives something back (a reservation,
            # a count), and one that did reach Redis would give it back twice.
            return self.cache._cache.get_client(write=True).execute_command(*args)

    def later(self, *args: bytes | str | int) -> None:
        """Sends a command whose answer nobody needs (a give-back, a clear) with the next
        command this thread sends on this connection, in the same write, or as the request
        ends (``send_held``): one round trip fewer. Outside a request (``hold`` not called: a
        worker, a management command) it is sent at once."""
        held = getattr(self._local, "held", None)
        if held is None:
            self.execute(*args)
        else:
            held.append((self, args))

    def _take_held(self) -> list[tuple[bytes | str | int, ...]]:
        held = getattr(self._local, "held", None)
        if not held:
            return []
        mine = [args for commands, args in held if commands.pool is self.pool]
        held[:] = [(c, args) for c, args in held if c.pool is not self.pool]
        return mine

    @classmethod
    def hold(cls) -> None:
        """From now until ``send_held``, ``later`` holds commands back (a request begins)."""
        cls._local.held = []

    @classmethod
    def send_held(cls) -> None:
        """Sends what ``later`` still holds, each connection's in one write (the request ends),
        and stops holding. A Redis out of reach loses them: a give-back or clear not made
        leaves a limit stricter, never looser."""
        held = getattr(cls._local, "held", None) or []
        try:
            while held:
                commands = held[0][0]
                pending = commands._take_held()
                connection = commands._connection()
                with contextlib.suppress(*unavailable_errors()):
                    connection.send_packed_command(connection.pack_commands(pending))
                    _read_and_drop(connection, len(pending))
        finally:
            cls._local.held = None  # whatever happened, the next request holds its own

    def key(self, key: str) -> str:
        return self.cache.make_key(key)

    def get(self, key: str) -> object:
        value = self.execute("GET", self.key(key))
        return None if value is None else self.serializer.loads(value)

    def set(self, key: str, value: object, timeout: int, condition: str) -> bool:
        """``SET key value EX timeout condition`` (``NX`` or ``XX``): whether it was set."""
        value = self.serializer.dumps(value)
        return (
            self.execute("SET", self.key(key), value, "EX", max(1, timeout), condition) is not None
        )

    def delete(self, key: str) -> bool:
        return bool(self.execute("DEL", self.key(key)))


def _read_and_drop(connection, count: int) -> None:  # type: ignore[no-untyped-def]
    """Reads ``count`` answers of held commands; an error answer is one of them, not an
    error of the caller's command (all are read, so the connection stays in step)."""
    for _ in range(count):
        with contextlib.suppress(ResponseError):
            connection.read_response()


def redis_commands(cache: BaseCache) -> RedisCommands | None:
    """The lean command path for ``cache`` when it is Django's Redis cache, else None."""
    return RedisCommands(cache) if isinstance(cache, RedisCache) else None


class Script:
    """A Lua script run by its SHA1 (``EVALSHA``), sent whole (``EVAL``, which also loads it)
    when Redis does not know it yet: after a restart, or the first time."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()  # noqa: S324 - Redis's script id

    def __call__(self, commands: RedisCommands, keys: list[str], args: list[int]) -> object:
        """The script's answer (redis-py's parsed reply); raises as ``RedisCommands.execute``."""
        try:
            return commands.execute("EVALSHA", self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return commands.execute("EVAL", self.source, len(keys), *keys, *args)

    def later(self, commands: RedisCommands, keys: list[str], args: list[int]) -> None:
        """Runs the script with ``RedisCommands.later``: whole (``EVAL``), since nobody reads
        a NOSCRIPT answer of a held command."""
        commands.later("EVAL", self.source, len(keys), *keys, *args)
