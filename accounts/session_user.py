"""``request.user`` read by a statement built once per process, Django's rules unchanged.

Django's ``AuthenticationMiddleware`` gives every request a lazy ``request.user``; for a
signed-in session, ``django.contrib.auth.get_user`` asks the session's backend (ModelBackend
for every portal sign-in) for the row, ``User.objects.get(pk=…)``, a query the ORM compiles
anew for each request: it costs more CPU (about half a millisecond) than PostgreSQL takes to run
it, on every page of a signed-in person and every authorize request of a relying app.

Here the same row is read by the SELECT the ORM builds, compiled once (sso.compiled_sql), and
then Django's rules apply as in ``get_user``: the backend's ``user_can_authenticate``
(``is_active``), and the session's auth hash (HMAC of the password hash) compared with the
user's, or with one made under ``SECRET_KEY_FALLBACKS`` (the session then gets the current
hash); a session that matches neither, or has none, is flushed and the request is anonymous.
Another backend, or a database where the statement cannot be kept (SQLite), takes Django's
own way, with the session's UserSession row moved when Django renews the hash under a new key.
The row is read at every request, never kept: a deactivation or a password change counts at
once in every worker.
"""

from functools import cache, partial

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from accounts import sessions
from accounts.models import User
from sso.compiled_sql import CompiledSelect, compile_select

# Stands for the user's id in the statement compiled once; never a real id.
_USER_ID = -2_026_120_105


@cache
def _statement(vendor: str) -> CompiledSelect | None:
    """ModelBackend's ``User.objects.get(pk=…)`` compiled once for this database (every column,
    in the model's order); None when it cannot be kept."""
    columns = tuple(field.attname for field in User._meta.concrete_fields)
    return compile_select(User.objects.filter(pk=_USER_ID).values_list(*columns), _USER_ID)


def _read_user(backend: ModelBackend, user_id: object, statement: CompiledSelect) -> User | None:
    """What ``ModelBackend.get_user`` returns: the user, or None when there is no such row or
    the backend refuses it (``user_can_authenticate``: an inactive account)."""
    row = statement.row(user_id)
    if row is None:
        return None
    user = User.from_db(connection.alias, statement.columns, row)
    return user if backend.user_can_authenticate(user) else None


def _django_get_user(request: HttpRequest) -> User | AnonymousUser:
    """``django.contrib.auth.get_user``, the session's UserSession row following its key:
    Django renews a hash made under a fallback secret key with ``session.cycle_key()``, which
    leaves the row on the old key (``accounts.sessions.cycle_key`` says why it must move)."""
    old_key = request.session.session_key
    user = auth.get_user(request)
    new_key = request.session.session_key
    renewed = user.is_authenticated and old_key and new_key and new_key != old_key
    if renewed and not sessions.follow_new_key(request, old_key):
        return AnonymousUser()  # signed out meanwhile
    return user


def get_user(request: HttpRequest) -> User | AnonymousUser:
    """The user of ``request``'s session, or ``AnonymousUser``: ``django.contrib.auth.get_user``
    with ModelBackend's read done by the statement compiled once.

    The session's auth hash is checked as Django checks it (``get_user``, Django 5.2), so a
    password change elsewhere or a rotated ``SECRET_KEY`` without its fallback ends the
    session; a match under a fallback key stores the current hash under a new session key.
    """
    statement = _statement(connection.vendor)
    session = request.session
    try:
        user_id = User._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if statement is None or backend_path not in settings.AUTHENTICATION_BACKENDS:
        return _django_get_user(request)
    backend = load_backend(backend_path)
    if type(backend).get_user is not ModelBackend.get_user or auth.get_user_model() is not User:
        return _django_get_user(request)
    user = _read_user(backend, user_id, statement)
    if user is None:
        return AnonymousUser()
    session_hash = session.get(HASH_SESSION_KEY)
    user_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, user_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback)
        for fallback in user.get_session_auth_fallback_hash()
    ):
        if not sessions.cycle_key(request):  # as Django does; the session's row follows it
            return AnonymousUser()  # signed out meanwhile
        session[HASH_SESSION_KEY] = user_hash
        return user
    session.flush()
    return AnonymousUser()


def _cached_user(request: HttpRequest) -> User | AnonymousUser:
    if not hasattr(request, "_cached_user"):
        request._cached_user = get_user(request)
    return request._cached_user


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's middleware (the same checks, ``request.auser`` too) with ``get_user`` above."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(partial(_cached_user, request))
