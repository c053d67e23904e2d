"""Sessions read from the cache (Redis), written to the cache and to the database.

A sign-in is eleven requests, and with the database engine each of them read the session row
and the steps that change it wrote it (an existence check and an insert for a new key, an
update per change, four statements for the new key at sign-in): 18 of a sign-in's 50 SQL
statements. Here a session is read with one cache ``get``; the database row is written as
before (one upsert per change), so it still holds every session:

- while Redis is out of reach, or after it restarted empty, sessions are read from the
  database: signed-in pages keep working, and a sign-in half done carries on once Redis is
  back (tests/reliability/test_redis_down.py);
- a request that changes or ends a session while Redis is out of reach gets the "try again"
  page (503) from ``SessionMiddleware`` below, and the session stays as it was in both stores.
  The cache is written (or the key deleted) first and the database second, so the cache is
  never left older than the database: an ended session cannot come back from the cache once
  Redis is back.

Django's ``cached_db`` engine was not taken: its ``load`` raises when Redis is out of reach,
which made every signed-in page fail during an outage.
"""

import time

from django.conf import settings
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import get_random_string

from sso.middleware import unavailable_errors, unavailable_response

KEY_PREFIX = "sso.session:"


class SessionStore(DatabaseSessionStore):
    """The cache first, the database behind it (see the module's text)."""

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = caches[settings.SESSION_CACHE_ALIAS]
        self._cache_only = False  # cycle_key: the new key's row is written by the next save

    @classmethod
    def get_model_class(cls):  # type: ignore[no-untyped-def]
        from django.contrib.sessions.models import Session

        return Session

    def _cache_key(self, session_key: str | None = None) -> str:
        return KEY_PREFIX + (session_key or self.session_key or "")

    def load(self) -> dict:
        if self.session_key is None:
            return {}
        try:
            cached = self._cache.get(self._cache_key())
        except unavailable_errors():
            return super().load()  # Redis is out of reach: the database's copy
        if cached is not None:
            expires_at, data = cached
            if expires_at > time.time():
                return data
            # Expired by the portal's clock (the cache's own expiry may lag): as the database
            # engine does, a new session with a new key.
            self._session_key = None
            return {}
        # Not in the cache (Redis restarted empty, or an unknown key): the database's copy,
        # put back in the cache for the next request.
        data = super().load()
        if data:
            try:
                age = self.get_expiry_age(expiry=data.get("_session_expiry"))
                self._cache.set(self._cache_key(), (time.time() + age, data), age)
            except unavailable_errors():
                pass
        return data

    def exists(self, session_key: str) -> bool:
        return self._cache.has_key(self._cache_key(session_key)) or super().exists(session_key)

    def _get_new_session_key(self) -> str:
        # 32 random characters; ``save(must_create=True)`` adds the key only if it is free.
        return get_random_string(32, VALID_KEY_CHARS)

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

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        key = self._cache_key()
        age = self.get_expiry_age()
        cached = (time.time() + age, data)  # the expiry by the portal's clock, as in the row
        if must_create:
            if not self._cache.add(key, cached, age):
                raise CreateError
            if self._cache_only:
                return
        elif not self._cache.has_key(key) and not super().exists(self.session_key):
            # As the database engine: never bring back a session ended meanwhile (a sign-out
            # in another tab, an admin ending it); Django answers SessionInterrupted.
            raise UpdateError
        else:
            self._cache.set(key, cached, age)
        self._cache_only = False
        row = self.create_model_instance(data)
        self.model.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["session_key"],
            update_fields=["session_data", "expire_date"],
        )

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self._cache.delete(self._cache_key(session_key))  # first: raises while Redis is out
        self.model.objects.filter(session_key=session_key).delete()

    def cycle_key(self) -> None:
        """A new key for the same data (at sign-in). The new key is taken in the cache now and
        written to the database by the save that follows (the data changes at once anyway:
        Django's ``login`` marks the session modified)."""
        data = self._session
        old_key = self.session_key
        self._cache_only = True
        self.create()
        self._session_cache = data
        if old_key:
            self.delete(old_key)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, answering 503 ("try again") when the session cannot be
    read or saved because Redis is out of reach.

    With ``sso.sessions``, a browser's session is loaded here, before the other middleware
    (authentication, OTP, rollout) reads it: an error raised in their code would be a 500,
    only a view's errors reach ``ServiceUnavailableMiddleware``.
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        super().process_request(request)
        session = request.session
        if isinstance(session, SessionStore) and session.session_key is not None:
            try:
                # Loaded without marking the session accessed (no ``Vary: Cookie`` for that).
                session._session_cache = session.load()
            except unavailable_errors() as error:
                return unavailable_response(request, error)
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return super().process_response(request, response)
        except unavailable_errors() as error:
            return unavailable_response(request, error)
