"""Django's PostgreSQL backend, checking a kept connection without a round trip when it can.

With ``CONN_HEALTH_CHECKS`` Django checks a kept connection before a request's first query by
sending ``SELECT 1`` (``django.db.backends.postgresql.base.DatabaseWrapper.is_usable``): a round
trip and a statement for PostgreSQL at every request that reads the database, about 0.1 ms of
CPU on each side, a few percent of a sign-in's.

A server that ends a connection says so. A restart, a failover, ``pg_terminate_backend`` or an
idle-session timeout sends an ErrorResponse (severity FATAL) and closes the socket; a backend
that dies is closed by the kernel. Either leaves something to read on the idle connection's
socket (PostgreSQL protocol, "Termination"). So a connection that is open, idle outside a
transaction and has nothing to read is usable as it is; any other connection gets Django's
``SELECT 1``, which reads what arrived and fails on a closed connection. A server that went
away in silence (its host down, the network cut) fails either check alike: the first query
waits for TCP's timeout.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        """Whether the kept connection can serve the request: ``True`` without a round trip
        for an idle, open connection with nothing to read, else Django's ``SELECT 1``."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status == pq.TransactionStatus.IDLE and not _has_input(
            connection.fileno()
        ):
            return True
        return super().is_usable()


def _has_input(fd: int) -> bool:
    """Whether the socket ``fd`` has data, an end of stream or an error to report, now."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))
