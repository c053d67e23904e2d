"""The states of one send's delivery record, run in-process (the worker tests run them for
real): whatever number of times the task runs, the gateway gets the message at most once."""

import json

import pytest

from mfa import codes
from mfa.models import CodeChallenge
from mfa.sms import delivery
from mfa.sms.models import SmsDelivery
from mfa.sms.tasks import retry_delay
from tests.sms.conftest import NUMBER


@pytest.fixture
def folder(settings, tmp_path):
    settings.SMS_GATEWAY = "mfa.sms.gateways.console.FileGateway"
    settings.SMS_FILE_DIR = str(tmp_path)
    return tmp_path


@pytest.fixture
def send(user, django_capture_on_commit_callbacks):
    """A queued send (challenge, generation); its task is not run."""
    with django_capture_on_commit_callbacks(execute=False):
        codes.request_code(user, "sms", NUMBER, "attempt-1", CodeChallenge.Purpose.SIGNIN)
    challenge = CodeChallenge.objects.get()
    return challenge.pk, challenge.generation


def messages(folder) -> list[dict]:
    return [json.loads(path.read_text()) for path in folder.glob("*.json")]


def test_a_task_run_twice_sends_once(folder, send):
    assert delivery.deliver(*send, may_retry=True).status == SmsDelivery.Status.SENT
    assert delivery.deliver(*send, may_retry=True).status == SmsDelivery.Status.SENT
    assert len(messages(folder)) == 1
    assert SmsDelivery.objects.get().attempts == 1


def test_a_send_left_sending_by_a_dead_worker_is_not_sent_again(folder, send):
    SmsDelivery.objects.create(
        challenge_id=send[0], generation=send[1], user=CodeChallenge.objects.get().user,
        status=SmsDelivery.Status.SENDING, attempts=1,
    )  # fmt: skip
    code_hash = CodeChallenge.objects.get().code_hash
    assert delivery.deliver(*send, may_retry=True).status == SmsDelivery.Status.UNCONFIRMED
    assert messages(folder) == []
    # The code the dead worker made (and maybe sent) still works: no new one was made.
    assert CodeChallenge.objects.get().code_hash == code_hash


def test_a_superseded_send_is_not_sent(folder, send, user, settings):
    settings.MFA_CODE_RESEND_SECONDS = 0
    codes.request_code(user, "sms", NUMBER, "attempt-1", CodeChallenge.Purpose.SIGNIN)
    assert delivery.deliver(*send, may_retry=True).status == SmsDelivery.Status.SUPERSEDED
    assert messages(folder) == []


def test_the_record_never_holds_the_code(folder, send, settings, monkeypatch):
    from mfa.sms.gateways import Receipt
    from mfa.sms.gateways.console import FileGateway

    monkeypatch.setattr(FileGateway, "send", lambda self, m: Receipt(200, f"queued: {m.text}"))
    delivery.deliver(*send, may_retry=True)
    record = SmsDelivery.objects.get()
    assert "[code]" in record.provider_answer
    assert not any(ch.isdigit() for ch in record.provider_answer.split("[code]")[0][-8:])


def test_retry_delays_grow_exponentially_up_to_a_cap(settings):
    settings.SMS_RETRY_BASE_SECONDS = 5
    settings.SMS_RETRY_MAX_SECONDS = 30
    assert [retry_delay(n) for n in range(5)] == [5, 10, 20, 30, 30]
