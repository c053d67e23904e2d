"""Where a user is signed in: one UserSession row per live portal session.

Rows are written when Django signs a user in and removed when they sign out; a row whose
session died another way (expiry, password change) is simply not listed.
"""

import hashlib
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.cache import caches
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import audit, inserts
from accounts.models import User, UserSession
from sso import sessions as session_stores
from sso.net import client_ip

# Sessions of another engine than the database's or sso.sessions: a key ended once is
# remembered in the default cache for as long as a session lives.
_ENDED_KEY = "accounts.session-ended:{}"


def _store(session_key: str | None = None):  # type: ignore[no-untyped-def]
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def _is_alive(user: User, session_key: str) -> bool:
    data = _store(session_key).load()
    return (
        data.get(SESSION_KEY) == str(user.pk)
        and BACKEND_SESSION_KEY in data
        and data.get(HASH_SESSION_KEY) == user.get_session_auth_hash()
    )


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions that still sign them in, newest first (dead rows are dropped)."""
    alive = []
    for row in UserSession.objects.filter(user=user):
        if _is_alive(user, row.session_key):
            alive.append(row)
        else:
            row.delete()
    return alive


def cycle_key(request: HttpRequest) -> bool:
    """Gives the signed-in session of ``request`` a new key (Django's ``cycle_key``, its data
    kept: no session fixation across a step-up, or a hash renewed under a fallback secret key)
    and moves its UserSession row to that key. Sign out everywhere, an account lock and Where
    you're signed in find a session by its row: one left on the old key would let the session
    go on unlisted and out of their reach. The new key is taken in the cache before the row
    names it (sso.sessions.SessionStore.take_new_key): a sign-out that finds it there while
    this request is still answering ends it, and the save at the response does not bring it
    back. Returns ``follow_new_key``'s answer: False when the session was signed out meanwhile
    (the caller signs the request out too)."""
    old_key = request.session.session_key
    request.session.cycle_key()
    return follow_new_key(request, old_key)


def end_key_once(request: HttpRequest) -> bool:
    """Ends the key of ``request``'s session now, ahead of the new one that completing a
    sign-in (Django's ``login``) or a step-up (``cycle_key``) gives it, and returns whether
    this request ended it. Of parallel requests that loaded the same session (Confirm and
    Continue of one verified second factor or passkey, pressed twice, or sent at once from
    copies of the browser's cookie), exactly one does: the proof held in a session completes
    once, since completing it always ends the key it was held under.

    The others get False, and nothing of their session is saved: its key is gone, so a save
    would be refused (Django's SessionInterrupted, a 400), and the cookie sent with it would
    replace the new key the first request gave the browser. Their caller answers as for a
    sign-in that has ended.

    Each store ends a key in one atomic step that tells whether it was still there:
    sso.sessions (``SessionStore.end_key``) in Redis or in its row; Django's database engine
    deletes the row (of two parallel DELETEs of one row, PostgreSQL lets one delete it). The
    ``cycle_key`` or ``flush`` that follows then finds nothing more to delete: a sign-in makes
    the same statements and Redis round trips as before, only in another order. A session of
    any other engine has its key taken once in the default cache instead (``SET NX``).
    """
    session = request.session
    key = session.session_key
    if key is None:
        return False  # never stored: no proof was held in it
    if isinstance(session, session_stores.SessionStore):
        ended = session.end_key()
    elif isinstance(session, DatabaseSessionStore):
        ended = session.model.objects.filter(session_key=key).delete()[0] > 0
    else:
        digest = hashlib.sha256(key.encode()).hexdigest()
        taken = _ENDED_KEY.format(digest)
        ended = session_stores.add(caches["default"], taken, True, settings.SESSION_COOKIE_AGE)
    if not ended:
        session.modified = False
    return ended


def renew_key(request: HttpRequest) -> None:
    """A new key for the session of ``request`` after ``end_key_once`` ended its key, when
    the request goes on without signing anyone in (a sign-in's proof carried to its security
    question). A signed-in session (a fresh sign-in asked for over it) takes its UserSession
    row along (``cycle_key``); one signed out elsewhere meanwhile goes on signed out."""
    if not request.user.is_authenticated:
        request.session.cycle_key()
    elif not cycle_key(request):
        request.user = AnonymousUser()


def follow_new_key(request: HttpRequest, old_key: str | None) -> bool:
    """After the session of ``request`` was given a new key in place of ``old_key`` (by
    ``cycle_key`` above, or by Django's own ``get_user`` renewing a hash made under a fallback
    secret key): takes the new key in the cache first (``take_new_key``, see ``cycle_key``),
    then moves the session's UserSession row to it. Returns whether the session is still
    listed: False when there was no row to move, because a sign-out (Sign out everywhere, an
    account lock, Where you're signed in) ended the session after this request had read it;
    every sign-in writes the row (``_track_session``). The new key is then taken out again,
    so the session cannot go on unlisted; the caller signs the request out."""
    take_new_key = getattr(request.session, "take_new_key", None)
    if take_new_key is not None:
        take_new_key()
    if not old_key:
        return True
    moved = UserSession.objects.filter(session_key=old_key).update(
        session_key=request.session.session_key
    )
    if moved:
        return True
    request.session.flush()  # the new key out of both stores; an empty session in its place
    return False


def end_session(
    request: HttpRequest | None, user: User, session_key: str, actor: User | None = None
) -> bool:
    """Signs one session out: its next request finds itself signed out."""
    row = UserSession.objects.filter(user=user, session_key=session_key).first()
    if row is None:
        return False
    _store(session_key).delete(session_key)
    row.delete()
    audit.record(request, audit.SESSION_ENDED, user=user, actor=actor, device=row.device)
    return True


def end_other_sessions(
    request: HttpRequest | None, user: User, keep: str | None = None, actor: User | None = None
) -> int:
    """Signs every session of ``user`` out but ``keep`` (None: all of them)."""
    keys = UserSession.objects.filter(user=user).exclude(session_key=keep or "")
    count = 0
    for key in list(keys.values_list("session_key", flat=True)):
        count += end_session(request, user, key, actor=actor)
    return count


@receiver(user_logged_in)
def _track_session(sender: type, request: HttpRequest, user: User, **kwargs: object) -> None:
    if request is None or not hasattr(request, "session") or not request.session.session_key:
        return
    user_agent = request.headers.get("User-Agent", "")[:300]
    # login() has just given the session a new key, so the row is always new: inserted
    # without looking, with the sign-in's other rows when it writes them together.
    row = UserSession(
        session_key=request.session.session_key,
        user=user,
        ip=client_ip(request) or None,
        user_agent=user_agent,
        device=audit.device_label(user_agent),
    )
    inserts.add(request, row)


@receiver(user_logged_out)
def _forget_session(
    sender: type, request: HttpRequest, user: User | None, **kwargs: object
) -> None:
    if user is None:
        return
    key = request.session.session_key if request is not None else None
    if key:
        UserSession.objects.filter(session_key=key).delete()
    audit.record(request, audit.SIGNOUT, user=user)
