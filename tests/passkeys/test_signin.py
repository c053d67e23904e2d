"""Sign in with passkey, username first and usernameless, answered by the fido2-built
authenticator: Continue → (browser) → Confirm and Continue → Home, and no second challenge."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from webauthn.helpers import base64url_to_bytes

from accounts.signin.flows import AUTH_METHODS_SESSION_KEY, FRESH_SIGNIN_SESSION_KEY
from mfa.passkeys import PASSKEY_AMR
from mfa.passkeys.models import Passkey
from tests.conftest import led_to, post_username
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import SIGNIN_OPTIONS, SIGNIN_VERIFY, post_json, register


def passkey_signin(client, authenticator, mode: str = "username", **answer_kwargs):
    options = post_json(client, SIGNIN_OPTIONS, {"mode": mode}).json()
    answer = authenticator.get(options, **answer_kwargs)
    return options, post_json(client, SIGNIN_VERIFY, {"credential": answer})


def test_method_page_offers_sign_in_with_passkey(client, user):
    post_username(client, "ani")
    page = client.get("/accounts/login/method/")
    assert "Sign in with passkey" in page.text
    continue_page = client.get("/security/passkeys/signin/")
    assert "Continue" in continue_page.text
    assert "Signing in as <strong>ani</strong>" in continue_page.text


def test_username_first_sign_in_lands_on_home_with_passkey_amr(client, user, registered):
    post_username(client, "ani")
    options, verified = passkey_signin(client, registered)
    assert [c["id"] for c in options["allowCredentials"]] == [registered.id]
    assert options["userVerification"] == "required"
    assert verified.status_code == 200
    assert verified.json()["redirect"] == "/security/passkeys/signin/confirm/"
    assert SESSION_KEY not in client.session
    confirm = client.get("/security/passkeys/signin/confirm/")
    assert "Confirm and Continue" in confirm.text
    assert "Work laptop" in confirm.text
    home = client.post("/security/passkeys/signin/confirm/")
    assert home.status_code == 302
    assert led_to(home) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[AUTH_METHODS_SESSION_KEY] == sorted(PASSKEY_AMR)
    passkey = Passkey.objects.get()
    assert passkey.sign_count == 1
    assert passkey.last_used_at is not None


def test_username_first_sign_in_goes_back_to_next(client, user, registered):
    post_username(client, "ani", next_url="/security/passkeys/")
    passkey_signin(client, registered)
    response = client.post("/security/passkeys/signin/confirm/")
    assert response["Location"] == "/security/passkeys/"


def test_usernameless_sign_in_finds_the_account_from_the_user_handle(client, user, registered):
    page = client.get("/accounts/login/")
    assert "Sign in with a passkey" in page.text
    assert "js/passkeys.js" in page.text
    options, verified = passkey_signin(client, registered, mode="discoverable")
    assert options["allowCredentials"] == []
    assert verified.status_code == 200
    client.post("/security/passkeys/signin/confirm/")
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[AUTH_METHODS_SESSION_KEY] == sorted(PASSKEY_AMR)


def test_usernameless_sign_in_honours_next(client, user, registered):
    options = post_json(client, SIGNIN_OPTIONS, {"mode": "discoverable"}).json()
    answer = registered.get(options)
    post_json(client, SIGNIN_VERIFY, {"credential": answer, "next": "/security/passkeys/"})
    assert client.post("/security/passkeys/signin/confirm/")["Location"] == "/security/passkeys/"


def test_an_offsite_next_is_ignored(client, user, registered):
    options = post_json(client, SIGNIN_OPTIONS, {"mode": "discoverable"}).json()
    answer = registered.get(options)
    post_json(client, SIGNIN_VERIFY, {"credential": answer, "next": "https://evil.example/"})
    assert led_to(client.post("/security/passkeys/signin/confirm/")) == "/"


def username_first_options(client, username: str) -> dict:
    client.cookies.clear()
    post_username(client, username)
    return post_json(client, SIGNIN_OPTIONS, {"mode": "username"}).json()


def shape(options: dict) -> tuple:
    """What the options look like, leaving out what differs at every request or account."""
    credentials = options["allowCredentials"]
    return (
        sorted(options),
        {tuple(sorted(c)) for c in credentials},
        {c["type"] for c in credentials},
        options["userVerification"],
    )


def test_options_have_one_shape_whatever_the_name(client, make_user, user, registered):
    make_user("budi")  # an account without passkeys
    real = username_first_options(client, "ani")
    without = username_first_options(client, "budi")
    unknown = username_first_options(client, "nobody.here")
    assert shape(real) == shape(without) == shape(unknown)
    for options in (without, unknown):
        assert 1 <= len(options["allowCredentials"]) <= 2
        for credential in options["allowCredentials"]:
            assert credential["type"] == "public-key"
            assert credential["transports"]
            assert 16 <= len(base64url_to_bytes(credential["id"])) <= 64
    stored = set(Passkey.objects.values_list("credential_id", flat=True))
    assert not stored & {c["id"] for c in without["allowCredentials"] + unknown["allowCredentials"]}


def test_stand_in_ids_are_stable_per_name(client, make_user, db):
    make_user("budi")
    first = username_first_options(client, "nobody.here")["allowCredentials"]
    again = username_first_options(client, "nobody.here")["allowCredentials"]
    shouted = username_first_options(client, "NOBODY.HERE")["allowCredentials"]
    dotless = username_first_options(client, "nobody.here".replace("i", "\u0131"))
    assert dotless["allowCredentials"] == first
    other = username_first_options(client, "somebody.else")["allowCredentials"]
    assert first
    assert first == again == shouted
    assert {c["id"] for c in first}.isdisjoint({c["id"] for c in other})
    budi = username_first_options(client, "budi")["allowCredentials"]
    assert budi == username_first_options(client, "BUDI")["allowCredentials"]


def test_an_unknown_username_cannot_sign_in_with_a_real_passkey(client, user, registered):
    post_username(client, "nobody")
    options, verified = passkey_signin(client, registered)
    assert registered.id not in [c["id"] for c in options["allowCredentials"]]
    assert verified.status_code == 400
    assert verified.json()["error"] == "unknown_credential"
    assert SESSION_KEY not in client.session


def test_confirm_without_a_verified_passkey_goes_back_to_sign_in(client, db):
    assert client.get("/security/passkeys/signin/confirm/")["Location"] == "/accounts/login/"
    response = client.post("/security/passkeys/signin/confirm/")
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_a_synced_passkey_saves_its_new_backup_state(client, user, signed_in):
    authenticator = SoftAuthenticator(backup_eligible=True, backed_up=False)
    register(signed_in, authenticator)
    signed_in.post("/accounts/logout/")
    authenticator.backed_up = True
    post_username(client, "ani")
    _, verified = passkey_signin(client, authenticator)
    assert verified.status_code == 200
    assert Passkey.objects.get().backup_state is True


def test_not_you_after_the_passkey_leaves_nothing_to_confirm(client, user, registered):
    """Someone else at the browser presses "Not you?" on Confirm and Continue: the passkey
    just verified must not sign the next person in as its owner."""
    post_username(client, "ani")
    _options, verified = passkey_signin(client, registered)
    assert verified.json()["redirect"] == "/security/passkeys/signin/confirm/"
    assert client.post("/accounts/login/restart/")["Location"] == "/accounts/login/"
    assert client.get("/security/passkeys/signin/confirm/")["Location"] == "/accounts/login/"
    assert client.post("/security/passkeys/signin/confirm/")["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_a_signed_in_person_is_not_signed_in_as_another_by_a_passkey(
    client, user, make_user, registered
):
    """Step 1's rule, as for the password posted with a name: someone signed in, with no fresh
    sign-in asked for (prompt=login, max_age), is led Home, not signed out and in as the
    owner of a passkey picked on a username page left open in a tab."""
    budi = make_user("budi")
    client.force_login(budi)
    passkey_signin(client, registered, mode="discoverable")
    response = client.post("/security/passkeys/signin/confirm/")
    assert client.session[SESSION_KEY] == str(budi.pk)
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == "/"


def test_a_fresh_sign_in_by_passkey_may_be_another_persons(client, user, make_user, registered):
    client.force_login(make_user("budi"))
    session = client.session
    session[FRESH_SIGNIN_SESSION_KEY] = int(time.time())
    session.save()
    passkey_signin(client, registered, mode="discoverable")
    client.post("/security/passkeys/signin/confirm/")
    assert client.session[SESSION_KEY] == str(user.pk)


def test_an_account_locked_after_its_passkey_is_not_signed_in_at_confirm(client, user, registered):
    """The passkey was verified, then the account was locked (an admin's Lock accounts) before
    Confirm and Continue: it signed the locked account in."""
    from accounts import lockout
    from accounts.models import AuditEvent

    _, verified = passkey_signin(client, registered, mode="discoverable")
    assert verified.status_code == 200
    lockout.lock_account(user, minutes=60)
    answer = client.post("/security/passkeys/signin/confirm/")
    assert answer["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session
    assert "This account is locked. Try again later." in client.get("/accounts/login/").text
    assert client.get("/security/passkeys/signin/confirm/")["Location"] == "/accounts/login/"
    refused = AuditEvent.objects.get(kind="signin.complete", result="refused")
    assert refused.details["reason"] == lockout.ACCOUNT_LOCKED


@pytest.mark.django_db(transaction=True)
def test_an_account_deleted_at_its_confirm_and_continue_is_not_signed_in(
    client, user, registered, monkeypatch
):
    """As tests/accounts/test_deleted_during_signin.py, for a passkey's sign-in."""
    from accounts import devices
    from accounts.models import User
    from tests.accounts.test_deleted_during_signin import assert_refused

    post_username(client, user.username)
    _options, verified = passkey_signin(client, registered)
    assert verified.json()["redirect"] == "/security/passkeys/signin/confirm/"
    note_device = devices.note_device

    def deleted_then_noted(request, signed_in):
        User.objects.filter(pk=signed_in.pk).delete()
        return note_device(request, signed_in)

    monkeypatch.setattr(devices, "note_device", deleted_then_noted)
    response = client.post("/security/passkeys/signin/confirm/")
    assert_refused(client, response, user.username)
