"""What a SCIM change does to the person: sign-out everywhere, deletion, invitations, e-mail."""

import pytest
from django.core import mail
from django.test import Client, TestCase

from accounts.lifecycle import pseudonym
from accounts.models import AuditEvent, User
from mfa.models import EmailDevice
from tests.accounts.test_lifecycle import _signed_in_with_tokens, rp_logout_endpoint  # noqa: F401
from tests.oidc.conftest import make_app, oidc_provider_settings, rsa_private_key  # noqa: F401
from tests.oidc.helpers import basic_auth

from .conftest import PATCH_OP, USER_SCHEMA, new_user

pytestmark = pytest.mark.django_db

DEACTIVATE = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}


def _scim_id(scim, username: str) -> str:
    found = scim.client.get(
        "/scim/v2/Users", {"filter": f'userName eq "{username}"'}, headers=scim.headers
    )
    return found.json()["Resources"][0]["id"]


def test_active_false_signs_the_person_out_of_every_app_at_once(
    scim,
    user,
    password,
    make_app,  # noqa: F811
    rp_logout_endpoint,  # noqa: F811
):
    uri, received = rp_logout_endpoint
    make_app(backchannel_logout_uri=uri)
    browser, tokens = _signed_in_with_tokens(user, password)
    assert browser.get("/").status_code == 200

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = scim.patch(f"Users/{_scim_id(scim, 'ani')}", DEACTIVATE)

    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert len(received) == 1  # the app's back-channel logout endpoint was called
    assert browser.get("/")["Location"].startswith("/accounts/login/")
    refreshed = Client().post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic_auth(),
    )
    assert refreshed.status_code == 400
    event = AuditEvent.objects.get(kind="account.deactivated")
    assert event.details["reason"] == "SCIM provisioning by academic records"

    again = scim.patch(
        f"Users/{_scim_id(scim, 'ani')}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": True}]},
    )
    assert again.status_code == 200
    assert User.objects.get(username="ani").is_active
    assert AuditEvent.objects.filter(kind="account.reactivated").count() == 1


def test_delete_pseudonymises_like_self_deletion(scim, user, password, make_app):  # noqa: F811
    make_app()
    browser, _ = _signed_in_with_tokens(user, password)
    pk = user.pk
    scim_id = _scim_id(scim, "ani")
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert scim.delete(f"Users/{scim_id}").status_code == 204
    assert not User.objects.filter(pk=pk).exists()
    alias = pseudonym(pk)
    assert AuditEvent.objects.filter(username=alias, kind="account.deleted").exists()
    assert not AuditEvent.objects.filter(username="ani").exists()
    assert scim.get(f"Users/{scim_id}").status_code == 404
    assert browser.get("/")["Location"].startswith("/accounts/login/")


def test_a_client_that_asks_for_invitations_gets_them_mailed(scim, provisioning_client):
    provisioning_client.send_invitations = True
    provisioning_client.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert scim.post("Users", new_user("gita")).status_code == 201
    assert [m.to for m in mail.outbox] == [["gita@example.com"]]
    assert "http" in mail.outbox[0].body  # an absolute link to set the password
    assert AuditEvent.objects.filter(kind="invitation.sent", username="gita").exists()


def test_no_invitation_unless_asked_or_policy(scim, settings):
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert scim.post("Users", new_user("hadi")).status_code == 201
    assert mail.outbox == []
    settings.PROVISIONING_INVITE_NEW_USERS = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert scim.post("Users", new_user("indra")).status_code == 201
    assert [m.to for m in mail.outbox] == [["indra@example.com"]]


@pytest.mark.parametrize("trusted", [True, False])
def test_a_changed_address_is_verified_only_from_a_trusted_client(
    scim, provisioning_client, user, trusted
):
    EmailDevice.objects.create(user=user, name="Email", email="ani@example.com", confirmed=True)
    provisioning_client.trusted_for_email = trusted
    provisioning_client.save()
    response = scim.patch(
        f"Users/{_scim_id(scim, 'ani')}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "replace", "path": "emails", "value": [{"value": "ani@new.example.org"}]}
            ],
        },
    )
    assert response.status_code == 200, response.content
    assert User.objects.get(pk=user.pk).email == "ani@new.example.org"
    factor = EmailDevice.objects.get(user=user)
    assert factor.email == ("ani@new.example.org" if trusted else "ani@example.com")


def test_staff_accounts_and_permission_groups_are_not_the_clients_to_change(scim, make_user, user):
    admin = make_user("root", is_staff=True, is_superuser=True)
    admin_id = _scim_id(scim, "root")
    assert scim.get(f"Users/{admin_id}").status_code == 200  # reading is fine
    refused = scim.patch(f"Users/{admin_id}", DEACTIVATE)
    assert refused.status_code == 403 and refused.json()["status"] == "403"
    assert scim.delete(f"Users/{admin_id}").status_code == 403
    admin.refresh_from_db()
    assert admin.is_active

    helpdesk = scim.client.get(
        "/scim/v2/Groups", {"filter": 'displayName eq "Helpdesk"'}, headers=scim.headers
    ).json()["Resources"][0]
    grant = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "add", "path": "members", "value": [{"value": _scim_id(scim, "ani")}]}
        ],
    }
    assert scim.patch(f"Groups/{helpdesk['id']}", grant).status_code == 403
    assert not user.groups.exists()
    assert scim.delete(f"Groups/{helpdesk['id']}").status_code == 403


def test_preferred_language_sets_the_accounts_language_and_reads_back_as_sent(scim):
    """RFC 7643 §4.1.1: an Accept-Language value. The account speaks the first language of it
    the portal has; the client reads back exactly what it wrote."""
    body = {"schemas": [USER_SCHEMA], "userName": "budi", "preferredLanguage": "id-ID, en;q=0.5"}
    created = scim.post("Users", body)
    assert created.status_code == 201, created.content
    assert created.json()["preferredLanguage"] == "id-ID, en;q=0.5"
    assert User.objects.get(username="budi").preferred_language == "id"

    scim_id = created.json()["id"]
    french = scim.put(f"Users/{scim_id}", {**body, "preferredLanguage": "fr-CA"})
    assert french.json()["preferredLanguage"] == "fr-CA"  # kept, though not spoken here
    assert User.objects.get(username="budi").preferred_language == "id"  # as it was

    scim.put(f"Users/{scim_id}", {**body, "preferredLanguage": "en-GB"})
    assert User.objects.get(username="budi").preferred_language == "en"


def test_preferred_language_reads_the_persons_own_later_choice(scim, password):
    created = scim.post(
        "Users", {"schemas": [USER_SCHEMA], "userName": "budi", "preferredLanguage": "en"}
    )
    User.objects.filter(username="budi").update(preferred_language="id")  # their Profile
    read = scim.get(f"Users/{created.json()['id']}")
    assert read.json()["preferredLanguage"] == "id"
    schema = scim.get(f"Schemas/{USER_SCHEMA}").json()
    assert "preferredLanguage" in {a["name"] for a in schema["attributes"]}
