"""Django's PostgreSQL backend, checking a kept connection with an empty query.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before a request's first query by
sending ``SELECT 1`` through a psycopg cursor (``django.db.backends.postgresql.base.
DatabaseWrapper.is_usable``). The check must be a round trip: ``pg_terminate_backend`` (a
restart, a failover, an idle-session timeout) returns before the ended backend's FATAL reaches
the socket, so a check that only looks at the socket finds it quiet and the request's first
query fails (tests/test_database_ended.py; docs/performance.md, "The fixed cost of a request").

An empty query is the same round trip: the backend reads it, so it acts on its termination
first, and answers with EmptyQueryResponse (PostgreSQL protocol, "Simple Query"). Sent on the
psycopg connection's libpq handle, it needs no cursor, no statement to parse or plan and no
result to read: about half of ``SELECT 1``'s CPU in the worker and in PostgreSQL.

It is sent and waited for as psycopg waits for any query (``Connection.wait``: libpq's
non-blocking calls, the socket polled from Python), not by libpq's blocking ``PQexec``: that
one retries its poll when a signal interrupts it, so while a server does not answer (a host
gone silent in a failover) no Python signal handler runs, neither gunicorn's worker timeout
(SIGABRT) nor Ctrl-C, until the server answers or TCP gives up; SELECT 1 through psycopg lets
them run (tests/test_connection_check.py).
"""

from __future__ import annotations

from django.db.backends.postgresql import base
from psycopg import generators, pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """Whether the kept connection answers an empty query (one round trip) outside a failed
        transaction; ``False`` when it is closed, broken, answers anything else (a FATAL, an
        error) or is in a failed transaction (which ``SELECT 1`` finds by its error; the
        empty query is answered there too)."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            with connection.lock:  # psycopg's own, held around each of its commands
                connection.pgconn.send_query(b"")
                results = connection.wait(generators.execute(connection.pgconn))
        except base.Database.Error:
            return False
        statuses = [result.status for result in results]
        return (
            statuses == [pq.ExecStatus.EMPTY_QUERY]
            and connection.pgconn.transaction_status != pq.TransactionStatus.INERROR
        )
