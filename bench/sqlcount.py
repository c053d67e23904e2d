"""A WSGI wrapper that counts the SQL statements of each request, and times its password
hashes, for gunicorn's access log.

``gunicorn bench.sqlcount:application`` with ``BENCH_WSGI_APP=sso.wsgi:application`` (without
it: Django's ``get_wsgi_application()`` for ``DJANGO_SETTINGS_MODULE``, as the peers) serves that
application unchanged and puts the number of statements
Django sent during the request in ``environ["bench.sql"]``, which the access log format of
bench/services.py writes next to each request. The count is Django's, the one
``CaptureQueriesContext`` and the query-count tests see (one per ``execute``/``executemany``,
savepoints included; connection health checks and psycopg's implicit BEGIN not), and it is
the same for every Django project the bench serves.

It also puts in ``environ["bench.hash_us"]`` the CPU time (this thread's, in microseconds) the
request spent in argon2-cffi's ``verify_secret``, the Argon2 verify of Django's
``Argon2PasswordHasher`` in every project: what the request's password check cost where it
ran, which a verify timed by itself in a loop underestimates (its 19 MiB stay in the
processor's cache from one verify to the next; in a request they do not).
"""

from __future__ import annotations

import importlib
import os
import time

import argon2._password_hasher
from django.db import connections


class StatementCounter:
    """A database execute wrapper (Django's ``connection.execute_wrappers``) that counts."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


if os.environ.get("BENCH_WSGI_APP"):
    _module, _, _attribute = os.environ["BENCH_WSGI_APP"].partition(":")
    _application = getattr(importlib.import_module(_module), _attribute or "application")
else:
    from django.core.wsgi import get_wsgi_application

    _application = get_wsgi_application()
_counter = StatementCounter()


class HashTimer:
    """Wraps argon2-cffi's ``verify_secret`` as ``argon2.PasswordHasher.verify`` calls it,
    adding each call's CPU time (``time.thread_time``, seconds) to ``seconds``."""

    def __init__(self, verify) -> None:  # type: ignore[no-untyped-def]
        self.verify = verify
        self.seconds = 0.0

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.thread_time()
        try:
            return self.verify(*args, **kwargs)
        finally:
            self.seconds += time.thread_time() - start


_hash_timer = HashTimer(argon2._password_hasher.verify_secret)
argon2._password_hasher.verify_secret = _hash_timer


def application(environ, start_response):  # type: ignore[no-untyped-def]
    wrappers = connections["default"].execute_wrappers
    if _counter not in wrappers:  # once per thread: gunicorn's sync workers have one
        wrappers.append(_counter)
    _counter.count = 0
    _hash_timer.seconds = 0.0
    response = _application(environ, start_response)
    environ["bench.sql"] = str(_counter.count)
    environ["bench.hash_us"] = str(round(_hash_timer.seconds * 1e6))
    return response
