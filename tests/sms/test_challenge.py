"""SMS at sign-in: sent at once when it is the only factor (seeds/001), else in the challenge's
method picker. The SMS provider is a real HTTP server on localhost (tests.sms.conftest)."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.sms.flows import set_enabled
from tests.conftest import led_to
from tests.mfa.conftest import to_challenge, to_code_page, validate
from tests.sms.conftest import NUMBER, code_in
from tests.sms.test_gateways import use_http


def test_picker_offers_sms_with_the_masked_number(client, user, password, sms_factor):
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    to_challenge(client, password)
    page = client.get("/security/challenge/")
    assert "A code sent by SMS to +62 812 •••• 89" in page.text


def test_switched_off_sms_is_not_offered(client, user, password, sms_factor):
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    set_enabled(user, False)
    to_challenge(client, password)
    assert "+62 812" not in client.get("/security/challenge/").text


def test_sms_only_the_code_goes_out_with_the_password_and_signs_in_with_amr_sms(
    client, user, password, sms_factor, settings, sms_provider
):
    settings.SMS_GATEWAY = "mfa.sms.gateways.http.HttpGateway"
    use_http(settings, sms_provider)
    to_code_page(client, password, "sms")
    [request] = sms_provider.received
    assert request.fields["to"] == NUMBER
    page = client.get("/security/challenge/sms/")
    assert "A code sent by SMS to +62 812 •••• 89" in page.text
    assert "Choose another method" in page.text
    assert len(sms_provider.received) == 1  # showing the page sends nothing
    code = code_in(request.fields["text"])
    assert led_to(validate(client, "sms", code)) == "/security/challenge/confirm/"
    client.post("/security/challenge/confirm/", {"remember": "on"})
    assert "sms" in client.session["accounts.auth_methods"]
