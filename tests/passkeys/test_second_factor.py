"""A passkey as the second factor after a password (PasskeyMethod)."""

import json
from importlib import import_module

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import reverse

from mfa import flows as mfa_flows
from mfa.challenge.pending import begin_pending, current_pending
from mfa.passkeys.challenge import PasskeyMethod
from mfa.passkeys.models import Passkey
from tests.conftest import led_to
from tests.passkeys.conftest import post_json
from tests.passkeys.test_without_script import noscript_notes

OPTIONS = "/security/passkeys/challenge/options/"


def SessionStore(session_key=None):  # the portal's engine, as the client uses it
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


@pytest.fixture
def pending_client(client, user, registered):
    """The password was right; the challenge page waits for the second factor."""
    request = RequestFactory().get("/")
    request.session = SessionStore()
    begin_pending(request, user, ["pwd"])
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


def answer_from(client, authenticator, **kwargs) -> dict:
    options = post_json(client, OPTIONS, {}).json()
    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.id]
    assert options["userVerification"] == "preferred"
    return {"credential": json.dumps(authenticator.get(options, **kwargs))}


def request_for(client):
    request = RequestFactory().post("/")
    request.session = SessionStore(session_key=client.session.session_key)
    return request


def test_the_method_describes_itself(user, registered):
    method = PasskeyMethod()
    assert method.slug == "passkey"
    assert method.amr == ("hwk",)
    assert method.is_enrolled(user)
    Passkey.objects.all().delete()
    assert not method.is_enrolled(user)


def test_a_passkey_passes_the_challenge_even_without_user_verification(pending_client, registered):
    data = answer_from(pending_client, registered, user_verified=False)
    request = request_for(pending_client)
    result = PasskeyMethod().verify(request, current_pending(request), data)
    assert result.ok
    assert Passkey.objects.get().sign_count == 1


def test_a_replayed_second_factor_fails(pending_client, registered):
    data = answer_from(pending_client, registered)
    request = request_for(pending_client)
    pending = current_pending(request)
    assert PasskeyMethod().verify(request, pending, data).ok
    again = PasskeyMethod().verify(request, pending, data)
    assert not again.ok
    assert again.error == "This passkey request is no longer valid. Please start again."


@pytest.mark.parametrize("credential", ["", "{not json", "[]", "x" * 70_000])
def test_garbage_fails_with_a_message(pending_client, registered, credential):
    post_json(pending_client, OPTIONS, {})
    request = request_for(pending_client)
    result = PasskeyMethod().verify(request, current_pending(request), {"credential": credential})
    assert not result.ok
    assert result.error


def test_no_options_without_a_pending_sign_in(client, db):
    response = post_json(client, OPTIONS, {})
    assert response.status_code == 400
    assert response.json()["error"] == "no_challenge"


def test_the_challenge_page_takes_a_passkey_after_the_password(
    request, client, settings, user, password
):
    """With PasskeyMethod among MFA_CHALLENGE_METHODS, a password then a passkey signs in."""
    from django.urls import reverse

    from tests.conftest import prove_account_email, sign_in
    from tests.passkeys.authenticator import SoftAuthenticator
    from tests.passkeys.conftest import register

    authenticator = SoftAuthenticator()
    sign_in(client, "ani", password)
    prove_account_email(client)
    register(client, authenticator, "Security key")
    client.post("/accounts/logout/")
    settings.MFA_CHALLENGE_METHODS = ["mfa.passkeys.challenge.PasskeyMethod"]
    mfa_flows.all_methods.cache_clear()  # the method list is read once per process
    request.addfinalizer(mfa_flows.all_methods.cache_clear)

    after_password = sign_in(client, "ani", password)
    # The passkey is the one factor: its page comes straight after the password.
    method_url = reverse("mfa:challenge_method", args=["passkey"])
    assert led_to(after_password) == method_url
    page = client.get(method_url)
    assert "Use passkey" in page.text
    assert "js/passkeys.js" in page.text

    wrong = client.post(method_url, {"credential": "{}"})
    assert wrong.status_code == 200
    assert "The request was not understood." in wrong.text

    data = answer_from(client, authenticator)
    answered = client.post(method_url, data)
    assert led_to(answered) == reverse("mfa:challenge_confirm")


def test_reset_mfa_hook_deletes_every_passkey(user, registered):
    from mfa.passkeys.reset import delete_all_passkeys

    delete_all_passkeys(user)
    assert not Passkey.objects.filter(user=user).exists()


def test_the_passkey_challenge_says_it_needs_script(settings, pending_client):
    settings.MFA_CHALLENGE_METHODS = ["mfa.passkeys.challenge.PasskeyMethod"]
    page = pending_client.get(reverse("mfa:challenge_method", args=["passkey"]))
    assert page.status_code == 200
    assert noscript_notes(page) == [
        "Passkeys need JavaScript in your browser. Choose another method instead."
    ]
