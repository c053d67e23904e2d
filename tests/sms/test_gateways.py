"""Every gateway keeps the same contract (mfa/sms/gateways/base.py), each against its real
counterpart: a log, a folder, an HTTP server on localhost, gammu-smsd-inject's outbox."""

import json
import logging

import pytest

from mfa.models import CodeChallenge
from mfa.sms.gateways import (
    PermanentGatewayError,
    SmsMessage,
    TemporaryGatewayError,
    get_gateway,
)
from mfa.sms.message import code_text
from tests.sms.conftest import NUMBER, Answer

MESSAGE = SmsMessage(to=NUMBER, text="SSO Portal: 123456 is your sign-in code.", reference="r-1")


def use_http(settings, provider, **extra) -> None:
    for name, value in provider.worker_env(**extra).items():
        if name.startswith("SMS_HTTP_") and name not in {"SMS_HTTP_HEADERS", "SMS_HTTP_BODY"}:
            setattr(settings, name, value)
    settings.SMS_HTTP_HEADERS = {"Authorization": "Bearer test-key"}
    settings.SMS_HTTP_BODY = {"to": "{to}", "text": "{message}", "ref": "{reference}"}


def test_console_writes_the_message_to_the_log(caplog):
    with caplog.at_level(logging.INFO, logger="mfa.sms.console"):
        get_gateway("mfa.sms.gateways.console.ConsoleGateway").send(MESSAGE)
    assert "123456" in caplog.text and NUMBER in caplog.text


def test_file_gateway_writes_one_json_file_per_message(settings, tmp_path):
    settings.SMS_FILE_DIR = str(tmp_path / "sms")
    get_gateway("mfa.sms.gateways.console.FileGateway").send(MESSAGE)
    [path] = (tmp_path / "sms").glob("*.json")
    assert json.loads(path.read_text()) == {"to": NUMBER, "text": MESSAGE.text, "reference": "r-1"}


def test_http_gateway_posts_the_filled_template(settings, sms_provider):
    use_http(settings, sms_provider)
    receipt = get_gateway("mfa.sms.gateways.http.HttpGateway").send(MESSAGE)
    [request] = sms_provider.received
    assert request.fields == {"to": NUMBER, "text": MESSAGE.text, "ref": "r-1"}
    assert request.headers["Authorization"] == "Bearer test-key"
    assert receipt.status == 200 and "msg-1" in receipt.answer


def test_http_gateway_form_body(settings, sms_provider):
    use_http(settings, sms_provider)
    settings.SMS_HTTP_BODY_FORMAT = "form"
    settings.SMS_HTTP_BODY = {"msisdn": "{to_digits}", "msg": "{message}"}
    get_gateway("mfa.sms.gateways.http.HttpGateway").send(MESSAGE)
    [request] = sms_provider.received
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.fields == {"msisdn": NUMBER.lstrip("+"), "msg": MESSAGE.text}


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(500, '{"error": "upstream down"}'), TemporaryGatewayError),
        (Answer(503, "busy"), TemporaryGatewayError),
        (Answer(429, "slow down"), TemporaryGatewayError),
        (Answer(400, '{"error": "invalid destination"}'), PermanentGatewayError),
        (Answer(401, '{"error": "bad key"}'), PermanentGatewayError),
        (Answer(200, '{"status": "rejected", "reason": "no credit"}'), PermanentGatewayError),
        (Answer(200, "not json"), PermanentGatewayError),
    ],
)
def test_http_gateway_sorts_errors_into_retryable_and_permanent(
    settings, sms_provider, answer, error
):
    use_http(settings, sms_provider)
    sms_provider.script = [answer]
    with pytest.raises(error) as raised:
        get_gateway("mfa.sms.gateways.http.HttpGateway").send(MESSAGE)
    assert raised.value.answer == answer.body
    assert raised.value.status == answer.status


def test_http_gateway_timeout_is_retryable(settings, sms_provider):
    use_http(settings, sms_provider)
    settings.SMS_HTTP_READ_TIMEOUT = 0.3
    sms_provider.script = [Answer(delay=2)]
    with pytest.raises(TemporaryGatewayError, match="timeout"):
        get_gateway("mfa.sms.gateways.http.HttpGateway").send(MESSAGE)


def test_http_gateway_refused_connection_is_retryable_and_hides_the_url(settings):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SMS_HTTP_URL = f"http://127.0.0.1:{port}/send?apikey=secret-key"
    with pytest.raises(TemporaryGatewayError) as raised:
        get_gateway("mfa.sms.gateways.http.HttpGateway").send(MESSAGE)
    assert "secret-key" not in raised.value.answer


def test_gammu_gateway_lands_in_the_outbox(settings, gammu_outbox):
    settings.SMS_GAMMU_SMSDRC = str(gammu_outbox.smsdrc)
    receipt = get_gateway("mfa.sms.gateways.gammu.GammuGateway").send(MESSAGE)
    assert gammu_outbox.messages() == [(NUMBER, MESSAGE.text)]
    assert "Written message" in receipt.answer


def test_gammu_gateway_without_its_config_is_a_temporary_failure(settings, gammu_outbox):
    settings.SMS_GAMMU_SMSDRC = str(gammu_outbox.smsdrc) + ".missing"
    with pytest.raises(TemporaryGatewayError):
        get_gateway("mfa.sms.gateways.gammu.GammuGateway").send(MESSAGE)


@pytest.mark.parametrize(
    ("language", "purpose", "words"),
    [
        ("en", CodeChallenge.Purpose.SIGNIN, ["sign-in code", "5 minutes"]),
        ("en", CodeChallenge.Purpose.ENROL, ["confirm this phone number", "5 minutes"]),
        ("id", CodeChallenge.Purpose.SIGNIN, ["kode masuk", "5 menit"]),
        ("id", CodeChallenge.Purpose.ENROL, ["nomor ini", "5 menit"]),
    ],
)
def test_message_is_translated_names_the_portal_code_and_lifetime(
    settings, language, purpose, words
):
    settings.SSO_SITE_NAME = "INSW SSO"
    settings.MFA_CODE_TTL_SECONDS = 300
    challenge = CodeChallenge(language=language, purpose=purpose)
    text = code_text(challenge, "042917")
    assert text.startswith("INSW SSO: ")
    assert "042917" in text
    for word in words:
        assert word in text
    assert "http" not in text and "www" not in text
    assert len(text) <= 160
