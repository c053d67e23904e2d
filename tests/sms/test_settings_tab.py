"""The SMS tab of Security Settings, with tasks inline and the file gateway."""

import json

import pytest

from mfa.flows import has_second_factor
from mfa.models import CodeChallenge, TrustedDevice
from mfa.sms.models import SmsDevice
from mfa.sms.views import NUMBER_CHANGE_SESSION_KEY
from tests.conftest import PROOF_PAGE, prove_account_email, sign_in
from tests.mfa.conftest import run_on_commit
from tests.sms.conftest import NUMBER, code_in

URL = "/security/sms/"


@pytest.fixture
def sms_folder(settings, tmp_path):
    settings.SMS_GATEWAY = "mfa.sms.gateways.console.FileGateway"
    settings.SMS_FILE_DIR = str(tmp_path / "sms")
    settings.MFA_CODE_RESEND_SECONDS = 0
    return tmp_path / "sms"


def texts(folder) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]


@pytest.fixture
def signed_in(client, user, password):
    """Signed in with the password, and the account e-mail code typed back, as the portal
    asks before the first second factor (mfa.binding)."""
    sign_in(client, user.username, password)
    prove_account_email(client, URL)
    return client


def add_number(client, typed: str):
    return run_on_commit(client.post, URL, {"number": typed})


def test_tab_is_listed_and_shows_no_number(signed_in):
    page = signed_in.get(URL)
    assert page.status_code == 200
    assert 'href="/security/sms/" aria-current="page"' in page.text
    assert "No phone number is set." in page.text


def test_add_a_number_confirmed_by_the_code_sent_to_it(signed_in, user, sms_folder):
    response = add_number(signed_in, "0812 3456 7889")
    assert response.status_code == 302
    assert not SmsDevice.objects.exists()  # not before the code is typed back
    [text] = texts(sms_folder)
    assert text["to"] == NUMBER
    assert "confirm this phone number" in text["text"]
    page = signed_in.get(URL)
    assert "+62 812-3456-7889" in page.text
    response = signed_in.post(f"{URL}verify/", {"code": code_in(text["text"])})
    assert response.status_code == 302
    device = SmsDevice.objects.get(user=user)
    assert (device.number, device.confirmed, device.enabled) == (NUMBER, True, True)
    assert has_second_factor(user)
    assert NUMBER_CHANGE_SESSION_KEY not in signed_in.session


def test_a_wrong_code_does_not_save_the_number(signed_in, sms_folder):
    add_number(signed_in, "0812 3456 7889")
    [text] = texts(sms_folder)
    wrong = "000000" if code_in(text["text"]) != "000000" else "111111"
    page = signed_in.post(f"{URL}verify/", {"code": wrong})
    assert "That code is not right. 4 tries left." in page.text
    assert not SmsDevice.objects.exists()


def test_changing_the_number_needs_the_new_numbers_code(signed_in, user, sms_factor, sms_folder):
    add_number(signed_in, "0813 1111 2233")
    assert SmsDevice.objects.get(user=user).number == NUMBER  # unchanged until confirmed
    [text] = texts(sms_folder)
    assert text["to"] == "+6281311112233"
    signed_in.post(f"{URL}verify/", {"code": code_in(text["text"])})
    assert SmsDevice.objects.get(user=user).number == "+6281311112233"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0812", "That is not a valid phone number. Check the digits."),
        ("--", "That is not a phone number we can read."),
        ("021 5551234", "That looks like a landline. Enter a mobile number that can receive SMS."),
        ("+65 9123 4567", "We can only send codes to numbers in: Indonesia."),
        ("8" * 100, "That is too long for a phone number."),
        ("nol delapan satu dua", "Use digits only"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_stored(
    signed_in, sms_folder, typed, message
):
    page = add_number(signed_in, typed)
    assert page.status_code == 200
    assert message in page.text
    assert not SmsDevice.objects.exists()
    assert not CodeChallenge.objects.filter(channel=CodeChallenge.Channel.SMS).exists()
    assert NUMBER_CHANGE_SESSION_KEY not in signed_in.session
    assert texts(sms_folder) == []


def test_turn_off_and_on(signed_in, user, sms_factor, settings):
    settings.SMS_GATEWAY = "mfa.sms.gateways.console.ConsoleGateway"
    TrustedDevice.objects.create(user=user, token_hash="x" * 64, expires_at="2100-01-01T00:00Z")
    run_on_commit(signed_in.post, f"{URL}switch/", {})
    sms_factor.refresh_from_db()
    assert sms_factor.enabled is False
    assert not has_second_factor(user)
    assert not TrustedDevice.objects.exists()  # a factor gone revokes trusted devices
    assert "Sign-in codes by SMS are off." in signed_in.get(URL).text
    run_on_commit(signed_in.post, f"{URL}switch/", {"enabled": "on"})
    sms_factor.refresh_from_db()
    assert sms_factor.enabled is True


def test_turning_the_only_factor_back_on_needs_the_account_email_proof(
    client, user, password, sms_factor, settings
):
    """Switched off, the number is no factor: switching it on after a password-only sign-in
    binds a first factor again (mfa.binding)."""
    settings.SMS_GATEWAY = "mfa.sms.gateways.console.ConsoleGateway"
    SmsDevice.objects.filter(pk=sms_factor.pk).update(enabled=False)
    sign_in(client, user.username, password)
    refused = run_on_commit(client.post, f"{URL}switch/", {"enabled": "on"})
    assert refused["Location"] == f"{PROOF_PAGE}?next=%2Fsecurity%2Fsms%2F"
    sms_factor.refresh_from_db()
    assert sms_factor.enabled is False
    prove_account_email(client, URL)
    run_on_commit(client.post, f"{URL}switch/", {"enabled": "on"})
    sms_factor.refresh_from_db()
    assert sms_factor.enabled is True


def test_remove(signed_in, user, sms_factor):
    run_on_commit(signed_in.post, f"{URL}remove/")
    assert not SmsDevice.objects.filter(user=user).exists()


def test_changes_need_a_recent_proof(client, user, sms_factor):
    client.force_login(user)
    response = client.post(f"{URL}remove/")
    assert response.status_code == 302
    assert response["Location"].startswith("/security/reauth/")
    assert SmsDevice.objects.filter(user=user).exists()


def test_reset_hook_deletes_the_sms_factor(user, sms_factor):
    from mfa.sms.flows import reset

    reset(user)
    assert not SmsDevice.objects.filter(user=user).exists()


# --- Pumping defence ------------------------------------------------------------------------


def test_sends_per_number_are_capped(signed_in, sms_folder, settings, make_user, client_factory):
    settings.SMS_LIMIT_PER_NUMBER = 2
    settings.MFA_CODE_MAX_SENDS = 100
    add_number(signed_in, "0812 3456 7889")
    add_number(signed_in, "0812 3456 7889")
    page = add_number(signed_in, "0812 3456 7889")
    assert "Too many codes were sent to this number." in page.text
    assert len(texts(sms_folder)) == 2
    # Another account is refused too: the cap is the number's, not the account's.
    other = make_user("budi")
    client = client_factory()
    sign_in(client, other.username, "correct horse battery staple")
    prove_account_email(client, URL)
    page = add_number(client, "0812 3456 7889")
    assert "Too many codes were sent to this number." in page.text
    assert len(texts(sms_folder)) == 2


def test_sends_per_account_are_capped(signed_in, sms_folder, settings):
    settings.SMS_LIMIT_PER_ACCOUNT = 2
    settings.MFA_CODE_MAX_SENDS = 100
    add_number(signed_in, "0812 1111 0001")
    add_number(signed_in, "0812 1111 0002")
    page = add_number(signed_in, "0812 1111 0003")
    assert "Too many codes by SMS were sent for your account." in page.text
    assert len(texts(sms_folder)) == 2


def test_sends_per_ip_are_capped(sms_folder, settings, make_user, client_factory, password):
    settings.SMS_LIMIT_PER_IP = 2
    pages = []
    for index, name in enumerate(["ani", "budi", "citra"]):
        make_user(name)
        client = client_factory()
        sign_in(client, name, password)
        prove_account_email(client, URL)
        pages.append(add_number(client, f"0812 1111 000{index}"))
    assert "Too many codes by SMS were asked for from your network." in pages[-1].text
    assert len(texts(sms_folder)) == 2


@pytest.fixture
def client_factory():
    from django.test import Client

    return Client


def test_the_password_alone_sends_no_code_and_saves_no_number(client, user, password, sms_folder):
    """NIST SP 800-63B §6.1.2.1: a first factor needs the account e-mail proof (mfa.binding)."""
    from django.core import mail

    sign_in(client, user.username, password)
    refused = add_number(client, "0812 3456 7889")
    assert refused["Location"] == f"{PROOF_PAGE}?next=%2Fsecurity%2Fsms%2F"
    assert texts(sms_folder) == []
    assert not SmsDevice.objects.exists()

    prove_account_email(client, URL)
    mail.outbox.clear()
    add_number(client, "0812 3456 7889")
    [text] = texts(sms_folder)
    run_on_commit(client.post, f"{URL}verify/", {"code": code_in(text["text"])})
    assert SmsDevice.objects.get(user=user).number == NUMBER
    assert "A phone number for sign-in codes by SMS was added" in mail.outbox[-1].body
