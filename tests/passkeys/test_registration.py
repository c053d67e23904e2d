"""Register New Device → name → Save New Device, answered by the fido2-built authenticator."""

import re
import time

import pytest
import time_machine
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from mfa.passkeys.models import Passkey
from tests.conftest import prove_account_email, sign_in
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import REGISTER_OPTIONS, REGISTER_VERIFY, post_json, register


def test_passkeys_tab_lists_nothing_yet_and_offers_register(signed_in):
    page = signed_in.get("/security/passkeys/")
    assert page.status_code == 200
    assert "Passkeys" in page.text
    assert "You have no passkeys yet." in page.text
    assert "Register New Device" in page.text
    form = signed_in.get("/security/passkeys/register/")
    assert "Device name" in form.text
    assert "Save New Device" in form.text


def test_options_ask_for_no_attestation_and_a_discoverable_credential(signed_in, user):
    options = post_json(signed_in, REGISTER_OPTIONS, {"name": "Laptop"}).json()
    assert options["rp"]["id"] == "localhost"
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["user"]["name"] == user.username
    assert options["excludeCredentials"] == []
    assert options["timeout"] == 300_000


def test_a_registered_device_is_stored_with_what_the_issue_lists(signed_in, user):
    authenticator = SoftAuthenticator(backup_eligible=True, backed_up=True)
    response = register(signed_in, authenticator, "Work laptop")
    assert response.status_code == 200
    assert response.json()["redirect"] == "/security/passkeys/"
    passkey = Passkey.objects.get(user=user)
    assert passkey.name == "Work laptop"
    assert passkey.credential_id == authenticator.id
    assert passkey.sign_count == 0
    assert passkey.transports == ["internal"]
    assert passkey.aaguid == "11111111-1111-1111-1111-111111111111"
    assert passkey.backup_eligible and passkey.backup_state
    assert passkey.created_at is not None and passkey.last_used_at is None
    page = signed_in.get("/security/passkeys/")
    assert "Your new device “Work laptop” is registered." in page.text
    assert "Work laptop" in page.text
    assert "Synced (backed up)" in page.text


def test_the_next_registration_excludes_known_credentials(signed_in, authenticator):
    register(signed_in, authenticator)
    options = post_json(signed_in, REGISTER_OPTIONS, {"name": "Phone"}).json()
    assert [c["id"] for c in options["excludeCredentials"]] == [authenticator.id]
    assert options["excludeCredentials"][0]["transports"] == ["internal"]


def test_a_credential_id_registered_before_is_refused(signed_in, authenticator, user):
    assert register(signed_in, authenticator).status_code == 200
    again = register(signed_in, authenticator, "Same device again")
    assert again.status_code == 400
    assert again.json()["error"] == "already_registered"
    assert again.json()["message"] == "This passkey is already registered."
    assert list(Passkey.objects.values_list("name", flat=True)) == ["Work laptop"]


def test_another_accounts_credential_id_is_refused(client, make_user, password, authenticator):
    budi = make_user("budi")
    sign_in(client, "budi", password)
    prove_account_email(client)
    assert register(client, authenticator).status_code == 200
    client.post("/accounts/logout/")
    make_user("ani")
    sign_in(client, "ani", password)
    prove_account_email(client)
    response = register(client, authenticator)
    assert response.status_code == 400
    assert Passkey.objects.get().user == budi


@pytest.mark.parametrize("name", ["", "   ", "x" * 65])
def test_a_device_needs_a_sensible_name(signed_in, name):
    response = post_json(signed_in, REGISTER_OPTIONS, {"name": name})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_name"


def test_registering_needs_a_recent_sign_in(signed_in):
    reauth = reverse("mfa:reauth")
    with time_machine.travel(time.time() + 11 * 60, tick=False):
        response = post_json(signed_in, REGISTER_OPTIONS, {"name": "Laptop"})
    assert response.status_code == 403
    assert response.json()["redirect"] == f"{reauth}?next=%2Fsecurity%2Fpasskeys%2Fregister%2F"


def test_signed_out_people_get_no_options(client, db):
    response = post_json(client, REGISTER_OPTIONS, {"name": "Laptop"})
    assert response.status_code == 401
    assert client.get("/security/passkeys/").status_code == 302


def test_the_password_alone_registers_no_passkey(password_only, authenticator, user):
    """NIST SP 800-63B §6.1.2.1: a first factor needs the account e-mail proof (mfa.binding);
    Save New Device's endpoints send the script there, and nothing is stored."""
    proof_page = "/security/confirm-account/?next=%2Fsecurity%2Fpasskeys%2Fregister%2F"
    refused = post_json(password_only, REGISTER_OPTIONS, {"name": "Laptop"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "proof_required"
    assert refused.json()["redirect"] == proof_page
    assert "confirm it is you with a code sent to your e-mail" in refused.json()["message"]
    verify = post_json(password_only, REGISTER_VERIFY, {"name": "Laptop", "credential": {}})
    assert verify.status_code == 403 and verify.json()["redirect"] == proof_page
    assert password_only.post("/security/passkeys/register/", {"name": "L"})["Location"] == (
        proof_page
    )
    assert not Passkey.objects.exists()

    prove_account_email(password_only, "/security/passkeys/register/")
    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert register(password_only, authenticator, "Laptop").status_code == 200
    assert Passkey.objects.get(user=user).name == "Laptop"
    assert "A passkey was registered on your account." in mail.outbox[-1].body


def name_field_value(page) -> str:
    field = re.search(r'<input[^>]*name="name"[^>]*>', page.text).group(0)
    value = re.search(r'value="([^"]*)"', field)
    return value.group(1) if value else ""


def test_the_device_name_is_asked_once_across_the_account_email_proof(password_only):
    """Save New Device sends a password-only session to the account e-mail proof: back on the
    name step, the name typed before is there, not asked again."""
    refused = post_json(password_only, REGISTER_OPTIONS, {"name": "Laptop kantor"})
    assert refused.json()["error"] == "proof_required"
    prove_account_email(password_only, "/security/passkeys/register/")
    assert name_field_value(password_only.get("/security/passkeys/register/")) == "Laptop kantor"
    # Shown once: a later visit of the name step starts empty.
    assert name_field_value(password_only.get("/security/passkeys/register/")) == ""


def test_the_device_name_is_kept_across_a_fresh_sign_in(signed_in):
    with time_machine.travel(time.time() + 11 * 60, tick=False):
        refused = post_json(signed_in, REGISTER_OPTIONS, {"name": "My phone"})
    assert refused.json()["error"] == "reauth_required"
    page = signed_in.get("/security/passkeys/register/")
    assert name_field_value(page) == "My phone"


@pytest.mark.django_db(transaction=True)
def test_an_account_deleted_while_its_passkey_is_verified_is_signed_out(
    signed_in, authenticator, user, monkeypatch
):
    """The passkey's row referred to an account an admin deleted during Save New Device: the
    answer was "This passkey is already registered.", for a key never seen, and the person
    stayed on a page of an account that no longer exists."""
    from mfa.passkeys import registration

    verify = registration.verify_registration_response

    def deleted_then_verified(**kwargs):
        user.__class__.objects.filter(pk=user.pk).delete()
        return verify(**kwargs)

    monkeypatch.setattr(registration, "verify_registration_response", deleted_then_verified)
    response = register(signed_in, authenticator)
    assert response.status_code == 401
    assert response.json()["error"] == "signed_out"
    assert response.json()["message"] == "Your sign-in has expired. Please sign in again."
    assert response.json()["redirect"] == "/accounts/login/"
    assert not Passkey.objects.exists()
    page = signed_in.get("/accounts/login/")
    assert "Your sign-in has expired. Please sign in again." in page.text
    assert "_auth_user_id" not in signed_in.session
