"""Relying apps under an MFA rollout: the ID token's acr tells the truth about the session, an
app that asks for MFA before the deadline gets the step-up, and after the deadline the app's
request waits for enrolment and is answered afterwards."""

from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from mfa.rollout.models import GroupPolicy, Level
from sso.oidc.claims import ACR_MFA, ACR_PASSWORD
from tests.conftest import prove_account_email, sign_in
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import authorize_url, exchange, pkce_pair, query_of
from tests.oidc.helpers import unverified_claims as claims_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def deadline(user):
    finance = Group.objects.create(name="Finance")
    when = timezone.now() + timedelta(days=10)
    GroupPolicy.objects.create(group=finance, level=Level.REQUIRED, deadline=when)
    user.groups.add(finance)
    return when


def test_before_the_deadline_acr_is_password_and_acr_values_mfa_steps_up(
    client, relying_app, user, password, deadline
):
    verifier, challenge = pkce_pair()
    url = authorize_url(challenge)
    sign_in(client, user.username, password, url)
    reminder = client.get(url)
    assert urlsplit(reminder["Location"]).path == "/security/setup/reminder/"
    later = client.post("/security/setup/reminder/", {"choice": "later", "next": url})
    assert later["Location"] == url
    answered = client.get(url)
    assert answered["Location"].startswith(REDIRECT_URI + "?code=")
    token = exchange(client, query_of(answered["Location"])["code"], verifier).json()
    assert claims_of(token["id_token"])["acr"] == ACR_PASSWORD

    _verifier, challenge = pkce_pair()
    step_up = client.get(authorize_url(challenge, acr_values=ACR_MFA))
    assert urlsplit(step_up["Location"]).path == "/security/step-up/"


def test_after_the_deadline_the_app_waits_for_enrolment(
    client, relying_app, user, password, deadline
):
    with time_machine.travel(deadline + timedelta(minutes=1), tick=False):
        verifier, challenge = pkce_pair()
        url = authorize_url(challenge)
        sign_in(client, user.username, password, url)
        assert client.get(url)["Location"] == "/security/setup/"
        prove_account_email(client, "/security/authenticator/")
        page = client.get("/security/authenticator/")
        key = page.text.split('id="totp-key">')[1].split("<")[0].replace(" ", "")
        client.post("/security/authenticator/", {"code": pyotp.TOTP(key).now()})
        assert client.post("/security/setup/continue/")["Location"] == url
        answered = client.get(url)
        token = exchange(client, query_of(answered["Location"])["code"], verifier).json()
        # The factor was set up in a password-only session: it is not this session's second
        # factor, and the app is told so.
        claims = claims_of(token["id_token"])
        assert claims["acr"] == ACR_PASSWORD and claims["amr"] == ["pwd"]
