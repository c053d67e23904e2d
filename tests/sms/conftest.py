"""Fixtures for SMS: the method in the picker, an SMS provider on localhost, Gammu's outbox."""

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mfa.flows import all_methods
from mfa.sms.models import SmsDevice
from tests.redis_databases import sms_redis_url

SMS_METHOD = "mfa.sms.challenge.SmsCodeMethod"
NUMBER = "+6281234567889"
CODE_IN_TEXT = re.compile(r"\b(\d{6})\b")


@pytest.fixture(autouse=True)
def sms_method() -> Iterator[None]:
    """SMS in the challenge's picker (sso/settings.py will list it; until then, here).

    Set on the settings object itself, not through pytest-django's ``settings`` fixture: the
    Celery worker fixture copies the Celery configuration, which cannot be read while an
    override_settings layer is active, and autouse fixtures are set up first.
    """
    from django.conf import settings

    before = settings.MFA_CHALLENGE_METHODS
    if SMS_METHOD not in before:
        settings.MFA_CHALLENGE_METHODS = [*before, SMS_METHOD]
    all_methods.cache_clear()
    yield
    settings.MFA_CHALLENGE_METHODS = before
    all_methods.cache_clear()


@pytest.fixture(autouse=True)
def _clear_send_counters(db) -> Iterator[None]:
    """The pumping counters live in the cache; the database cache is not emptied between
    transactional tests (a real worker needs those), so clear it here whatever the backend."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def redis_server(redis_server: str) -> str:
    """The broker of these tests' Celery workers: a database of their own on the run's Redis
    (TEST_SMS_REDIS_DB, tests/redis_databases.py), since their worker restores every
    unacknowledged task of its database within seconds."""
    return sms_redis_url(redis_server)


@pytest.fixture
def sms_factor(user) -> SmsDevice:
    return SmsDevice.objects.create(user=user, name="SMS", number=NUMBER)


def code_in(text: str) -> str:
    match = CODE_IN_TEXT.search(text)
    assert match, text
    return match.group(1)


def wait_until(condition, timeout: float = 30.0, every: float = 0.2):  # type: ignore[no-untyped-def]
    """Polls ``condition`` (a real worker is on the other side) until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    return condition()


# --- An SMS provider on localhost ----------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    body: str = '{"status": "ok", "id": "msg-1"}'
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def fields(self) -> dict:
        if self.headers.get("Content-Type", "").startswith("application/json"):
            return json.loads(self.body)
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode()))


@dataclass
class SmsProvider:
    """A real HTTP server playing an SMS provider: answers from a script, keeps what it got."""

    url: str = ""
    script: list[Answer] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    stop: threading.Event = field(default_factory=threading.Event)

    def next_answer(self) -> Answer:
        return self.script.pop(0) if self.script else Answer()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
        return list(self.received)

    def worker_env(self, **extra: str) -> dict[str, str]:
        """The environment of a worker that sends through this provider."""
        return {
            "SMS_GATEWAY": "mfa.sms.gateways.http.HttpGateway",
            "SMS_HTTP_URL": self.url,
            "SMS_HTTP_HEADERS": json.dumps({"Authorization": "Bearer test-key"}),
            "SMS_HTTP_BODY": json.dumps({"to": "{to}", "text": "{message}", "ref": "{reference}"}),
            "SMS_HTTP_SUCCESS_FIELD": "status",
            "SMS_HTTP_SUCCESS_VALUE": "ok",
            "SMS_HTTP_READ_TIMEOUT": "1",
            "SMS_RETRY_BASE_SECONDS": "0",
            **extra,
        }


@pytest.fixture
def sms_provider() -> Iterator[SmsProvider]:
    provider = SmsProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            answer = provider.next_answer()
            with provider.arrived:
                provider.received.append(Received(self.path, dict(self.headers), body))
                provider.arrived.notify_all()
            if answer.delay:
                provider.stop.wait(answer.delay)
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.body.encode())
            except OSError:  # the client (a timed-out or killed worker) is gone
                pass

        do_GET = do_POST

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    provider.url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    provider.stop.set()
    server.shutdown()
    server.server_close()


# --- Gammu SMSD's outbox ---------------------------------------------------------------------


@dataclass
class GammuOutbox:
    smsdrc: Path
    outbox: Path

    def messages(self) -> list[tuple[str, str]]:
        """(number, text) of each message gammu-smsd would send, read from its files."""
        found = []
        for path in sorted(self.outbox.glob("OUT*")):
            content = path.read_text(encoding="utf-8", errors="replace")
            number = re.search(r'^Number = "(.*)"', content, re.MULTILINE).group(1)
            hex_text = "".join(re.findall(r"^Text\d+ = ([0-9A-F]+)", content, re.MULTILINE))
            found.append((number, bytes.fromhex(hex_text).decode("utf-16-be")))
        return found


@pytest.fixture
def gammu_outbox(tmp_path: Path) -> GammuOutbox:
    """A files-backend smsdrc in a temporary folder, as gammu-smsd reads it."""
    import shutil

    if shutil.which("gammu-smsd-inject") is None:
        pytest.skip("gammu-smsd-inject is not installed (apt-get install gammu-smsd)")
    root = tmp_path / "gammu"
    folders = {name: root / name for name in ("inbox", "outbox", "sent", "error")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    smsdrc = root / "smsdrc"
    smsdrc.write_text(
        "[gammu]\ndevice = /dev/null\nconnection = at\n\n[smsd]\nservice = files\n"
        f"inboxpath = {folders['inbox']}/\noutboxpath = {folders['outbox']}/\n"
        f"sentsmspath = {folders['sent']}/\nerrorsmspath = {folders['error']}/\n"
        f"logfile = {root / 'smsd.log'}\n"
    )
    return GammuOutbox(smsdrc, folders["outbox"])
