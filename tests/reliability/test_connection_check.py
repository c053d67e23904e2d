"""The check of a kept PostgreSQL connection at the start of a request (sso/postgresql/):
no ``SELECT 1`` while the connection is sound, a new connection once PostgreSQL ended it.

In process, on the test database's own connection, which each test ends or checks as Django
does between two requests (``close_old_connections``). The same under gunicorn, with every
connection of a database dropped twice: test_database_dropped.py.
"""

import select
from unittest import mock

import pytest
from django.db import connection, connections

from tests.reliability.conftest import postgres_admin_url

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the check is PostgreSQL's (sso/postgresql/)"
)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def next_request() -> None:
    """What Django does between two requests on a kept connection."""
    connection.close_if_unusable_or_obsolete()


@pytest.mark.django_db(transaction=True)
def test_a_sound_connection_is_kept_without_a_query():
    pid = backend_pid()
    next_request()
    with mock.patch.object(connections["default"], "is_usable") as select_1:
        assert backend_pid() == pid
    select_1.assert_not_called()


@pytest.mark.django_db(transaction=True)
def test_a_connection_postgres_ended_is_replaced_before_the_next_query():
    import psycopg

    pid = backend_pid()
    with psycopg.connect(postgres_admin_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    # Wait until the server's goodbye has reached the socket (it is sent as the backend exits).
    select.select([connection.connection.fileno()], [], [], 10)
    next_request()
    assert backend_pid() != pid  # no error: the check found the connection dead
