"""The PostgreSQL backend's check of a kept connection (sso/db/postgresql/base.py): no round
trip for an idle connection that PostgreSQL has not ended, Django's SELECT 1 for any other, and
a connection that PostgreSQL ended is never used again."""

from __future__ import annotations

import select
import time
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept_connection():
    """The test's own connection, open, idle and outside a transaction (autocommit)."""
    if connection.vendor != "postgresql":
        pytest.skip("the check is the PostgreSQL backend's (sso/db/postgresql)")
    connection.ensure_connection()
    connection.connection.execute("SELECT 1")  # nothing left to read afterwards
    yield connection.connection
    connection.close()


def messages_sent(raw, action) -> str:
    """The frontend messages libpq traces while ``action`` runs ("Query", "Parse", ...)."""
    path = Path(f"/tmp/sso-pq-trace-{id(raw)}.txt")
    with path.open("w") as trace:
        raw.pgconn.trace(trace.fileno())
        try:
            action()
        finally:
            raw.pgconn.untrace()
    text = path.read_text()
    path.unlink()
    return "\n".join(line for line in text.splitlines() if "\tF\t" in line)


def wait_readable(raw, seconds: float = 5.0) -> None:
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN)
    deadline = time.monotonic() + seconds
    while not poller.poll(50):
        assert time.monotonic() < deadline, "PostgreSQL sent nothing on the connection"


def other_connection():
    import psycopg

    settings = connection.get_connection_params()
    settings.pop("cursor_factory", None)
    settings.pop("prepare_threshold", None)
    return psycopg.connect(**settings, autocommit=True)


def test_engine_is_the_portals():
    if connection.vendor != "postgresql":
        pytest.skip("the check is the PostgreSQL backend's (sso/db/postgresql)")
    assert connection.settings_dict["ENGINE"] == "sso.db.postgresql"
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def test_an_idle_kept_connection_is_usable_without_a_round_trip(kept_connection):
    usable: list[bool] = []
    sent = messages_sent(kept_connection, lambda: usable.append(connection.is_usable()))
    assert usable == [True]
    assert sent == ""  # Django's own check would have sent a Query "SELECT 1"


def test_a_connection_postgresql_terminated_is_not_used(kept_connection):
    pid = kept_connection.info.backend_pid
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    wait_readable(kept_connection)
    assert connection.is_usable() is False
    # As Django does before a request's first query: the connection is closed and reopened.
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert connection.connection is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_a_connection_with_something_to_read_is_checked_by_a_query(kept_connection):
    """A message PostgreSQL sent unasked (here a notification) is no sign of an ended
    connection: Django's SELECT 1 reads it and the connection is kept."""
    kept_connection.execute("LISTEN sso_backend_check")
    with other_connection() as other:
        other.execute("NOTIFY sso_backend_check")
    wait_readable(kept_connection)
    usable: list[bool] = []
    sent = messages_sent(kept_connection, lambda: usable.append(connection.is_usable()))
    assert usable == [True]
    assert "SELECT 1" in sent
    kept_connection.execute("UNLISTEN *")


def test_a_connection_inside_a_transaction_is_checked_by_a_query(kept_connection):
    kept_connection.execute("BEGIN")
    usable: list[bool] = []
    sent = messages_sent(kept_connection, lambda: usable.append(connection.is_usable()))
    kept_connection.execute("ROLLBACK")
    assert usable == [True]
    assert "SELECT 1" in sent
