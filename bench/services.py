"""The processes a benchmark runs on this machine, each on 127.0.0.1 and a port of its own.

A private redis-server, a PostgreSQL database of the bench's own (on the shared server, never
its other databases), the portal under gunicorn with production settings, a Celery worker and
an SMTP server (aiosmtpd) that notes when it accepted each message. Every process started here
is stopped by ``Services.close`` (also on Ctrl-C), by its own pid.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# method, path, status, microseconds from reading the request to sending the response, and
# the SQL statements of the request and the CPU microseconds of its Argon2 verifies, when
# served through bench/sqlcount.py ("-" otherwise)
ACCESS_LOG_FORMAT = "%(m)s %(U)s %(s)s %(D)s %({bench.sql}e)s %({bench.hash_us}e)s"


@dataclass(frozen=True)
class ServedRequest:
    method: str
    path: str
    status: int
    seconds: float
    sql: int | None = None
    hash_cpu_s: float | None = None  # the request's Argon2 verifies, CPU seconds


def read_access_log(path: Path, offset: int) -> tuple[list[ServedRequest], int]:
    """The requests gunicorn logged in ``path`` after byte ``offset``, and the new offset.

    The times are gunicorn's own (from reading the request to the response's last byte),
    so they leave out the client and the loopback.
    """
    with path.open("rb") as log:
        log.seek(offset)
        lines = log.read().decode().splitlines()
        end = log.tell()
    served = []
    for line in lines:
        method, path_info, status, micros, *counted = line.split()
        statements, hash_us = (
            int(field) if field.isdigit() else None for field in [*counted, "-", "-"][:2]
        )
        hash_cpu = None if hash_us is None else hash_us / 1e6
        served.append(
            ServedRequest(method, path_info, int(status), int(micros) / 1e6, statements, hash_cpu)
        )
    return served, end


def start_gunicorn(
    python: str, app: str, port: int, workers: int, cwd: Path, env: dict[str, str], logs: Path
) -> subprocess.Popen:
    """``workers`` sync gunicorn workers serving ``app`` on 127.0.0.1:``port``.

    Its access log is ``logs/access-<port>.log`` (ACCESS_LOG_FORMAT), its output
    ``logs/web-<port>.log``; returns once the port answers.
    """
    access_log = logs / f"access-{port}.log"
    access_log.touch()
    proc = subprocess.Popen(
        [python, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--timeout", "60",
         "--log-level", "warning", "--access-logfile", str(access_log),
         "--access-logformat", ACCESS_LOG_FORMAT],
        cwd=cwd, env=env, stdout=(logs / f"web-{port}.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_port(port, 30, proc)
    except (RuntimeError, TimeoutError) as exc:
        stop_process(proc)
        raise RuntimeError(f"{exc}: {(logs / f'web-{port}.log').read_text()[-2000:]}") from exc
    return proc


PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args[0]} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL: only this process (and its own process group when it has one)."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


# --- Redis -----------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """redis-server on a free port, no persistence, stopped and started again at will."""

    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, 10, self.proc)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None


# --- PostgreSQL ------------------------------------------------------------------------------


def database_url(name: str) -> str:
    """The DATABASE_URL of database ``name`` on the bench's PostgreSQL server."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def create_database(name: str) -> str:
    """Drops and creates ``name`` on the shared server; returns its DATABASE_URL."""
    import psycopg

    if not name.replace("_", "").isalnum():
        raise ValueError(f"bad database name {name!r}")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- SMTP ------------------------------------------------------------------------------------


class SmtpClock:
    """aiosmtpd handler noting, per recipient, when each message was accepted."""

    def __init__(self) -> None:
        self.accepted: dict[str, list[float]] = {}
        self.bodies: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        body = envelope.content.decode("utf-8", "replace")
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.accepted.setdefault(rcpt.lower(), []).append(now)
                self.bodies.setdefault(rcpt.lower(), []).append(body)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return sum(len(v) for v in self.accepted.values())


# --- The portal ------------------------------------------------------------------------------


@dataclass
class Services:
    """Everything one bench run needs; ``close`` stops it all."""

    database: str = "sso_bench"
    web_workers: int = 2
    celery_concurrency: int = 2
    redis: RedisServer = field(default_factory=RedisServer)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sso-bench-")))
    web_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    database_url: str = ""
    web: subprocess.Popen | None = None
    extra_webs: list[subprocess.Popen] = field(default_factory=list)
    worker: subprocess.Popen | None = None
    smtp: SmtpClock = field(default_factory=SmtpClock)
    _smtp_controller: object = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def production_env(self) -> dict[str, str]:
        """Production settings, as docker-compose would give them, on plain-http loopback."""
        return {
            "DJANGO_SETTINGS_MODULE": "sso.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            # Plain http on 127.0.0.1: no TLS here, so no Secure cookies or HTTPS redirect.
            "SECURE_HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "STATIC_ROOT": str(self.workdir / "static"),
            "OIDC_RSA_PRIVATE_KEY_FILE": str(self.workdir / "oidc.pem"),
            "LOG_LEVEL": "WARNING",
        }

    def prepare(self) -> dict[str, str]:
        """Redis, the database (migrated), static files and the signing key; no web yet."""
        self.redis.start()
        self.database_url = create_database(self.database)
        env = {**os.environ, **self.production_env()}
        env.pop("CI", None)
        self.env = env
        from sso.oidc.keys import write_key_file

        write_key_file(self.workdir / "oidc.pem")
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run(
                [PYTHON, "manage.py", *command, "-v", "0"], cwd=REPO, env=env, check=True
            )
        return env

    def start_smtp(self) -> None:
        from aiosmtpd.controller import Controller

        controller = Controller(self.smtp, hostname="127.0.0.1", port=self.smtp_port)
        controller.start()
        self._smtp_controller = controller

    def start_web(self, extra_env: dict[str, str] | None = None, app: str = "sso.wsgi") -> str:
        """gunicorn with the bench's settings (plus ``extra_env``); returns its base URL.

        The first one is ``self.web``; more (with other settings) are stopped by ``close``.
        """
        port = self.web_port if self.web is None else free_port()
        proc = start_gunicorn(
            PYTHON, app, port, self.web_workers, REPO, {**self.env, **(extra_env or {})},
            self.workdir,
        )  # fmt: skip
        if self.web is None:
            self.web = proc
        else:
            self.extra_webs.append(proc)
        return f"http://127.0.0.1:{port}"

    def access_log(self, port: int | None = None) -> Path:
        """gunicorn's access log of the web on ``port`` (default: the first one)."""
        return self.workdir / f"access-{port or self.web_port}.log"

    def served_since(self, offset: int) -> tuple[list[ServedRequest], int]:
        """The requests the first web logged after byte ``offset``, and the new offset."""
        return read_access_log(self.access_log(), offset)

    def start_worker(self) -> None:
        log = self.workdir / "worker.log"
        self.worker = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "sso", "worker", "--pool=prefork",
             f"--concurrency={self.celery_concurrency}", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "info"],
            cwd=REPO, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while "ready." not in log.read_text():
            if self.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)

    def web_worker_pids(self) -> list[int]:
        return children_of(self.web.pid) if self.web else []

    def close(self) -> None:
        for proc in (self.web, *self.extra_webs, self.worker):
            if proc is not None:
                stop_process(proc, timeout=15)
        if self._smtp_controller is not None:
            with contextlib.suppress(Exception):
                self._smtp_controller.stop()
        self.redis.stop()
        with contextlib.suppress(Exception):
            drop_database(self.database)
        shutil.rmtree(self.workdir, ignore_errors=True)


# --- Memory ----------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(master_pid: int, database: str) -> list[int]:
    """A gunicorn master, its workers and the PostgreSQL backends serving ``database``."""
    return [master_pid, *children_of(master_pid), *postgres_backend_pids(database)]


def cpu_spent(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds ``pids`` (and the processes of ``before``) used since ``before`` was taken
    (``{pid: cpu_seconds(pid)}``); a process that appeared since counts from zero, one that
    ended since counts nothing (its last ticks are lost)."""
    return sum(max(0.0, cpu_seconds(pid) - before.get(pid, 0.0)) for pid in set(before) | set(pids))


def postgres_backend_pids(database: str) -> list[int]:
    """The server processes serving ``database`` (PostgreSQL runs on this machine)."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return [row[0] for row in rows]


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak resident set) of a process, in KiB, from /proc."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values
