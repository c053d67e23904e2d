"""Sessions read from the cache (Redis); a signed-in session also kept in the database.

A sign-in is eleven requests. Here a session is read with one cache ``get`` and each change is
written to the cache with one command; the database holds a copy of each **signed-in** session
only (one statement per change: the row is inserted with a new key, and afterwards only
updated, so a save never brings back a row a sign-out deleted), written from the request
that signs the person in:

- while Redis is out of reach, or after it restarted empty, signed-in sessions are read from
  the database: signed-in pages keep working (tests/reliability/test_redis_down.py);
- a session before sign-in (the username, the pending factor state of a sign-in half done, the
  app that asked) lives in Redis only: it is written at every step of a sign-in and read by the
  next, so a database copy cost an upsert per step for a state that lives for a minute. A Redis
  that restarts empty mid-sign-in therefore restarts that sign-in from the username page
  (docs/security.md, "Storage"); one that is only out of reach for a while answers 503 ("try
  again") meanwhile, as the rate limits of every step that checks a secret need it anyway, and
  the sign-in carries on once it is back;
- a request that changes or ends a session while Redis is out of reach gets the "try again"
  page (503) from ``SessionMiddleware`` below, and the session stays as it was in both stores,
  except where its key was already ended before Redis went (Confirm and Continue ends the
  pending session's key first, ``end_key``, so that the proof completes once): that sign-in
  starts again from the username page, and rows the request wrote meanwhile (its
  ``signin.complete`` event, a UserSession row for a key never stored) stay.
  The cache is written (or the key deleted) first and the database second, so the cache is
  never left older than the database: an ended session cannot come back from the cache once
  Redis is back. A new signed-in session's first row is written by the sign-in in the
  statement of its other rows, its UserSession row among them (``new_row_elsewhere``), and
  its key is taken in the cache just before that statement, not at the response: Sign out
  everywhere, an account lock or a remote sign-out that finds the session by its UserSession
  row while the request is still answering deletes a key the cache holds, and the save at
  the response, which then only replaces the value (``SET … XX``), does not bring it back.
  A key changed on a live session (step-up: accounts.sessions.cycle_key) is taken in the
  cache at once for the same reason (``take_new_key``).

Session fixation protection is Django's: ``login`` (and the portal's own fresh sign-in and
step-up) calls ``cycle_key``, which takes a new key for the same data and deletes the old one
from both stores. The new key is taken (``SET NX``) by the save at the end of that request.

Django's ``cached_db`` engine was not taken: its ``load`` raises when Redis is out of reach,
which made every signed-in page fail during an outage, and it writes every session to the
database.

With Redis, the session's own commands (``GET``, ``SET … XX``, ``SET … NX``, ``DEL``) go
through ``sso.redis_commands``: the same commands on a connection of the cache's own pool,
without the work redis-py and Django's cache add around each command, which cost twice the
command itself. Every other use of the cache goes through Django's cache API as before.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connections, models, router, transaction
from django.http import HttpRequest, HttpResponse

from sso.crypto import random_string
from sso.middleware import unavailable_errors, unavailable_response
from sso.redis_commands import RedisCommands, redis_commands

KEY_PREFIX = "sso.session:"


_ROW_COLUMNS = ("session_key", "session_data", "expire_date")
_UPDATE_ORDER = ("session_data", "expire_date", "session_key")


# (model, insert, database vendor) -> SQL: built once per process.
_ROW_SQL: dict[tuple[type[models.Model], bool, str], str] = {}


def _row_sql(model: type[models.Model], insert: bool, quote: Callable[[str], str]) -> str:
    """The upsert (``insert``) or the update of a session row, on PostgreSQL and SQLite;
    parameters in the order of ``_ROW_COLUMNS`` or ``_UPDATE_ORDER``."""
    meta = model._meta
    table = quote(meta.db_table)
    key, data, expires = (quote(meta.get_field(name).column) for name in _ROW_COLUMNS)
    # Names from the model's metadata, quoted; every value is a parameter.
    if insert:
        return (
            f"INSERT INTO {table} ({key}, {data}, {expires}) VALUES (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE "
            f"SET {data} = EXCLUDED.{data}, {expires} = EXCLUDED.{expires}"
        )
    return f"UPDATE {table} SET {data} = %s, {expires} = %s WHERE {key} = %s"  # noqa: S608


def set_if_present(cache: BaseCache, key: str, value: object, timeout: int) -> bool:
    """Replaces ``key``'s value only if the key is still there; False if it is gone.

    With Redis one ``SET … XX``: a session ended meanwhile (a sign-out in another tab, an
    admin ending it) is not brought back by a request that had loaded it. Django's cache API
    has no such call, so this reaches Redis itself; other caches check, then set.
    """
    commands = redis_commands(cache)
    if commands is not None:
        return commands.set(key, value, timeout, "XX")
    if not cache.has_key(key):
        return False
    cache.set(key, value, timeout)
    return True


def add(cache: BaseCache, key: str, value: object, timeout: int) -> bool:
    """Sets ``key`` only if it is free (Redis: ``SET … NX``); whether it was set."""
    commands = redis_commands(cache)
    if commands is not None:
        return commands.set(key, value, timeout, "NX")
    return cache.add(key, value, timeout)


class SessionStore(DatabaseSessionStore):
    """The cache first, the database behind it for signed-in sessions (see the module's text)."""

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = caches[settings.SESSION_CACHE_ALIAS]
        # Whether this key has a database row (as far as this store knows): kept with the data
        # in the cache, so that a session before sign-in costs no database statement at all.
        self._in_database = False
        # cycle_key: the new key is taken by the next save, with the data (one SET NX).
        self._new_key = False
        # The data (serialized) of a row written with other rows (``new_row_elsewhere``): the
        # next save writes the row only if the session changed since.
        self._row_written: bytes | None = None
        # A key ``end_key`` ended already: the cycle_key or flush that follows has nothing of
        # it left to delete.
        self._ended_key: str | None = None

    @classmethod
    def get_model_class(cls):  # type: ignore[no-untyped-def]
        from django.contrib.sessions.models import Session

        return Session

    def _cache_key(self, session_key: str | None = None) -> str:
        return KEY_PREFIX + (session_key or self.session_key or "")

    def _load_from_database(self) -> dict:
        data = super().load()  # an unknown or expired key: session_key becomes None
        self._in_database = bool(data)
        return data

    def load(self) -> dict:
        try:
            return self.load_from_cache()
        except unavailable_errors():
            return self._load_from_database()  # Redis is out of reach: the database's copy

    def load_from_cache(self) -> dict:
        """The session from the cache, else from the database (and put back in the cache);
        raises redis-py's errors while Redis is out of reach."""
        if self.session_key is None:
            return {}
        commands = redis_commands(self._cache)
        key = self._cache_key()
        cached = self._cache.get(key) if commands is None else commands.get(key)
        if cached is not None:
            expires_at, data, *in_database = cached
            if expires_at > time.time():
                # A value written before sessions carried the flag: assume a row exists.
                self._in_database = in_database[0] if in_database else True
                return data
            # Expired by the portal's clock (the cache's own expiry may lag): as the database
            # engine does, a new session with a new key.
            self._session_key = None
            return {}
        # Not in the cache (Redis restarted empty, or an unknown key): the database's copy,
        # put back in the cache for the next request.
        data = self._load_from_database()
        if data:
            try:
                self._refill_cache(data)
            except unavailable_errors():
                pass
        return data

    def _refill_cache(self, data: dict) -> None:
        """Puts a session read from its row back in the cache, unless it ended meanwhile.

        A sign-out may delete the row between this request's read of it and its cache write;
        ``add`` never overwrites a newer value, and the row is looked for again after the
        write: if it is gone, the key is taken out again. A sign-out whose row delete comes
        after that look deletes the cache key once more itself (``_delete_both``), so either
        way the ended session does not come back (OWASP ASVS 3.3.1: logout invalidates).
        """
        key = self._cache_key()
        age = self.get_expiry_age(expiry=data.get("_session_expiry"))
        added = self._cache.add(key, (time.time() + age, data, True), age)
        if added and not self.model.objects.filter(session_key=self.session_key).exists():
            self._cache.delete(key)

    def exists(self, session_key: str) -> bool:
        return self._cache.has_key(self._cache_key(session_key)) or super().exists(session_key)

    def _get_new_session_key(self) -> str:
        # 32 random characters; the save that creates the session adds the key only if free.
        return random_string(32, VALID_KEY_CHARS)

    def create(self) -> None:
        for _ in range(100):
            self._session_key = self._get_new_session_key()
            try:
                self.save(must_create=True)
            except CreateError:
                continue
            self.modified = True
            return
        raise RuntimeError("Unable to create a new session key.")

    def _cached(self, data: dict, in_database: bool) -> tuple[tuple, int]:
        """The cache's value of ``data`` (its expiry by the portal's clock, the data, whether a
        row is kept) and its age in seconds."""
        age = self.get_expiry_age()
        return (time.time() + age, data, in_database), age

    def take_new_key(self) -> bool:
        """Takes the key ``cycle_key`` drew in the cache now (``SET NX``, with the data as it
        is), rather than at the save at the end of the request; whether it was taken (False:
        no new key, or Redis is out of reach or the key taken, which the save then meets).

        Called before the key is made known (its UserSession row, accounts.sessions): Sign out
        everywhere, an account lock or a remote sign-out that finds the key while this request
        is still answering then deletes a key the cache holds, and the save, which only
        replaces the value from now on (``SET … XX``), finds it gone and does not bring the
        ended session back (Django answers SessionInterrupted).
        """
        if self.session_key is None or not self._new_key:
            return False
        data = self._get_session()
        cached, age = self._cached(data, self._in_database or USER_SESSION_KEY in data)
        try:
            if not add(self._cache, self._cache_key(), cached, age):
                return False
        except unavailable_errors():
            return False
        self._new_key = False
        return True

    def new_row_elsewhere(self) -> models.Model | None:
        """This signed-in session's first row, as the session is now, for a statement that
        writes it with other rows (the sign-in's, with its UserSession row:
        accounts.inserts.add_later); None when there is none to write that way (not signed
        in, no new key, the key could not be taken in the cache, or a row exists already).

        The new key is taken in the cache first (``take_new_key``), with the same data, so the
        row is never newer than the cache and a sign-out that finds the session once the
        statement ran ends it for good. The row is taken as written: the save at the end of
        the request writes nothing if the session did not change since, else replaces the
        cached value and updates the row (neither comes back if the session ended meanwhile).
        """
        data = self._get_session()
        if self.session_key is None or self._in_database or USER_SESSION_KEY not in data:
            return None
        if not self.take_new_key():
            return None  # the save takes the key and writes the row, as for any session
        row = self.create_model_instance(data)
        self._row_written = self.serializer().dumps(data)
        self._in_database = True
        return row

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        written, self._row_written = self._row_written, None
        if written is not None and written == self.serializer().dumps(data):
            # Both stores hold the session as it is now (new_row_elsewhere); a sign-out since
            # deleted both, and writing nothing leaves it so.
            return
        # A signed-in session is kept in the database too; so is one that has a row already
        # (its row must never be left older than the cache: it would come back after a restart).
        to_database = self._in_database or USER_SESSION_KEY in data
        key = self._cache_key()
        cached, age = self._cached(data, to_database)
        new_key = must_create or self._new_key
        refilled = False
        if new_key:
            if not add(self._cache, key, cached, age):
                # A key taken meanwhile: create() draws another; after cycle_key (odds of
                # 36**-32), the request is told its session was interrupted.
                raise CreateError if must_create else UpdateError
            self._new_key = False
        elif not set_if_present(self._cache, key, cached, age):
            # Not in the cache: Redis restarted empty (the row says the session lives on), or
            # the session ended meanwhile, which a save must not undo (Django answers
            # SessionInterrupted, as the database engine does).
            if not (self._in_database and super().exists(self.session_key)):
                raise UpdateError
            self._cache.set(key, cached, age)
            refilled = True
        if to_database:
            self._save_row(data, insert=new_key or not self._in_database, refilled=refilled)

    def _save_row(self, data: dict, *, insert: bool, refilled: bool) -> None:
        """Writes the session's row: inserted (or replaced) for a new key or the session's
        first row, else only updated, so that a save never brings back a row that a sign-out
        deleted after this request wrote the cache.

        A sign-out deletes the cache key first and the row second; a save racing it may have
        written the cache just before, so an update that finds no row means the session
        ended (the cache key is gone by then), unless the key is still in the cache with a
        flag this store took on trust (a value cached before sessions carried it): that
        session simply had no row yet. ``refilled``: this save put the key back in the cache
        after a Redis restart, so the cache says nothing and the row is the only witness.
        Raises ``UpdateError`` (Django answers SessionInterrupted) when the session ended,
        after taking its key out of the cache again.
        """
        row = self.create_model_instance(data)
        if not insert:
            if self._write_row(row, insert=False):
                return
            key = self._cache_key()
            if refilled or not self._cache.has_key(key):
                self._cache.delete(key)  # ended meanwhile: undo this request's cache write
                self._in_database = False
                raise UpdateError
        self._write_row(row, insert=True)
        self._in_database = True

    def _write_row(self, row: models.Model, *, insert: bool) -> int:
        """Inserts ``row`` (replacing a row of the same key) or updates the row of its key;
        the number of rows written.

        One SQL statement written out here for PostgreSQL and SQLite (``INSERT … ON CONFLICT
        DO UPDATE``, ``UPDATE … WHERE session_key``), which the ORM would build anew for each
        save at about three times the CPU of running it, and wrap the upsert in a transaction
        of its own; the ORM's ``bulk_create(update_conflicts=True)`` and ``update`` on other
        databases. The values are adapted as the ORM adapts them.
        """
        using = router.db_for_write(self.model)
        connection = connections[using]
        if connection.vendor not in ("postgresql", "sqlite"):
            if not insert:
                rows = self.model.objects.using(using).filter(session_key=row.session_key)
                return rows.update(session_data=row.session_data, expire_date=row.expire_date)
            self.model.objects.using(using).bulk_create(
                [row],
                update_conflicts=True,
                unique_fields=["session_key"],
                update_fields=["session_data", "expire_date"],
            )
            return 1
        meta = self.model._meta
        values = {
            name: meta.get_field(name).get_db_prep_save(getattr(row, name), connection)
            for name in _ROW_COLUMNS
        }
        built = (self.model, insert, connection.vendor)
        sql = _ROW_SQL.get(built)
        if sql is None:
            sql = _ROW_SQL[built] = _row_sql(self.model, insert, connection.ops.quote_name)
        params = [values[name] for name in (_ROW_COLUMNS if insert else _UPDATE_ORDER)]
        with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key, in_database = self.session_key, self._in_database
            self._new_key = False
            self._row_written = None
        else:
            in_database = True  # another key (an admin ending a session): its row too, if any
        if session_key != self._ended_key:
            self._delete_both(session_key, in_database)
        if session_key == self.session_key:
            self._in_database = False

    def cycle_key(self) -> None:
        """A new key for the same data (at sign-in and step-up: no session fixation).

        The old key is deleted from both stores now; the new one is taken in the cache (and
        written to the database, for a signed-in session) by the save at the end of this
        request, which the changed key asks for.
        """
        data = self._session
        old_key, old_in_database = self.session_key, self._in_database
        self._session_key = self._get_new_session_key()
        self._new_key = True
        self._in_database = False
        self._row_written = None
        self._session_cache = data
        self.modified = True
        if old_key and old_key != self._ended_key:
            self._delete_both(old_key, old_in_database)

    def end_key(self) -> bool:
        """Ends this session's key in both stores now, ahead of the new key that the
        ``cycle_key`` or ``flush`` to follow gives the session (they then delete nothing more:
        the same commands, made earlier). Returns whether this request ended it: False when
        it was gone already, ended by a parallel request that had loaded the same session
        (accounts.sessions.end_key_once), or when the session has no stored key.

        One atomic step of the store that keeps the session for good tells: the row's DELETE
        for a session that has one (of two parallel ones, one deletes the row), else the
        cache's ``DEL`` (Redis answers one of two parallel ones with 1). Until the new key,
        a save of this session would find its key gone (UpdateError)."""
        if self.session_key is None or self._new_key:
            return False
        self._ended_key = self.session_key
        return self._delete_both(self.session_key, self._in_database)

    def _delete_both(self, session_key: str, in_database: bool) -> bool:
        """Ends ``session_key`` in the cache and, if it has one, its row; whether it was still
        there (in the row, for a session with one: the cache's copy may be missing after a
        Redis restart; else in the cache).

        The cache key goes first (this raises while Redis is out of reach, and the session then
        stays whole in both stores), then the row, then the cache key once more: a request that
        read the row in between and put it back in the cache (``_refill_cache``, or a save
        after a Redis restart) is undone, so an ended session cannot come back from the cache.
        """
        cache_key = self._cache_key(session_key)
        commands = redis_commands(self._cache)
        ended = bool((self._cache if commands is None else commands).delete(cache_key))
        if in_database:
            ended = self.model.objects.filter(session_key=session_key).delete()[0] > 0
            self._cache.delete(cache_key)
            if transaction.get_connection().in_atomic_block:
                # Other requests see the row until the commit (deactivating an account ends
                # its sessions in its transaction): what they put back until then goes too.
                transaction.on_commit(lambda: self._cache.delete(cache_key), robust=True)
        return ended


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, answering 503 ("try again") when the session cannot be
    read or saved because Redis is out of reach.

    With ``sso.sessions``, a browser's session is loaded here, before the other middleware
    (authentication, the portal's gates) reads it: an error raised in their code would be a
    500, only a view's errors reach the portal middleware's ``process_exception``.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        # Give-backs and clears of the attempt counters go with the next command, the
        # session's save at the latest (sso.redis_commands, ``later``).
        RedisCommands.hold()
        super().process_request(request)
        session = request.session
        if isinstance(session, SessionStore) and session.session_key is not None:
            # Loaded without marking the session accessed (no ``Vary: Cookie`` for that).
            try:
                session._session_cache = session.load_from_cache()
            except unavailable_errors() as error:
                # Redis is out of reach: a signed-in session's copy in the database. A session
                # without one is before sign-in and lives in Redis only: "try again" (503), not
                # a fresh session that would send a sign-in half done back to its start.
                key = session.session_key
                data = session._load_from_database()
                if not data:
                    session._session_key = key  # the cookie stays: Redis may still hold it
                    return unavailable_response(request, error)
                session._session_cache = data
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return super().process_response(request, response)
        except unavailable_errors() as error:
            return unavailable_response(request, error)
        finally:
            RedisCommands.send_held()
