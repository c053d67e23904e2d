"""New-device alerts: the first sign-in from a browser the account has not used before mails
the user the time, device and IP (OWASP ASVS 2.2.3 / V6 notifications).

A browser is recognised by a long-lived signed cookie holding a random id (never a secret of
the user); only its SHA-256 is kept, in KnownDevice.
"""

import hashlib
import secrets
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from accounts import audit, inserts
from accounts.models import KnownDevice, User
from sso.net import client_ip

COOKIE_SALT = "accounts.device"
COOKIE_MAX_AGE = 2 * 365 * 24 * 60 * 60
NEW_COOKIE_ATTRIBUTE = "_new_device_cookie"


def _browser_token(request: HttpRequest) -> str:
    """This browser's id from its cookie, or a new one the response will set."""
    try:
        token = request.get_signed_cookie(settings.ACCOUNTS_DEVICE_COOKIE_NAME, salt=COOKIE_SALT)
    except (KeyError, signing.BadSignature):
        token = secrets.token_urlsafe(24)
        setattr(request, NEW_COOKIE_ATTRIBUTE, token)
    return token


def note_device(request: HttpRequest, user: User) -> bool:
    """Remembers this browser for ``user``; True (and an alert is queued) when it is new.

    An account's very first browser raises no alert: there is nothing to compare it with.
    """
    token = _browser_token(request)
    digest = hashlib.sha256(token.encode()).hexdigest()
    label = audit.device_label(request.headers.get("User-Agent", ""))
    if getattr(request, NEW_COOKIE_ATTRIBUTE, None) == token:
        # A random id made just now cannot be in the table yet: insert without looking. Whether
        # the account knew a browser before is asked with the insert (with the sign-in's other
        # rows in one statement when it writes them together, accounts.inserts), and read as
        # the table was before it; asked first, as outside a block the row is written at once.
        if settings.ACCOUNTS_NEW_DEVICE_ALERTS:
            alert = _alert(request, user, label)

            def answer(any_device: object) -> None:
                if any_device is not None:  # the account had a browser before this one
                    alert()

            inserts.ask(request, _known_sql(False, connection.vendor), [user.pk], answer)
        inserts.add(request, KnownDevice(user=user, device_hash=digest, device=label))
        return True
    if _known(user.pk, digest):
        return False  # the usual case: a browser this account has used before
    had_devices = _known(user.pk)
    # Known to the browser but not to this account; a parallel sign-in may insert it too.
    _device, created = KnownDevice.objects.get_or_create(
        user=user, device_hash=digest, defaults={"device": label}
    )
    if created and had_devices and settings.ACCOUNTS_NEW_DEVICE_ALERTS:
        _alert(request, user, label)()
    return created


def _alert(request: HttpRequest, user: User, label: str) -> Callable[[], None]:
    """Queues the new-device mail of ``user`` for after the commit, in this request's language
    and with its client IP (worked out now, when called)."""
    from accounts.tasks import send_new_device_alert

    ip = client_ip(request)
    language = translation.get_language() or settings.LANGUAGE_CODE

    def queue() -> None:
        transaction.on_commit(lambda: send_new_device_alert.delay(user.pk, label, ip, language))

    return queue


@cache
def _known_sql(by_browser: bool, vendor: str) -> str:
    """``SELECT 1`` of a known device of an account (and browser), built once: the ORM takes
    longer to build the query than PostgreSQL to run it."""
    quote = connection.ops.quote_name
    meta = KnownDevice._meta
    where = f"{quote(meta.get_field('user').column)} = %s"
    if by_browser:
        where += f" AND {quote(meta.get_field('device_hash').column)} = %s"
    # Names from the model's metadata, quoted; every value is a parameter.
    return f"SELECT 1 FROM {quote(meta.db_table)} WHERE {where} LIMIT 1"  # noqa: S608


def _known(user_id: int, digest: str | None = None) -> bool:
    """Whether the account has a known device: the browser ``digest``, or any."""
    with connection.cursor() as cursor:
        cursor.execute(
            _known_sql(digest is not None, connection.vendor),
            [user_id] if digest is None else [user_id, digest],
        )
        return cursor.fetchone() is not None


def set_device_cookie(request: HttpRequest, response: HttpResponse) -> None:
    """Gives a browser its device cookie when a sign-in just made one (run on every response
    by ``accounts.middleware.AccountMiddleware``)."""
    token = getattr(request, NEW_COOKIE_ATTRIBUTE, None)
    if token:
        response.set_signed_cookie(
            settings.ACCOUNTS_DEVICE_COOKIE_NAME,
            token,
            salt=COOKIE_SALT,
            max_age=COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
