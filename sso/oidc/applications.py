"""Relying applications as the authorize endpoint reads them: kept by each worker a few seconds.

Every authorization request names its client, and reading the application through the ORM
(a 21-column select compiled anew) cost about a millisecond of Python per request for a row
that changes when an admin edits the app. Each worker now keeps the row it read for
``LOCAL_SECONDS``, at the authorize endpoint only (``cached_reads``), and drops it whenever an
application is saved or deleted in this process (sso/oidc/signals.py).

Nothing is issued on a stale row: the code is inserted only while the application row is
unchanged (rows.insert_code compares its ``updated`` time, which every ``save()`` moves), so
an app edited or deleted in another worker a moment ago raises ``ApplicationChanged`` and the
authorize view answers again with the row read from the database (redirect URIs, client
type, consent and PKCE rules as they are now). A stale row can at worst refuse a request
for those seconds (a redirect URI just added, in another worker). The token endpoint,
which authenticates the client, always reads the database.

Rows are kept as tuples of values and a new instance is made from them for each request
(``Model.from_db``), so no request sees another's changes to its instance. Applications
registered from a Client ID Metadata Document are not kept: DOT refreshes those as it reads
them.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS

from sso.oidc.models import Application

LOCAL_SECONDS = 5
MAX_KEPT = 1000  # distinct client ids per worker; beyond that the whole set is dropped
_kept: dict[str, tuple[float, tuple]] = {}  # client_id -> (until, the row's values)
_in_use: ContextVar[bool] = ContextVar("sso_oidc_kept_applications", default=False)


class ApplicationChanged(Exception):
    """The application a code was about to be made for changed or went after it was read."""


@contextmanager
def cached_reads() -> Iterator[None]:
    """Lets ``application`` answer from this worker's rows for the enclosed code."""
    token = _in_use.set(True)
    try:
        yield
    finally:
        _in_use.reset(token)


def in_use() -> bool:
    """Whether the caller runs inside ``cached_reads``."""
    return _in_use.get()


def application(client_id: str) -> Application | None:
    """The application ``client_id`` names, from this worker's rows when read less than
    ``LOCAL_SECONDS`` ago, else from the database (then kept); None when there is none."""
    now = time.monotonic()
    kept = _kept.get(client_id)
    if kept is not None and kept[0] > now:
        return Application.from_db(DEFAULT_DB_ALIAS, None, list(kept[1]))
    found = next(iter(Application.objects.filter(client_id=client_id)[:1]), None)
    if found is None or found.registration_source != "manual":
        return found
    if len(_kept) >= MAX_KEPT:
        _kept.clear()
    values = tuple(getattr(found, f.attname) for f in Application._meta.concrete_fields)
    _kept[client_id] = (now + LOCAL_SECONDS, values)
    return found


def forget(client_id: str) -> None:
    """Drops the row kept for ``client_id``."""
    _kept.pop(client_id, None)


def forget_all(**kwargs: object) -> None:
    """Drops every kept row: a receiver of ``post_save`` and ``post_delete`` of Application
    (an edit may change the client id itself)."""
    _kept.clear()
