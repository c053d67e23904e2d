"""What a relying app is told after a step-up: never more than the session proved.

NIST SP 800-63B §6.1.2.1: a factor bound in a session that proved only a password is not that
session's second factor, and binding the first factor needs proof beyond the password (a code
to the account's e-mail). The ID tokens are verified by Authlib against the live portal."""

import base64
import re
import time
from urllib.parse import urlsplit

import pyotp
import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.signin.flows import AUTH_TIME_SESSION_KEY
from mfa.models import EmailDevice
from sso.oidc.claims import ACR_MFA, ACR_PASSWORD, ACR_PHISHING_RESISTANT
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import confirm, pick, validate
from tests.oidc.conftest import REDIRECT_URI, Browser
from tests.oidc.helpers import authorize_url, exchange, pkce_pair, query_of, unverified_claims
from tests.oidc.relying_party import RelyingParty

pytestmark = pytest.mark.django_db(transaction=True)


def csrf_token(browser: Browser, path: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(path).text).group(1)


def post(browser: Browser, path: str, data: dict):
    """Posts a form of the page at ``path`` (its CSRF token read from the page)."""
    return browser.post_form(path, data)


def last_mailed_code(to: str) -> str:
    message = [m for m in mail.outbox if to in m.to][-1]
    return re.search(r"^\s+(\d{6})\s*$", message.body, re.MULTILINE).group(1)


def step_up_to(browser: Browser, rp: RelyingParty, **params) -> tuple[str, str]:
    """Asks for MFA as a signed-in app would; returns (authorize URL, where it led)."""
    url = rp.authorization_url(acr_values=ACR_MFA, **params)
    step_up = browser.get(url)
    assert urlsplit(step_up.headers["Location"]).path == "/security/step-up/"
    return url, browser.get(step_up.headers["Location"]).headers["Location"]


def id_token_after(browser: Browser, rp: RelyingParty, location: str) -> dict:
    callback = browser.follow(browser.get(location)).headers["Location"]
    assert callback.startswith(REDIRECT_URI + "?code="), callback
    return rp.id_token_claims(rp.fetch_token(callback))


def test_a_factor_bound_during_step_up_is_not_the_sessions_second_factor(
    browser, live_server, relying_app, user, password
):
    rp = RelyingParty(live_server.url)
    assert led_to(browser.sign_in(user.username, password)) == "/"
    url, enrol = step_up_to(browser, rp)
    assert enrol == "/security/enrol/"

    # The password alone does not bind a factor: the enrolment page asks for the e-mail code.
    proof = browser.get(enrol)
    assert urlsplit(proof.headers["Location"]).path == "/security/confirm-account/"
    proof_page = proof.headers["Location"]
    page = browser.get(proof_page)
    assert "a•••@example.com" in page.text
    mail.outbox.clear()
    post(browser, proof_page, {"action": "send"})
    assert mail.outbox[-1].to == [user.email]
    assert post(browser, proof_page, {"action": "verify", "code": "000000"}).status_code == 200
    done = post(browser, proof_page, {"action": "verify", "code": last_mailed_code(user.email)})
    assert done.headers["Location"] == enrol

    key = re.search(r'id="totp-key">([^<]+)<', browser.get(enrol).text).group(1)
    phone = pyotp.TOTP(key.replace(" ", ""))
    back = post(browser, enrol, {"code": phone.now()})
    assert back.headers["Location"] == url.replace(live_server.url, "")
    assert TOTPDevice.objects.get(user=user).confirmed
    assert any("authenticator app was added" in m.body for m in mail.outbox)

    # The app asked for MFA and is told what this session proved: the password.
    claims = id_token_after(browser, rp, back.headers["Location"])
    assert claims["acr"] == ACR_PASSWORD
    assert claims["amr"] == ["pwd"]

    # From the next sign-in on, the factor is a real second factor.
    browser.post_form("/accounts/logout/", {})
    with_phone = browser.sign_in(user.username, password)
    assert led_to(with_phone) == "/security/challenge/totp/"
    browser.get("/security/challenge/totp/")
    post(browser, "/security/challenge/totp/", {"code": phone.at(time.time() + 30)})
    post(browser, "/security/challenge/confirm/", {"remember": "on"})
    claims = id_token_after(browser, rp, rp.authorization_url(acr_values=ACR_MFA))
    assert claims["acr"] == ACR_MFA
    assert claims["amr"] == ["mfa", "otp", "pwd"]


def test_the_password_alone_binds_nothing(browser, live_server, relying_app, user, password):
    """Posting an authenticator code straight to the enrolment page, or wrong e-mail codes,
    leaves the account without a factor and the app without MFA."""
    rp = RelyingParty(live_server.url)
    browser.sign_in(user.username, password)
    url, enrol = step_up_to(browser, rp)
    device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    key = pyotp.TOTP(base64.b32encode(device.bin_key).decode())
    proof_page = browser.get(enrol).headers["Location"]
    straight = browser.session.post(
        live_server.url + enrol,
        data={"code": key.now(), "csrfmiddlewaretoken": csrf_token(browser, proof_page)},
        headers={"Referer": live_server.url + enrol},
        allow_redirects=False,
        timeout=10,
    )
    assert urlsplit(straight.headers["Location"]).path == "/security/confirm-account/"
    proof_page = straight.headers["Location"]
    post(browser, proof_page, {"action": "send"})
    for _ in range(5):
        post(browser, proof_page, {"action": "verify", "code": "123456"})
    refused = post(browser, proof_page, {"action": "verify", "code": last_mailed_code(user.email)})
    assert refused.status_code == 200  # five wrong codes used the code up
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    # Back at the app: still the password level (step-up was tried once for this request).
    claims = id_token_after(browser, rp, url)
    assert claims["acr"] == ACR_PASSWORD


def test_an_account_without_an_address_goes_back_with_the_password_level(
    browser, live_server, relying_app, make_user, password
):
    make_user("tanpa", email="")
    rp = RelyingParty(live_server.url)
    browser.sign_in("tanpa", password)
    url, enrol = step_up_to(browser, rp)
    page = browser.get(browser.get(enrol).headers["Location"])
    assert "Ask an administrator" in page.text
    back = re.search(r'href="([^"]+)">Continue without a second factor', page.text).group(1)
    assert back.replace("&amp;", "&") == url.replace(live_server.url, "")
    assert id_token_after(browser, rp, url)["acr"] == ACR_PASSWORD


def test_auth_time_is_the_step_up(client, relying_app, user, password, phone):
    """OpenID Connect Core §2: auth_time is when the End-User last authenticated."""
    sign_in(client, user.username, password)
    pick(client, "totp")
    validate(client, "totp", phone.now())
    confirm(client)
    session = client.session
    session[AUTH_TIME_SESSION_KEY] = signed_in_at = int(time.time()) - 3600  # an hour ago
    session.save()

    verifier, challenge = pkce_pair()
    url = authorize_url(challenge, acr_values=ACR_PHISHING_RESISTANT)  # above the session
    step_up = client.get(url)
    assert led_to(client.get(step_up["Location"])) == "/security/challenge/"
    pick(client, "totp")
    assert (
        led_to(validate(client, "totp", phone.at(time.time() + 30)))
        == "/security/challenge/confirm/"
    )
    assert confirm(client)["Location"] == url
    code = query_of(client.get(url)["Location"])["code"]
    claims = unverified_claims(exchange(client, code, verifier).json()["id_token"])
    assert claims["acr"] == ACR_MFA
    assert claims["auth_time"] >= int(time.time()) - 60 > signed_in_at


@pytest.mark.django_db
def test_the_proof_page_is_in_indonesian(client, relying_app, user, password):
    from tests.e2e.test_translations import untranslated_on

    sign_in(client, user.username, password)
    _, challenge = pkce_pair()
    step_up = client.get(authorize_url(challenge, acr_values=ACR_MFA))
    assert client.get(step_up["Location"])["Location"] == "/security/enrol/"
    proof_page = client.get("/security/enrol/")["Location"]
    assert not untranslated_on(client, proof_page)  # "Send code"
    client.post(proof_page, {"action": "send"})
    assert not untranslated_on(client, proof_page)  # the code field


def bind_authenticator_in_settings(browser: Browser) -> pyotp.TOTP:
    """Security Settings → Authenticator: the account e-mail proof the tab asks for first,
    then the QR code's key and a code from it. Returns the phone."""
    tab = "/security/authenticator/"
    key = re.search(r'id="totp-key">([^<]+)<', browser.get(tab).text).group(1)
    phone = pyotp.TOTP(key.replace(" ", ""))
    proof_page = post(browser, tab, {"code": phone.now()}).headers["Location"]
    assert urlsplit(proof_page).path == "/security/confirm-account/"
    post(browser, proof_page, {"action": "send"})
    code = re.search(r"^\s+(\d{6})\s*$", mail.outbox[-1].body, re.MULTILINE).group(1)
    assert post(browser, proof_page, {"action": "verify", "code": code}).headers["Location"] == tab
    assert post(browser, tab, {"code": phone.now()}).headers["Location"] != proof_page
    return phone


def test_a_factor_bound_in_security_settings_is_not_the_sessions_second_factor(
    browser, live_server, relying_app, user, password
):
    """The issue's example by the other way in: password only, the authenticator bound on
    Security Settings, then the app asks for MFA. Step-up does not offer the new factor."""
    rp = RelyingParty(live_server.url)
    assert led_to(browser.sign_in(user.username, password)) == "/"
    bind_authenticator_in_settings(browser)
    assert TOTPDevice.objects.get(user=user).confirmed
    assert any("authenticator app was added" in m.body for m in mail.outbox)

    url, back = step_up_to(browser, rp)
    assert back == url.replace(live_server.url, "")  # no challenge: straight back to the app
    claims = id_token_after(browser, rp, back)
    assert claims["acr"] == ACR_PASSWORD
    assert claims["amr"] == ["pwd"]


def test_both_ways_in_one_session_never_give_mfa(browser, live_server, relying_app, user, password):
    """The step-up enrolment binds the authenticator; Security Settings then adds an e-mail
    factor; the app asks for MFA again: still the password level."""
    rp = RelyingParty(live_server.url)
    browser.sign_in(user.username, password)
    url, enrol = step_up_to(browser, rp)
    proof_page = browser.get(enrol).headers["Location"]
    post(browser, proof_page, {"action": "send"})
    post(browser, proof_page, {"action": "verify", "code": last_mailed_code(user.email)})
    key = re.search(r'id="totp-key">([^<]+)<', browser.get(enrol).text).group(1)
    back = post(browser, enrol, {"code": pyotp.TOTP(key.replace(" ", "")).now()})
    assert id_token_after(browser, rp, back.headers["Location"])["acr"] == ACR_PASSWORD

    post(browser, "/security/email/", {"email": "ani.codes@example.com"})
    code = last_mailed_code("ani.codes@example.com")
    verified = browser.session.post(
        live_server.url + "/security/email/verify/",
        data={"code": code, "csrfmiddlewaretoken": csrf_token(browser, "/security/email/")},
        headers={"Referer": live_server.url + "/security/email/"},
        allow_redirects=False,
        timeout=10,
    )
    assert verified.headers["Location"] == "/security/email/"
    assert EmailDevice.objects.get(user=user).email == "ani.codes@example.com"

    url, back = step_up_to(browser, rp)
    assert back == url.replace(live_server.url, "")
    claims = id_token_after(browser, rp, back)
    assert claims["acr"] == ACR_PASSWORD
    assert "otp" not in claims["amr"] and "mfa" not in claims["amr"]
