"""A Celery worker is killed (SIGKILL) while it holds a code mail: after a restart the mail
is delivered exactly once, and the code in it signs the user in.

The SMTP server holds the first message in its DATA phase, so the worker is caught in the
middle of sending; that message is then refused (the killed client never heard "250"), as a
real server does with a message whose sender vanished. The task was taken with acks_late, so
Redis keeps it as unacked and gives it back after the visibility timeout (3 s here, see
worker_settings.py) to the next worker.
"""

import asyncio
import os
import re
import signal
import threading
import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from mfa.models import CodeChallenge
from tests.conftest import PASSWORD, led_to, sign_in
from tests.reliability.conftest import free_port

WORKER_SETTINGS = "tests.reliability.worker_settings"


class HoldingInbox:
    """aiosmtpd handler: holds the first message until released, then refuses it."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.holding = threading.Event()
        self.release = threading.Event()
        self.held_once = False

    async def handle_DATA(self, server, session, envelope):
        if not self.held_once:
            self.held_once = True
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 sender went away, message not accepted"
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def holding_smtp():
    from aiosmtpd.controller import Controller

    inbox = HoldingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    inbox.release.set()
    controller.stop()


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.redis
def test_code_mail_of_a_killed_worker_is_delivered_exactly_once(
    make_user, email_factor, holding_smtp, celery_worker_process
):
    inbox, port = holding_smtp
    worker_env = {
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "DJANGO_SETTINGS_MODULE": WORKER_SETTINGS,
    }
    worker = celery_worker_process(worker_env)
    client = Client()
    # E-mail is the only factor: the code is queued with the password (seeds/001).
    assert led_to(sign_in(client, "ani", PASSWORD)) == "/security/challenge/email/"

    assert inbox.holding.wait(timeout=30), "the worker never started sending the code"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    inbox.release.set()
    assert inbox.messages == []
    assert CodeChallenge.objects.get().delivery == CodeChallenge.Delivery.QUEUED

    killed_at = time.monotonic()
    celery_worker_process(worker_env)
    assert wait_until(lambda: len(inbox.messages) >= 1, timeout=30), "the code never came"
    redelivered_after = time.monotonic() - killed_at
    # Two more visibility timeouts and sweeps: nothing else may arrive.
    time.sleep(7)
    assert len(inbox.messages) == 1, inbox.messages
    print(f"code mail delivered {redelivered_after:.1f} s after the worker was killed")

    code = re.search(r"^\s+(\d{6})\s*$", inbox.messages[0], re.MULTILINE).group(1)
    response = client.post("/security/challenge/email/", {"code": code})
    assert led_to(response) == "/security/challenge/confirm/"
    client.post("/security/challenge/confirm/", {"remember": "on"})
    assert client.session[SESSION_KEY] == str(email_factor.user.pk)
    assert CodeChallenge.objects.get().delivery == CodeChallenge.Delivery.SENT
