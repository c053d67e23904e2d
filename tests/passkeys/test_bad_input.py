"""Every bad answer is a clear 400 JSON error and changes nothing (issue 4, Tests).

"Nothing changed" means: nobody is signed in or half signed in, no passkey is added, and
the stored sign count, backup state and last use stay as they were.
"""

import json
import logging
import time

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from mfa.passkeys.models import Passkey
from mfa.passkeys.signin import VERIFIED_SESSION_KEY
from tests.conftest import post_username, prove_account_email, sign_in
from tests.passkeys.authenticator import SoftAuthenticator, b64
from tests.passkeys.conftest import (
    REGISTER_OPTIONS,
    REGISTER_VERIFY,
    SIGNIN_OPTIONS,
    SIGNIN_VERIFY,
    post_json,
    register,
)


def snapshot() -> list[tuple]:
    return list(
        Passkey.objects.order_by("pk").values_list(
            "credential_id", "sign_count", "backup_state", "last_used_at", "name"
        )
    )


def assert_refused(response, code: str) -> None:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["error"] == code
    assert body["message"]


def assert_nobody_signed_in(client) -> None:
    assert SESSION_KEY not in client.session
    assert VERIFIED_SESSION_KEY not in client.session


def signin_options(client, username: str = "ani") -> dict:
    post_username(client, username)
    return post_json(client, SIGNIN_OPTIONS, {"mode": "username"}).json()


# --- registration -------------------------------------------------------------------------


def test_registration_from_another_origin_is_refused(signed_in, authenticator):
    response = register(signed_in, authenticator, origin="https://evil.example")
    assert_refused(response, "verification_failed")
    assert Passkey.objects.count() == 0


def test_registration_for_another_challenge_is_refused(signed_in, authenticator):
    post_json(signed_in, REGISTER_OPTIONS, {"name": "Laptop"})
    forged = {"challenge": b64(b"\x00" * 32), "user": {"id": b64(b"u" * 64)}}
    answer = authenticator.create(forged)
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert_refused(response, "verification_failed")
    assert Passkey.objects.count() == 0


def test_registration_replayed_is_refused(signed_in, authenticator):
    options = post_json(signed_in, REGISTER_OPTIONS, {"name": "Laptop"}).json()
    body = {"name": "Laptop", "credential": authenticator.create(options)}
    Passkey.objects.all().delete()
    first = post_json(signed_in, REGISTER_VERIFY, body)
    assert first.status_code == 200
    Passkey.objects.all().delete()  # even with the first gone, the challenge is spent
    assert_refused(post_json(signed_in, REGISTER_VERIFY, body), "no_challenge")
    assert Passkey.objects.count() == 0


def test_registration_after_five_minutes_is_refused(signed_in, authenticator):
    with time_machine.travel(time.time(), tick=False) as clock:
        options = post_json(signed_in, REGISTER_OPTIONS, {"name": "Laptop"}).json()
        clock.shift(301)
        body = {"name": "Laptop", "credential": authenticator.create(options)}
        assert_refused(post_json(signed_in, REGISTER_VERIFY, body), "challenge_expired")
    assert Passkey.objects.count() == 0


def test_truncated_cbor_attestation_is_refused(signed_in, authenticator):
    options = post_json(signed_in, REGISTER_OPTIONS, {"name": "Laptop"}).json()
    answer = authenticator.create(options)
    raw = answer["response"]["attestationObject"]
    answer["response"]["attestationObject"] = bytes_to_base64url(base64url_to_bytes(raw)[:-40])
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert_refused(response, "bad_encoding")
    assert Passkey.objects.count() == 0


@pytest.mark.parametrize("field", ["clientDataJSON", "attestationObject"])
@pytest.mark.parametrize("garbage", ["!!!not-base64url!!!", "abc=", "a", "a b c d"])
def test_malformed_base64url_in_registration_is_refused(signed_in, authenticator, field, garbage):
    options = post_json(signed_in, REGISTER_OPTIONS, {"name": "Laptop"}).json()
    answer = authenticator.create(options)
    answer["response"][field] = garbage
    response = post_json(signed_in, REGISTER_VERIFY, {"name": "Laptop", "credential": answer})
    assert_refused(response, "bad_encoding")
    assert Passkey.objects.count() == 0


# --- sign-in ------------------------------------------------------------------------------


def test_signin_from_another_origin_is_refused(client, user, registered):
    before = snapshot()
    answer = registered.get(signin_options(client), origin="https://evil.example")
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "verification_failed")
    assert_nobody_signed_in(client)
    assert snapshot() == before


def test_signin_for_another_challenge_is_refused(client, user, registered):
    before = snapshot()
    signin_options(client)
    answer = registered.get({"challenge": b64(b"\x01" * 64)})
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "verification_failed")
    assert_nobody_signed_in(client)
    assert snapshot() == before


def test_a_replayed_signin_is_refused(client, user, registered):
    body = {"credential": registered.get(signin_options(client))}
    assert post_json(client, SIGNIN_VERIFY, body).status_code == 200
    client.session.flush()
    client.cookies.clear()
    before = snapshot()
    # The same answer again: first with no challenge open, then against a fresh one.
    assert_refused(post_json(client, SIGNIN_VERIFY, body), "no_challenge")
    signin_options(client)
    assert_refused(post_json(client, SIGNIN_VERIFY, body), "verification_failed")
    assert_nobody_signed_in(client)
    assert snapshot() == before


def test_a_signin_after_five_minutes_is_refused(client, user, registered):
    before = snapshot()
    with time_machine.travel("2025-01-06 09:00:00+07:00", tick=False) as clock:
        options = signin_options(client)
        clock.shift(301)
        answer = registered.get(options)
        assert_refused(
            post_json(client, SIGNIN_VERIFY, {"credential": answer}), "challenge_expired"
        )
    assert_nobody_signed_in(client)
    assert snapshot() == before


def test_another_users_credential_is_refused(client, make_user, user, password, registered):
    budi_device = SoftAuthenticator()
    make_user("budi")
    sign_in(client, "budi", password)
    prove_account_email(client)
    register(client, budi_device, "Budi's phone")
    client.post("/accounts/logout/")
    before = snapshot()
    answer = budi_device.get(signin_options(client, "ani"))
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "unknown_credential")
    assert_nobody_signed_in(client)
    assert snapshot() == before


def test_a_user_handle_of_another_account_is_refused(client, make_user, user, password, registered):
    budi_device = SoftAuthenticator()
    make_user("budi")
    sign_in(client, "budi", password)
    prove_account_email(client)
    register(client, budi_device, "Budi's phone")
    client.post("/accounts/logout/")
    before = snapshot()
    options = post_json(client, SIGNIN_OPTIONS, {"mode": "discoverable"}).json()
    answer = registered.get(options, user_handle=budi_device.user_handle)
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "user_handle_mismatch")
    assert_nobody_signed_in(client)
    assert snapshot() == before


def test_usernameless_needs_the_user_handle(client, user, registered):
    options = post_json(client, SIGNIN_OPTIONS, {"mode": "discoverable"}).json()
    answer = registered.get(options, send_user_handle=False)
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "user_handle_mismatch")
    assert_nobody_signed_in(client)


def test_an_unregistered_credential_is_refused(client, user, registered):
    stranger = SoftAuthenticator()
    answer = stranger.get(signin_options(client), user_handle=registered.user_handle)
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "unknown_credential")
    assert_nobody_signed_in(client)


def test_passwordless_signin_needs_user_verification(client, user, registered):
    before = snapshot()
    answer = registered.get(signin_options(client), user_verified=False)
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "verification_failed")
    assert_nobody_signed_in(client)
    assert snapshot() == before


def test_a_sign_count_going_backwards_is_refused_and_logged(client, user, registered, caplog):
    Passkey.objects.update(sign_count=10)
    before = snapshot()
    answer = registered.get(signin_options(client), counter=7)
    with caplog.at_level(logging.WARNING, logger="mfa.passkeys"):
        response = post_json(client, SIGNIN_VERIFY, {"credential": answer})
    assert_refused(response, "sign_count_regression")
    assert "sign count 7 after 10" in caplog.text
    assert_nobody_signed_in(client)
    assert snapshot() == before


def test_a_changed_backup_eligibility_is_refused(client, user, registered):
    before = snapshot()
    registered.backup_eligible = True
    answer = registered.get(signin_options(client))
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "backup_flags_changed")
    assert snapshot() == before


def test_truncated_authenticator_data_is_refused(client, user, registered):
    before = snapshot()
    answer = registered.get(signin_options(client))
    answer["response"]["authenticatorData"] = answer["response"]["authenticatorData"][:20]
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "verification_failed")
    assert snapshot() == before


@pytest.mark.parametrize("field", ["id", "rawId", "clientDataJSON", "signature", "userHandle"])
def test_malformed_base64url_in_signin_is_refused(client, user, registered, field):
    before = snapshot()
    answer = registered.get(signin_options(client))
    if field in ("id", "rawId"):
        answer[field] = "*" + answer[field]
    else:
        answer["response"][field] = "%%%" + answer["response"][field]
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": answer}), "bad_encoding")
    assert snapshot() == before


# --- the envelope -------------------------------------------------------------------------

ENDPOINTS = [REGISTER_OPTIONS, REGISTER_VERIFY, SIGNIN_OPTIONS, SIGNIN_VERIFY]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_one_megabyte_body_is_refused(signed_in, url):
    body = json.dumps({"name": "x", "padding": "A" * (1024 * 1024)})
    response = signed_in.post(url, body, content_type="application/json")
    assert_refused(response, "body_too_large")
    assert Passkey.objects.count() == 0


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"a string"', "{" * 5000])
def test_a_body_that_is_not_a_json_object_is_refused(signed_in, url, body):
    response = signed_in.post(url, body, content_type="application/json")
    assert_refused(response, "bad_request")


@pytest.mark.parametrize(
    "credential", [None, "text", [], {}, {"id": "AA", "rawId": "AA", "response": "x"}]
)
def test_a_credential_of_the_wrong_shape_is_refused(client, user, registered, credential):
    signin_options(client)
    assert_refused(post_json(client, SIGNIN_VERIFY, {"credential": credential}), "bad_request")


@pytest.mark.parametrize("url", ENDPOINTS)
def test_json_endpoints_only_take_post(client, db, url):
    assert client.get(url).status_code == 405
