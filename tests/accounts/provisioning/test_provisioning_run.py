"""A provisioning run as a system of record does it, with scim2-client (not our code): 1,000
users and 50 groups over HTTP against a live portal, then the database is checked."""

import httpx2
import pytest
from django.contrib.auth.models import Group as DjangoGroup
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import (
    Email,
    EnterpriseUser,
    Group,
    GroupMember,
    Name,
    PatchOp,
    PatchOperation,
    SearchRequest,
    User,
)

from accounts.models import AuditEvent
from accounts.models import User as PortalUser
from accounts.provisioning.models import ScimUser

USERS, GROUPS = 1000, 50


@pytest.mark.django_db(transaction=True)
def test_a_thousand_users_and_fifty_groups(live_server, scim_token):
    http = httpx2.Client(
        base_url=f"{live_server.url}/scim/v2",
        headers={"Authorization": f"Bearer {scim_token}"},
        timeout=30,
    )
    scim = SyncSCIMClient(http)
    scim.discover()
    UserModel = scim.get_resource_model("User")
    assert UserModel is not None

    ids: list[str] = []
    for n in range(USERS):
        user = User[EnterpriseUser](
            user_name=f"mhs{n:04d}",
            external_id=f"NIM-{n:04d}",
            name=Name(given_name=f"Mahasiswa {n}", family_name="Unram"),
            display_name=f"Mahasiswa {n} Unram",
            emails=[Email(value=f"mhs{n:04d}@student.example.ac.id", primary=True)],
            active=True,
        )
        user[EnterpriseUser] = EnterpriseUser(
            employee_number=f"{n:06d}", department=f"Fakultas {n % 10}"
        )
        created = scim.create(user)
        ids.append(created.id)

    group_ids = []
    for g in range(GROUPS):
        members = [GroupMember(value=ids[i]) for i in range(g, USERS, GROUPS)]
        created = scim.create(Group(display_name=f"Kelas {g:02d}", members=members))
        group_ids.append(created.id)

    # The system of record then drops ten people and renames one class.
    for n in range(10):
        scim.modify(
            User[EnterpriseUser],
            ids[n],
            PatchOp[User[EnterpriseUser]](
                operations=[
                    PatchOperation(op=PatchOperation.Op.replace_, path="active", value=False)
                ]
            ),
        )
    found = scim.query(
        User[EnterpriseUser], query_parameters=SearchRequest(filter='userName eq "MHS0999"')
    )
    assert [u.user_name for u in found.resources] == ["mhs0999"]

    provisioned = PortalUser.objects.filter(username__startswith="mhs")
    assert provisioned.count() == USERS
    assert provisioned.filter(is_active=False).count() == 10
    assert not any(u.has_usable_password() for u in provisioned)
    sample = PortalUser.objects.get(username="mhs0123")
    assert (sample.email, sample.full_name) == (
        "mhs0123@student.example.ac.id",
        "Mahasiswa 123 Unram",
    )
    row = ScimUser.objects.get(user=sample)
    assert (row.external_id, row.employee_number, row.department) == (
        "NIM-0123",
        "000123",
        "Fakultas 3",
    )
    assert str(row.scim_id) == ids[123]
    groups = DjangoGroup.objects.filter(name__startswith="Kelas")
    assert groups.count() == GROUPS
    assert all(g.user_set.count() == USERS // GROUPS for g in groups)
    assert set(
        DjangoGroup.objects.get(name="Kelas 07").user_set.values_list("username", flat=True)
    ) == {f"mhs{i:04d}" for i in range(7, USERS, GROUPS)}
    assert AuditEvent.objects.filter(kind="provisioning.scim", result="success").count() >= (
        USERS + GROUPS + 10
    )
