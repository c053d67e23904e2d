"""Django's PostgreSQL backend, checking a kept connection without a query.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` before the first query of every request
on a kept connection: a round trip and a statement for PostgreSQL to parse and run, paid by
almost every request of a sign-in. Here the connection's socket is looked at first (one
``poll`` with no wait). Between two requests an idle connection has nothing to read: the
server sends nothing unasked (the portal does not ``LISTEN``). When PostgreSQL ends the
connection (a restart, a failover, ``pg_terminate_backend``) it sends its FATAL message and
closes the socket, which then has something to read. Only then, or when the socket cannot be
polled, does Django's own check run (``SELECT 1``): it reads what arrived and closes a dead
connection, and the request's query opens a new one (tests/reliability/test_database_dropped.py).
A connection that saw an error keeps Django's full check (``close_if_unusable_or_obsolete``).
"""

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgresDatabaseWrapper
from psycopg.pq import TransactionStatus

# Anything to read, the peer gone, or an error on the socket.
_ANY_EVENT = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP | select.POLLNVAL


def socket_is_quiet(fileno: int) -> bool:
    """True when nothing has arrived on ``fileno`` and it has neither failed nor been closed
    by the peer (``poll`` with a timeout of 0: no wait)."""
    poller = select.poll()
    poller.register(fileno, _ANY_EVENT)
    return not poller.poll(0)


class DatabaseWrapper(PostgresDatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        """Django's health check, skipped while the kept connection's socket is quiet."""
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and self._is_quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _is_quiet(self) -> bool:
        """Whether the connection is open, idle and its socket has nothing to read."""
        connection = self.connection
        try:
            idle = connection.info.transaction_status == TransactionStatus.IDLE
            return idle and socket_is_quiet(connection.fileno())
        except Exception:  # any doubt: Django's own check decides
            return False
