"""SMS in the challenge's method picker (tasks inline, the file gateway)."""

import json

from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.sms.flows import set_enabled
from tests.mfa.conftest import pick, to_challenge, validate
from tests.sms.conftest import code_in


def test_picker_offers_sms_with_the_masked_number(client, user, password, sms_factor):
    to_challenge(client, password)
    page = client.get("/security/challenge/")
    assert "A code sent by SMS to +62 812 •••• 89" in page.text


def test_switched_off_sms_is_not_offered(client, user, password, sms_factor):
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    set_enabled(user, False)
    to_challenge(client, password)
    assert "+62 812" not in client.get("/security/challenge/").text


def test_sms_code_passes_the_challenge_with_amr_sms(
    client, user, password, sms_factor, settings, tmp_path
):
    settings.SMS_GATEWAY = "mfa.sms.gateways.console.FileGateway"
    settings.SMS_FILE_DIR = str(tmp_path)
    to_challenge(client, password)
    assert pick(client, "sms")["Location"] == "/security/challenge/sms/"
    [path] = tmp_path.glob("*.json")
    code = code_in(json.loads(path.read_text())["text"])
    assert validate(client, "sms", code)["Location"] == "/security/challenge/confirm/"
    client.post("/security/challenge/confirm/", {"remember": "on"})
    assert "sms" in client.session["accounts.auth_methods"]
