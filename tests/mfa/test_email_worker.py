"""E-mail codes end to end with real parts: a Celery worker process on Redis, an SMTP server."""

import re

import pytest
from django.contrib.auth import SESSION_KEY

from mfa.models import EmailDevice
from tests.conftest import led_to, sign_in


@pytest.mark.redis
def test_code_reaches_a_real_smtp_server_and_signs_in(
    client, make_user, password, smtp_server, celery_worker_process
):
    inbox, port = smtp_server
    user = make_user("ani")
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    celery_worker_process({"EMAIL_URL": f"smtp://127.0.0.1:{port}"})
    # The only factor sends a code: it goes out with the password (seeds/001).
    assert led_to(sign_in(client, "ani", password)) == "/security/challenge/email/"
    [message] = inbox.wait_for(1)
    assert message["To"] == "ani.codes@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"^\s+(\d{6})\s*$", text, re.MULTILINE).group(1)
    answered = client.post("/security/challenge/email/", {"code": code})
    assert led_to(answered) == "/security/challenge/confirm/"
    client.post("/security/challenge/confirm/", {"remember": "on"})
    assert client.session[SESSION_KEY] == str(user.pk)


@pytest.mark.redis
def test_smtp_down_is_reported_on_the_page_and_resend_works(
    client, make_user, password, smtp_server, celery_worker_process, settings
):
    """The worker retries with backoff; when the last try fails the page says so."""
    import socket
    import time

    settings.MFA_CODE_RESEND_SECONDS = 0
    inbox, port = smtp_server
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    user = make_user("ani")
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    worker = celery_worker_process(
        {"EMAIL_URL": f"smtp://127.0.0.1:{dead_port}", "MFA_EMAIL_RETRY_BASE_SECONDS": "0"}
    )
    assert led_to(sign_in(client, "ani", password)) == "/security/challenge/email/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        page = client.get("/security/challenge/email/")
        if "We could not send the code" in page.text:
            break
        time.sleep(0.5)
    assert "We could not send the code" in page.text
    worker.terminate()
    worker.wait(timeout=10)
    celery_worker_process({"EMAIL_URL": f"smtp://127.0.0.1:{port}"})
    client.post("/security/challenge/email/resend/")
    [message] = inbox.wait_for(1)
    assert message["To"] == "ani.codes@example.com"
