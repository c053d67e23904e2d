"""/scim/v2/ as a provisioning client sees it: tokens, CRUD, filters, PATCH, ETags, errors."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import AuditEvent, User
from accounts.provisioning.models import ProvisioningClient, ScimUser

from .conftest import ENTERPRISE, ERROR, PATCH_OP, new_user


def _error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    return body


@pytest.mark.django_db
def test_scim_token_command_prints_a_token_stored_only_as_a_digest(capsys, client):
    call_command("scim_token", "hr-system")
    token = capsys.readouterr().out.strip()
    stored = ProvisioningClient.objects.get(name="hr-system")
    assert token.startswith("scim_") and len(token) > 40
    assert token not in stored.token_digest and stored.token_hint == token[:12]
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200

    call_command("scim_token", "hr-system", requests_per_minute=30)  # the old token dies
    capsys.readouterr()
    assert ProvisioningClient.objects.get(name="hr-system").requests_per_minute == 30
    response = client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"})
    _error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic YWRtaW46YWRtaW4=", "Bearer "])
def test_calls_without_a_valid_token_are_refused_and_audited(client, header):
    headers = {"Authorization": header} if header else {}
    _error(client.get("/scim/v2/Users", headers=headers), 401)
    event = AuditEvent.objects.get(kind="provisioning.scim")
    assert event.result == "refused" and event.details["status"] == "401"


@pytest.mark.django_db
def test_an_inactive_client_or_an_address_outside_its_allow_list_is_refused(
    scim, provisioning_client
):
    provisioning_client.allowed_networks = "10.0.0.0/8\n192.0.2.7"
    provisioning_client.save()
    _error(scim.get("Users"), 403)  # the test client calls from 127.0.0.1
    provisioning_client.allowed_networks = "127.0.0.0/8"
    provisioning_client.save()
    assert scim.get("Users").status_code == 200
    provisioning_client.is_active = False
    provisioning_client.save()
    _error(scim.get("Users"), 401)


@pytest.mark.django_db
def test_an_expired_token_is_refused(scim, provisioning_client, settings):
    assert provisioning_client.token_expires_at is not None  # PROVISIONING_TOKEN_DAYS
    assert scim.get("Users").status_code == 200
    with time_machine.travel(provisioning_client.token_expires_at + timedelta(seconds=1)):
        _error(scim.get("Users"), 401)


@pytest.mark.django_db
def test_rate_limit_answers_429(scim, provisioning_client):
    provisioning_client.requests_per_minute = 3
    provisioning_client.save()
    assert [scim.get("Users").status_code for _ in range(3)] == [200, 200, 200]
    response = scim.get("Users")
    _error(response, 429)
    assert response["Retry-After"] == "60"


@pytest.mark.django_db
def test_create_read_filter_and_delete_a_user(scim, provisioning_client):
    body = new_user(
        "budi",
        externalId="nim-1001",
        name={"givenName": "Budi", "familyName": "Santoso"},
        **{"schemas": [new_user()["schemas"][0], ENTERPRISE]},
        **{ENTERPRISE: {"employeeNumber": "1001", "department": "Informatika"}},
    )
    created = scim.post("Users", body)
    assert created.status_code == 201, created.content
    document = created.json()
    assert created["Location"] == document["meta"]["location"]
    assert created["ETag"] == document["meta"]["version"]
    user = User.objects.get(username="budi")
    assert user.email == "budi@example.com" and user.full_name == "Budi"
    assert not user.has_usable_password()
    row = ScimUser.objects.get(user=user)
    assert (row.external_id, row.employee_number, row.department) == (
        "nim-1001",
        "1001",
        "Informatika",
    )
    assert row.client == provisioning_client
    assert document[ENTERPRISE] == {"employeeNumber": "1001", "department": "Informatika"}

    for query in (
        'userName eq "BUDI"',
        'emails.value eq "budi@example.com"',
        'externalId eq "nim-1001"',
        'meta.lastModified gt "2000-01-01T00:00:00Z"',
    ):
        found = (
            scim.get("Users", data=None)
            if False
            else scim.client.get("/scim/v2/Users", {"filter": query}, headers=scim.headers)
        )
        assert found.status_code == 200, (query, found.content)
        assert [r["userName"] for r in found.json()["Resources"]] == ["budi"], query
    none = scim.client.get(
        "/scim/v2/Users",
        {"filter": 'meta.lastModified gt "2999-01-01T00:00:00Z"'},
        headers=scim.headers,
    )
    assert none.json()["totalResults"] == 0

    assert scim.delete(f"Users/{document['id']}").status_code == 204
    _error(scim.get(f"Users/{document['id']}"), 404)
    assert not User.objects.filter(username="budi").exists()
    events = AuditEvent.objects.filter(kind="provisioning.scim", result="success")
    assert {e.details["client"] for e in events} == {"academic records"}
    assert any(e.details["operation"] == "POST /scim/v2/Users" for e in events)


@pytest.mark.django_db
@pytest.mark.parametrize("twin", ["SITI", "\uff33\uff29\uff34\uff29", "s\u0131t\u0131"])
def test_two_usernames_that_fold_the_same_are_one_account(scim, twin):
    assert scim.post("Users", new_user("siti")).status_code == 201
    body = _error(scim.post("Users", new_user(twin)), 409, "uniqueness")
    assert "already exists" in body["detail"]
    assert User.objects.count() == 1
    found = scim.client.get(
        "/scim/v2/Users", {"filter": f'userName eq "{twin}"'}, headers=scim.headers
    )
    assert [r["userName"] for r in found.json()["Resources"]] == ["siti"]


@pytest.mark.django_db
def test_pagination(scim):
    for i in range(5):
        assert scim.post("Users", new_user(f"user{i}")).status_code == 201
    page = scim.client.get(
        "/scim/v2/Users", {"startIndex": 2, "count": 2}, headers=scim.headers
    ).json()
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["userName"] for r in page["Resources"]] == ["user1", "user2"]


@pytest.mark.django_db
def test_patch_replace_active_and_enterprise_attributes(scim):
    created = scim.post("Users", new_user("dewi")).json()
    response = scim.patch(
        f"Users/{created['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [
                {"op": "Replace", "path": "active", "value": False},
                {"op": "add", "path": f"{ENTERPRISE}:department", "value": "Hukum"},
                {"op": "replace", "path": 'emails[type eq "work"].value', "value": "d@example.org"},
            ],
        },
    )
    assert response.status_code == 200, response.content
    user = User.objects.get(username="dewi")
    assert not user.is_active and user.email == "d@example.org"
    assert user.scim.department == "Hukum"
    assert response.json()["active"] is False


@pytest.mark.django_db
def test_etags_guard_writes(scim):
    created = scim.post("Users", new_user("eka"))
    user_id, etag = created.json()["id"], created["ETag"]
    assert scim.get(f"Users/{user_id}", headers={"If-None-Match": etag}).status_code == 304
    replaced = scim.put(
        f"Users/{user_id}", new_user("eka", displayName="Eka Putri"), headers={"If-Match": etag}
    )
    assert replaced.status_code == 200 and replaced["ETag"] != etag
    stale = scim.put(
        f"Users/{user_id}", new_user("eka", displayName="Old"), headers={"If-Match": etag}
    )
    _error(stale, 412)
    assert User.objects.get(username="eka").full_name == "Eka Putri"


@pytest.mark.django_db
def test_groups_with_members(scim):
    ani = scim.post("Users", new_user("ani")).json()
    group = scim.post(
        "Groups",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Dosen",
            "members": [{"value": ani["id"]}],
        },
    )
    assert group.status_code == 201, group.content
    assert list(Group.objects.get(name="Dosen").user_set.values_list("username", flat=True)) == [
        "ani"
    ]
    assert scim.get(f"Users/{ani['id']}").json()["groups"][0]["display"] == "Dosen"
    removed = scim.patch(
        f"Groups/{group.json()['id']}",
        {
            "schemas": [PATCH_OP],
            "Operations": [{"op": "remove", "path": f'members[value eq "{ani["id"]}"]'}],
        },
    )
    assert removed.status_code == 200, removed.content
    assert not Group.objects.get(name="Dosen").user_set.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "raw", "status", "scim_type"),
    [
        ("post", "Users", b"{not json", 400, "invalidSyntax"),
        ("post", "Users", b"\xff\xfe", 400, "invalidSyntax"),
        ("post", "Users", b"[1, 2]", 400, "invalidSyntax"),
        (
            "post",
            "Users",
            json.dumps({**new_user(), "shoeSize": 42}).encode(),
            400,
            "invalidSyntax",
        ),
        (
            "post",
            "Users",
            json.dumps({**new_user(), "schemas": ["urn:x"]}).encode(),
            400,
            "invalidSyntax",
        ),
        (
            "post",
            "Users",
            json.dumps({**new_user(), "userName": "a b/c"}).encode(),
            400,
            "invalidValue",
        ),
        (
            "post",
            "Users",
            json.dumps({**new_user(), "active": "yes"}).encode(),
            400,
            "invalidValue",
        ),
        ("patch", "Users/{id}", json.dumps({"Operations": []}).encode(), 400, "invalidSyntax"),
        # JSON carries a NUL and an unpaired surrogate; no column stores either (was a 500).
        *(
            (method, path, json.dumps({**new_user(name), **body}).encode(), 400, "invalidValue")
            for method, path, name in (("post", "Users", "gita"), ("put", "Users/{id}", "fajar"))
            for body in (
                {"preferredLanguage": "id\x00"},
                {"displayName": "Fajar\x00"},
                {"externalId": "\ud800"},
                {"preferredLanguage": "\udfff, id"},
            )
        ),
        (
            "patch",
            "Users/{id}",
            json.dumps(
                {
                    "schemas": [PATCH_OP],
                    "Operations": [
                        {"op": "replace", "path": "preferredLanguage", "value": "id\x00"}
                    ],
                }
            ).encode(),
            400,
            "invalidValue",
        ),
        (
            "patch",
            "Users/{id}",
            json.dumps(
                {"schemas": [PATCH_OP], "Operations": [{"op": "jump", "path": "active"}]}
            ).encode(),
            400,
            "invalidValue",
        ),
        (
            "patch",
            "Users/{id}",
            json.dumps(
                {
                    "schemas": [PATCH_OP],
                    "Operations": [{"op": "replace", "path": "id", "value": "x"}],
                }
            ).encode(),
            400,
            "mutability",
        ),
    ],
)
def test_bad_bodies_get_scim_errors_and_write_nothing(scim, method, path, raw, status, scim_type):
    existing = scim.post("Users", new_user("fajar")).json()
    before = User.objects.count()
    response = scim._call(method, path.format(id=existing["id"]), raw=raw)
    _error(response, status, scim_type)
    assert User.objects.count() == before
    assert User.objects.get(username="fajar").is_active


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        'shoeSize eq "42"',
        'userName eq "a" and (' * 20 + 'userName eq "b"' + ")" * 20,
        "userName eq " + '"' + "a" * 2000 + '"',
        "userName xx",
        'meta.lastModified gt "yesterday"',
        'userName eq "fajar\x00"',  # no database compares with a NUL (was a 500)
    ],
)
def test_bad_filters_are_invalid_filter_errors(scim, query):
    response = scim.client.get("/scim/v2/Users", {"filter": query}, headers=scim.headers)
    _error(response, 400, "invalidFilter")


@pytest.mark.django_db
def test_a_10_mb_body_is_refused_with_413(scim):
    huge = json.dumps({**new_user(), "displayName": "x" * (10 * 1024 * 1024)}).encode()
    _error(scim._call("post", "Users", raw=huge), 413)
    assert not User.objects.filter(username="budi").exists()


@pytest.mark.django_db
def test_unknown_ids_and_endpoints_are_scim_404s(scim):
    _error(scim.get("Users/not-a-uuid"), 404)
    _error(scim.get("Users/1b4e28ba-2fa1-11d2-883f-0016d3cca427"), 404)
    _error(scim.get("Nothing/here"), 404)
    _error(scim.get("Bulk"), 501)


@pytest.mark.django_db
def test_a_user_deleted_while_it_is_replaced_is_not_found_and_not_made_again(scim, monkeypatch):
    """Deleted (by the admin, or another request) after the PUT read it, before its save:
    Django's save would have made the account anew, without its second factors; the portal's
    refuses (accounts.models.AccountDeleted), which SCIM answers as the 404 it is."""
    from accounts.provisioning import flows

    user_id = scim.post("Users", new_user("eka")).json()["id"]
    checked_username = flows._checked_username

    def deleted_then_checked(username, user):
        User.objects.filter(pk=user.pk).delete()
        return checked_username(username, user)

    monkeypatch.setattr(flows, "_checked_username", deleted_then_checked)
    response = scim.put(f"Users/{user_id}", new_user("eka", displayName="Eka Putri"))
    _error(response, 404)
    assert not User.objects.filter(full_name="Eka Putri").exists()
