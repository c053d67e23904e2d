"""``request.user`` of a signed-in session (accounts/session_user.py): the row Django's
ModelBackend reads, by a statement compiled once, with Django's session checks unchanged."""

from unittest import mock

import pytest
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.module_loading import import_string

from accounts.models import User, UserSession
from accounts.session_user import get_user
from accounts.sessions import end_other_sessions

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"  # what a portal sign-in stores


def _request(user: User, session_hash: str | None = None):
    """A request whose session signed ``user`` in, as ``login()`` leaves it (with its
    UserSession row)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[auth.BACKEND_SESSION_KEY] = MODEL_BACKEND
    if session_hash != "":
        session[HASH_SESSION_KEY] = session_hash or user.get_session_auth_hash()
    session.save()
    UserSession.objects.create(user=user, session_key=session.session_key)  # as login() writes
    request = RequestFactory().get("/")
    request.session = session
    return request


def _portal_authentication():
    """The authentication middleware of ``settings.MIDDLEWARE``, ready for a request."""
    (path,) = [
        path
        for path in settings.MIDDLEWARE
        if issubclass(import_string(path), DjangoAuthentication)
    ]
    return import_string(path)(lambda request: HttpResponse())


def test_the_user_is_the_row_django_reads(user):
    ours, django = get_user(_request(user)), auth.get_user(_request(user))
    assert ours.pk == user.pk and ours._state.adding is False
    for field in User._meta.concrete_fields:
        assert getattr(ours, field.attname) == getattr(django, field.attname), field.name


def test_the_middleware_reads_the_user_without_compiling_a_query(user):
    """After the first request of the process, the user's SELECT is not built again (the
    ORM's compiler costs more CPU than PostgreSQL takes to run the query)."""
    if connection.vendor != "postgresql":
        # By design: SQLite's booleans and dates are converted as they are read, so
        # sso.compiled_sql keeps no statement there and Django reads the user as it always does.
        pytest.skip("PostgreSQL only by design: elsewhere the ORM builds the user's SELECT")
    middleware = _portal_authentication()
    first = _request(user)
    middleware.process_request(first)
    assert first.user.pk == user.pk
    request = _request(user)
    middleware.process_request(request)
    with mock.patch.object(
        SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql
    ) as compiled:
        assert request.user.pk == user.pk and request.user.is_authenticated
    assert compiled.call_count == 0


def test_a_password_changed_elsewhere_ends_the_session(user):
    request = _request(user)
    user.set_password("another horse battery staple")
    user.save()
    assert get_user(request).is_authenticated is False
    assert SESSION_KEY not in request.session  # flushed, as Django does


def test_a_session_without_its_hash_is_ended(user):
    request = _request(user, session_hash="")
    assert get_user(request).is_authenticated is False
    assert SESSION_KEY not in request.session


def test_a_deactivated_account_is_signed_out(user):
    request = _request(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert get_user(request).is_authenticated is False


def test_an_account_deleted_since_is_signed_out(user):
    request = _request(user)
    User.objects.filter(pk=user.pk).delete()
    assert get_user(request).is_authenticated is False


def test_a_hash_made_under_a_fallback_secret_key_is_renewed(user, settings):
    old_hash = user.get_session_auth_hash()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key for this test " + "y" * 30
    request = _request(user, session_hash=old_hash)
    old_key = request.session.session_key
    assert get_user(request).pk == user.pk
    assert request.session[HASH_SESSION_KEY] == user.get_session_auth_hash() != old_hash
    assert request.session.session_key != old_key  # cycled, as Django does


def test_a_hash_under_a_removed_secret_key_ends_the_session(user, settings):
    old_hash = user.get_session_auth_hash()
    settings.SECRET_KEY = "a new secret key for this test " + "y" * 30
    request = _request(user, session_hash=old_hash)
    assert get_user(request).is_authenticated is False
    assert SESSION_KEY not in request.session


def test_a_session_of_another_backend_is_read_by_django(user, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    request = _request(user)
    assert get_user(request).is_authenticated is False  # its backend is not configured


def test_a_signed_in_person_whose_password_changed_elsewhere_is_asked_to_sign_in(client, user):
    client.force_login(user)
    assert client.get("/").status_code == 200
    user.set_password("another horse battery staple")
    user.save()
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _renewed_under_a_fallback_key_keeps_the_sessions_row(client, user, settings) -> None:
    """Signed in (``client.force_login`` already done), the secret key rotated with the old
    one as a fallback: the next page renews the session's hash under a new key, the session's
    UserSession row goes with it, so Sign out everywhere still ends the session."""
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key for this test " + "y" * 30
    old_key = client.session.session_key
    assert client.get("/").status_code == 200
    key = client.session.session_key
    assert key != old_key
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [
        key
    ]
    assert end_other_sessions(None, user) == 1
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_a_hash_renewed_under_a_fallback_key_keeps_the_sessions_row(client, user, settings):
    """The renewal gives the session a new key, as Django does (by the statement compiled once
    on PostgreSQL, by Django's get_user on SQLite)."""
    client.force_login(user)
    _renewed_under_a_fallback_key_keeps_the_sessions_row(client, user, settings)


class ReadByDjango(ModelBackend):
    """A backend with a ``get_user`` of its own: its sessions are read by Django's get_user."""

    def get_user(self, user_id: object) -> User | None:
        return super().get_user(user_id)


def test_a_hash_renewed_by_djangos_get_user_keeps_the_sessions_row(client, user, settings):
    """The same for a session that Django's own get_user reads on every database: one signed
    in through a backend with a get_user of its own."""
    other = f"{__name__}.ReadByDjango"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, other]
    client.force_login(user, backend=other)
    _renewed_under_a_fallback_key_keeps_the_sessions_row(client, user, settings)


@pytest.mark.parametrize("read_by", ["portal", "django"])
def test_a_session_signed_out_while_its_hash_is_renewed_stays_signed_out(
    client, user, settings, read_by
):
    """Sign out everywhere lands after the page read the session and before the renewal moved
    its UserSession row (the row deleted with the old key): the renewed session is ended there,
    and the page is answered signed out, not with a session listed nowhere."""
    from django.contrib.sessions.models import Session

    if read_by == "django":
        other = f"{__name__}.ReadByDjango"
        settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, other]
        client.force_login(user, backend=other)
    else:
        client.force_login(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a new secret key for this test " + "z" * 30
    UserSession.objects.filter(user=user).delete()  # the row, deleted by a sign-out
    answer = client.get("/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
    signed_in = [s for s in Session.objects.all() if s.get_decoded().get(SESSION_KEY)]
    assert signed_in == []
    assert client.get("/")["Location"].startswith("/accounts/login/")
