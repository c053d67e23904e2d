"""Fixtures of the reliability tests: services of the tests' own, stopped and started at will.

They never touch the shared Redis or PostgreSQL: each test starts its own redis-server on a
free port, and the PostgreSQL test works in a database of its own that it drops afterwards.
Without redis-server (or a PostgreSQL server) a test is skipped with the reason, and fails
under CI=true.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def missing_service(reason: str) -> None:
    """Skips the test with ``reason``; under CI=true a missing service is a failure."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


class RedisProcess:
    """A redis-server of this test's own: no persistence, on a port that stays the same
    across ``stop`` and ``start`` so clients can reconnect to it."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def freeze(self) -> None:
        """Out of reach but not gone (a network partition, a stalled host): the process stops
        answering (SIGSTOP) and keeps its data; clients time out."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)  # a frozen process is killed all the same
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture
def private_redis() -> Iterator[RedisProcess]:
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server is not installed (apt-get install redis-server)")
    server = RedisProcess(binary)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_server(private_redis: RedisProcess) -> str:
    """Overrides tests/conftest.py's: the Celery worker fixture uses this test's own Redis."""
    return private_redis.url


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_admin_url() -> str:
    """The PostgreSQL server of DATABASE_URL when it names one, else the local default."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture
def own_postgres_database() -> Iterator[tuple[str, str]]:
    """A database of this test's own on the PostgreSQL server; yields (url, name)."""
    psycopg = pytest.importorskip("psycopg")
    admin_url = postgres_admin_url()
    name = f"sso_reliability_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        missing_service(f"no PostgreSQL server answers at {admin_url.rsplit('@', 1)[-1]}: {exc}")
    yield admin_url.rsplit("/", 1)[0] + f"/{name}", name
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def terminate_backends(database: str) -> int:
    """pg_terminate_backend for every connection to ``database`` (ours only); returns how many."""
    import psycopg

    with psycopg.connect(postgres_admin_url(), autocommit=True, connect_timeout=3) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return len(rows)


@pytest.fixture
def gunicorn_portal(tmp_path):
    """Starts the portal under gunicorn with the given environment; yields a starter."""
    started: list[subprocess.Popen] = []

    def start(env: dict[str, str], workers: int = 1) -> str:
        port = free_port()
        log = tmp_path / f"gunicorn-{len(started)}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "sso.wsgi", "--bind", f"127.0.0.1:{port}",
             "--workers", str(workers), "--log-level", "warning"],
            cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        proc.log_path = log  # type: ignore[attr-defined]
        started.append(proc)
        try:
            wait_for_port(port, 30)
        except TimeoutError:
            pytest.fail(f"gunicorn did not start: {log.read_text()[-2000:]}")
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
