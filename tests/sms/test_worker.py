"""SMS delivery with real parts: a Celery worker process on Redis, a provider on localhost,
Gammu's outbox. Codes are read from what the gateway received, never from the database."""

import os
import signal
import time

import pytest
from django.contrib.auth import SESSION_KEY

from mfa import binding
from mfa.models import CodeChallenge
from mfa.sms.models import SmsDelivery, SmsDevice
from tests.conftest import led_to, sign_in
from tests.sms.conftest import NUMBER, Answer, code_in, wait_until

pytestmark = pytest.mark.redis


@pytest.fixture
def no_resend_wait():
    """No cooldown before a resend. Set directly: the Celery fixture cannot work under an
    override_settings layer (see tests/sms/conftest.py)."""
    from django.conf import settings

    before = settings.MFA_CODE_RESEND_SECONDS
    settings.MFA_CODE_RESEND_SECONDS = 0
    yield
    settings.MFA_CODE_RESEND_SECONDS = before


def to_sms_code_page(client, password: str) -> None:
    """SMS is the only factor: the code goes out with the password (seeds/001)."""
    assert led_to(sign_in(client, "ani", password)) == "/security/challenge/sms/"


def validate(client, code: str):
    return client.post("/security/challenge/sms/", {"code": code})


def record_when(status: str, timeout: float = 30.0) -> SmsDelivery:
    found = wait_until(lambda: SmsDelivery.objects.filter(status=status).first(), timeout)
    assert found, list(SmsDelivery.objects.values("status", "attempts", "provider_answer"))
    return found


def test_sign_in_with_the_code_the_provider_received(
    client, user, password, sms_factor, sms_provider, celery_worker_process
):
    celery_worker_process(sms_provider.worker_env())
    to_sms_code_page(client, password)
    page = client.get("/security/challenge/sms/")
    assert "+62 812 •••• 89" in page.text
    [request] = sms_provider.wait_for(1)
    assert request.fields["to"] == NUMBER
    assert request.headers["Authorization"] == "Bearer test-key"
    record = record_when(SmsDelivery.Status.SENT)
    assert request.fields["ref"] == record.reference
    code = code_in(request.fields["text"])
    assert "sign-in code" in request.fields["text"]
    assert led_to(validate(client, code)) == "/security/challenge/confirm/"
    client.post("/security/challenge/confirm/", {"remember": "on"})
    assert client.session[SESSION_KEY] == str(user.pk)
    assert record.attempts == 1 and record.provider_status == 200
    assert "msg-1" in record.provider_answer and code not in record.provider_answer
    assert record.to_masked == "+62 812 •••• 89"


def test_a_5xx_is_retried_and_the_retry_delivers(
    client, user, password, sms_factor, sms_provider, celery_worker_process
):
    sms_provider.script = [Answer(500, '{"error": "upstream down"}'), Answer()]
    celery_worker_process(sms_provider.worker_env())
    to_sms_code_page(client, password)
    first, second = sms_provider.wait_for(2)
    assert first.fields["to"] == second.fields["to"] == NUMBER
    record = record_when(SmsDelivery.Status.SENT)
    assert record.attempts == 2
    # The retry made a new code: only the message that arrived holds a working one.
    assert (
        led_to(validate(client, code_in(second.fields["text"]))) == "/security/challenge/confirm/"
    )


def test_a_timeout_is_retried_and_the_old_code_dies(
    client, user, password, sms_factor, sms_provider, celery_worker_process
):
    sms_provider.script = [Answer(delay=3), Answer()]
    celery_worker_process(sms_provider.worker_env(SMS_HTTP_READ_TIMEOUT="0.5"))
    to_sms_code_page(client, password)
    first, second = sms_provider.wait_for(2)
    record = record_when(SmsDelivery.Status.SENT)
    assert record.attempts == 2
    late_code, code = code_in(first.fields["text"]), code_in(second.fields["text"])
    if late_code != code:
        assert "not right" in validate(client, late_code).text
    assert led_to(validate(client, code)) == "/security/challenge/confirm/"


def test_a_4xx_fails_without_retry_keeps_the_providers_answer_and_tells_the_user(
    client, user, password, sms_factor, sms_provider, celery_worker_process, no_resend_wait
):
    sms_provider.script = [Answer(400, '{"status": "error", "error": "invalid destination"}')]
    celery_worker_process(sms_provider.worker_env())
    to_sms_code_page(client, password)
    record = record_when(SmsDelivery.Status.FAILED)
    assert record.provider_status == 400
    assert "invalid destination" in record.provider_answer
    assert record.attempts == 1
    assert len(sms_provider.received) == 1
    challenge = CodeChallenge.objects.get(channel=CodeChallenge.Channel.SMS)
    assert challenge.delivery == CodeChallenge.Delivery.FAILED
    page = client.get("/security/challenge/sms/")
    assert "We could not send the code" in page.text
    # The user can ask again; this time the provider takes it.
    client.post("/security/challenge/sms/resend/")
    _, again = sms_provider.wait_for(2)
    assert led_to(validate(client, code_in(again.fields["text"]))) == "/security/challenge/confirm/"


def test_gammu_enrolment_code_lands_in_the_smsd_outbox(
    client, user, password, gammu_outbox, celery_worker_process
):
    celery_worker_process(
        {
            "SMS_GATEWAY": "mfa.sms.gateways.gammu.GammuGateway",
            "SMS_GAMMU_SMSDRC": str(gammu_outbox.smsdrc),
        }
    )
    sign_in(client, "ani", password)
    # The account e-mail proof before a first factor (mfa.binding; tests/mfa/test_binding.py)
    # would be mailed by the worker process too: this test is about the SMS outbox, so the
    # session carries a proof made now.
    session = client.session
    session[binding.PROVED_AT_SESSION_KEY] = int(time.time())
    session.save()
    assert client.post("/security/sms/", {"number": "0812 3456 7889"}).status_code == 302
    [(number, text)] = wait_until(gammu_outbox.messages)
    assert number == NUMBER
    record = record_when(SmsDelivery.Status.SENT)
    assert "Written message" in record.provider_answer
    client.post("/security/sms/verify/", {"code": code_in(text)})
    assert SmsDevice.objects.get(user=user).number == NUMBER


def test_a_worker_killed_mid_send_never_sends_the_message_twice(
    client, user, password, sms_factor, sms_provider, celery_worker_process
):
    """acks_late leaves the task in Redis when its worker dies; the next worker gets it again.
    The gateway already had the message, so it is not sent a second time, and its code works."""
    sms_provider.script = [Answer(delay=60)]  # the provider sits on the first message
    env = sms_provider.worker_env(
        SMS_HTTP_READ_TIMEOUT="120", DJANGO_SETTINGS_MODULE="tests.sms.worker_settings"
    )
    first_worker = celery_worker_process(env)
    to_sms_code_page(client, password)
    [request] = sms_provider.wait_for(1)
    assert SmsDelivery.objects.get().status == SmsDelivery.Status.SENDING
    os.kill(first_worker.pid, signal.SIGKILL)
    first_worker.wait(timeout=10)

    second_worker = celery_worker_process(env)
    record = record_when(SmsDelivery.Status.UNCONFIRMED)
    assert "send_sms_code[" in second_worker.log_path.read_text()  # the task came back
    assert record.attempts == 1
    assert len(sms_provider.received) == 1
    assert (
        led_to(validate(client, code_in(request.fields["text"]))) == "/security/challenge/confirm/"
    )
