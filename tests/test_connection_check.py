"""The check of a kept PostgreSQL connection (sso.db.postgresql, an empty query): what a request
finds after its connection was ended, with prepared statements, notices and open transactions,
and a check waiting on a server that does not answer, which signals must still interrupt."""

import time

import pytest
from django.db import connection

from tests.conftest import PASSWORD, sign_in
from tests.test_database_ended import as_at_a_request_start, other_connection, postgresql  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _terminate():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    with other_connection() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    as_at_a_request_start()
    return pid


@pytest.mark.parametrize(
    "path,statuses",
    [
        ("/admin/", {200}),
        ("/admin/accounts/user/", {200}),
        ("/.well-known/openid-configuration", {200}),
        ("/scim/v2/Users", {401, 403}),
        ("/o/userinfo/", {401, 403, 404, 405}),
    ],
)
def test_endpoints_after_a_terminated_connection(postgresql, client, admin_user, path, statuses):  # noqa: F811
    client.force_login(admin_user)
    for _ in range(8):  # past prepare_threshold: statements prepared on the old connection
        client.get(path)
    _terminate()
    assert client.get(path).status_code in statuses
    for _ in range(8):
        as_at_a_request_start()
        assert client.get(path).status_code in statuses


def test_prepared_statements_after_checks(postgresql, client, user):  # noqa: F811
    sign_in(client, user.username, PASSWORD)
    for _ in range(12):
        as_at_a_request_start()
        assert client.get("/").status_code == 200
    prepared = connection.connection.execute(
        "SELECT count(*) FROM pg_prepared_statements"
    ).fetchone()[0]
    assert prepared > 0


def test_a_notice_before_the_check(postgresql, client, user):  # noqa: F811
    sign_in(client, user.username, PASSWORD)
    connection.ensure_connection()
    connection.connection.execute("DO $$ BEGIN RAISE NOTICE 'hello'; END $$")
    assert connection.is_usable()
    as_at_a_request_start()
    assert client.get("/").status_code == 200


def test_an_open_transaction_is_usable_as_with_select_1(postgresql):  # noqa: F811
    connection.ensure_connection()
    connection.connection.execute("BEGIN")
    assert connection.is_usable()
    connection.connection.execute("ROLLBACK")


def test_a_closed_connection(postgresql):  # noqa: F811
    connection.ensure_connection()
    connection.connection.close()
    assert not connection.is_usable()


class _Proxy:
    """A TCP relay to the test database whose answers can be held back: a server that has
    stopped answering (a host gone silent in a failover, a network partition)."""

    def __init__(self, host: str, port: int) -> None:
        import socket
        import threading

        self.held = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target = (host, port)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import socket
        import threading

        client, _ = self.listener.accept()
        server = socket.create_connection(self.target)
        threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
        threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source, sink, holds: bool) -> None:  # type: ignore[no-untyped-def]
        try:
            while data := source.recv(65536):
                while holds and self.held.is_set():
                    time.sleep(0.01)
                sink.sendall(data)
        except OSError:
            return


def test_a_check_waiting_on_a_silent_server_lets_signal_handlers_run(postgresql):  # noqa: F811
    """A check waiting for a server that does not answer is interrupted by a signal's handler
    (gunicorn's worker timeout: SIGABRT, then sys.exit; Ctrl-C), as Django's SELECT 1 through
    psycopg's wait loop is; libpq's blocking PQexec retries its poll on EINTR, so Python runs
    no handler until the server answers."""
    import signal
    import threading

    from django.db import connections

    default = connections["default"]

    class Interrupted(Exception):
        pass

    def interrupt(*_: object) -> None:
        raise Interrupted

    settings = default.settings_dict
    proxy = _Proxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    wrapper = type(default)({**settings, "HOST": "127.0.0.1", "PORT": proxy.port}, "proxied")
    wrapper.ensure_connection()
    previous = signal.signal(signal.SIGALRM, interrupt)
    proxy.held.set()
    answers_again = threading.Timer(3, proxy.held.clear)
    answers_again.start()
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(Interrupted):
            wrapper.is_usable()
        interrupted_after = time.monotonic() - started
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        answers_again.join()
        wrapper.close()
    assert interrupted_after < 2
