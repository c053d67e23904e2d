"""Shared fixtures: users, a clean cache, and real services (Redis) when reachable."""

import html
import os
import re
from collections.abc import Iterator

import pyotp
import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from tests.redis_databases import run_redis_url

PASSWORD = "correct horse battery staple"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _no_language_left_active() -> Iterator[None]:
    """A request in Bahasa Indonesia leaves the language active in the thread (Django's handler
    does not reset it): the next test, calling a function without a request, starts in English."""
    yield
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_cache(request) -> Iterator[None]:
    """Rate-limit counters must not leak from one test into the next.

    Redis is emptied around every test. The database cache rolls back with a test's
    transaction, except in transactional tests (live server, real workers): their flush does
    not cover the cache table, so it is emptied after them.
    """
    from sso.oidc.csp import forget_relying_app_origins

    in_redis = "redis" in settings.CACHES["default"]["BACKEND"].lower()
    if in_redis:
        cache.clear()
    forget_relying_app_origins()  # and the worker's own copy of the CSP's app origins
    yield
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        transactional = {"transactional_db"}
    if in_redis:
        cache.clear()
    elif transactional:
        with request.getfixturevalue("django_db_blocker").unblock():
            cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_user(db):
    def make(username: str = "ani", password: str = PASSWORD, **fields) -> User:
        fields.setdefault("email", f"{username}@example.com")
        fields.setdefault("full_name", username.title())
        user = User(username=username, **fields)
        user.set_password(password)
        user.save()
        return user

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user()


@pytest.fixture
def phone(user):
    """The user's authenticator app: pyotp holding the key of a confirmed TOTP device."""
    from base64 import b32encode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return pyotp.TOTP(b32encode(device.bin_key).decode())


@pytest.fixture
def email_factor(user):
    from mfa.models import EmailDevice

    return EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")


@pytest.fixture
def redis_server() -> str:
    """The run's Redis URL (tests/redis_databases.py), once it answers; skipped (with its
    reason) without one, except under CI=true."""
    url = run_redis_url()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis at {url} is not reachable ({exc}); set REDIS_URL or start redis")
    return url


def post_username(client, username: str, next_url: str = ""):
    data = {"username": username}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def sign_in(client, username: str, password: str, next_url: str = ""):
    """Walks the username-first pages as a person does (Next is answered with the method page,
    which holds the password form); returns the password step's response."""
    assert led_to(post_username(client, username, next_url)) == "/accounts/login/method/"
    return client.post("/accounts/login/password/", {"password": password})


_SHOWN_AT = re.compile(r'<body data-address="([^"]*)"')


def led_to(response) -> str:
    """Where a step's answer leads: the ``Location`` of a redirect, or the address of the next
    step's page when the answer is that page, shown in place (sso/in_place.py); '' when the
    answer is the same page again (a refusal, an error)."""
    if response.status_code in (301, 302, 303):
        return response.headers["Location"]
    found = _SHOWN_AT.search(response.text)
    return html.unescape(found.group(1)) if found else ""


PROOF_PAGE = "/security/confirm-account/"


def prove_account_email(client, next_url: str = "/security/"):
    """Before a first factor is bound after a password-only sign-in (mfa.binding, NIST SP
    800-63B §6.1.2.1): Send code on the proof page, read the mail sent to the account's
    address, type the code back. Returns the proof page's redirect (to ``next_url``)."""
    import re
    from urllib.parse import urlencode

    from django.core import mail
    from django.test import TestCase

    page = f"{PROOF_PAGE}?{urlencode({'next': next_url})}"
    with TestCase.captureOnCommitCallbacks(execute=True):
        sent = client.post(page, {"action": "send"})
    assert sent.status_code == 302, "the proof page should send a code"
    code = re.search(r"^\s+(\d{6})\s*$", mail.outbox[-1].body, re.MULTILINE).group(1)
    proved = client.post(page, {"action": "verify", "code": code})
    assert proved.status_code == 302, "the account e-mail code should be accepted"
    return proved


# --- Real services: an SMTP server and a Celery worker process ------------------------------


class SmtpInbox:
    """A real SMTP server (aiosmtpd) on localhost that keeps what it receives."""

    def __init__(self) -> None:
        import threading

        self.messages: list = []
        self.raw: list[bytes] = []  # as received, for what parsing would hide
        self.received = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.received:
            self.messages.append(message)
            self.raw.append(envelope.content)
            self.received.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 20.0) -> list:
        with self.received:
            self.received.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
        return list(self.messages)


@pytest.fixture
def smtp_server():
    """Starts aiosmtpd on a free port; yields (inbox, port)."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _database_url_of_test_db() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _reset_broker_connections(app) -> None:
    """Drops pooled broker connections so the next send uses the current broker_url (the
    same reset Celery does after a fork)."""
    app._after_fork()


@pytest.fixture
def celery_worker_process(redis_server, transactional_db, tmp_path):
    """A real Celery worker in its own process, on real Redis, reading the test database.

    Tasks go to a queue of this test's own, so parallel runs never take each other's tasks.
    Yields a function that starts the worker with extra environment (e.g. EMAIL_URL) and
    returns the Popen; every worker is stopped at the end.
    """
    import secrets
    import subprocess
    import sys
    import time

    from sso.celery import app

    queue = f"test-{secrets.token_hex(4)}"
    broker = redis_server
    previous = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=broker, task_always_eager=False, task_default_queue=queue)
    _reset_broker_connections(app)
    started: list[subprocess.Popen] = []

    def start(extra_env: dict | None = None) -> subprocess.Popen:
        log_path = tmp_path / f"worker-{len(started)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": _database_url_of_test_db(),
            "REDIS_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            **(extra_env or {}),
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sso", "worker", "--pool=solo",
             "--concurrency=1", "-Q", queue, "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-l", "info"],
            env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker.log_path = log_path  # type: ignore[attr-defined]
        started.append(worker)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "ready." not in log_path.read_text():
            if worker.poll() is not None:
                pytest.fail(f"Celery worker exited: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
    app.conf.update(
        broker_url=previous["broker_url"],
        task_always_eager=previous["task_always_eager"],
        task_default_queue=previous["task_default_queue"],
    )
    _reset_broker_connections(app)


# --- Debian's Chromium, one Playwright for the whole run ------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--font-render-hinting=none",  # the same glyphs in every screenshot
]


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium driven by Playwright's sync API, shared by every browser test: the
    sync API allows one Playwright per thread, so the e2e and passkey suites share it."""
    import shutil

    if not shutil.which(CHROMIUM):
        if IN_CI:
            pytest.fail(f"CI=true but {CHROMIUM} is not installed (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls from the
    # test (creating users) are safe here: the live server runs in its own thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api = pytest.importorskip("playwright.sync_api")
    playwright = sync_api.sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()
