"""A connection PostgreSQL ended before a request is never used by it: Django's health check
(CONN_HEALTH_CHECKS) sends ``SELECT 1`` on the kept connection before the request's first
query, and reconnects when it fails.

``pg_terminate_backend`` (as a restart, a failover or an idle-session timeout) only signals the
connection's server process, which then sends FATAL and closes the connection a moment later. A
check that reads the socket without a round trip saw nothing yet in that moment, and the
request's first query failed (a 500); ``SELECT 1`` reaches the process after the signal, which
ends it with the FATAL the check reads."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection, connections

from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    yield
    connection.close()  # whatever the test left: the next one connects anew


def other_connection():
    """A connection of its own to the test database (psycopg's, in autocommit)."""
    import psycopg

    settings = connection.get_connection_params()
    settings.pop("cursor_factory", None)
    settings.pop("prepare_threshold", None)
    return psycopg.connect(**settings, autocommit=True)


def test_kept_connections_are_checked():
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True


def as_at_a_request_start() -> None:
    """What Django's close_old_connections does at each request with CONN_MAX_AGE (the test
    client leaves it out): the next query checks the kept connection first."""
    connection.health_check_done = False


def test_a_request_whose_connection_is_being_terminated(postgresql, client, user, monkeypatch):
    """The connection is terminated as the request starts: just before its check."""
    sign_in(client, user.username, PASSWORD)
    assert SESSION_KEY in client.session
    wrapper_class = type(connections["default"])
    check = wrapper_class.close_if_health_check_failed
    with other_connection() as other:

        def terminated_then_checked(wrapper):
            if not wrapper.health_check_done and wrapper.connection is not None:
                pid = wrapper.connection.info.backend_pid
                other.execute("SELECT pg_terminate_backend(%s)", [pid])
            check(wrapper)

        monkeypatch.setattr(wrapper_class, "close_if_health_check_failed", terminated_then_checked)
        for _ in range(40):
            connection.ensure_connection()
            pid = connection.connection.info.backend_pid
            as_at_a_request_start()
            assert client.get("/").status_code == 200  # Home, signed in: it read the account
            assert connection.connection.info.backend_pid != pid


def test_a_request_after_the_server_ended_an_idle_session(postgresql, client, user):
    sign_in(client, user.username, PASSWORD)
    connection.ensure_connection()
    connection.connection.execute("SET idle_session_timeout = '100ms'")
    time.sleep(0.4)
    as_at_a_request_start()
    assert client.get("/").status_code == 200


def test_a_request_after_a_transaction_left_failed(postgresql, client, user):
    sign_in(client, user.username, PASSWORD)
    connection.ensure_connection()
    connection.connection.execute("BEGIN")
    with pytest.raises(Exception, match="division by zero"):
        connection.connection.execute("SELECT 1/0")
    as_at_a_request_start()
    assert client.get("/").status_code == 200


def test_a_kept_connection_is_checked_by_a_round_trip_of_its_own(postgresql):
    """The portal's backend (sso.db.postgresql) checks with an empty query: answered on a live
    connection, not on one whose server process has ended."""
    assert type(connections["default"]).__module__ == "sso.db.postgresql.base"
    connection.ensure_connection()
    assert connection.is_usable()
    pid = connection.connection.info.backend_pid
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert not connection.is_usable()
