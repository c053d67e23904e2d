"""scim2-tester (an implementation that is not ours) checks /scim/v2/ against RFC 7643/7644."""

import httpx2
import pytest
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


@pytest.mark.django_db(transaction=True)
def test_scim2_tester_finds_no_error(live_server, scim_token):
    http = httpx2.Client(
        base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {scim_token}"}
    )
    results = check_server(SyncSCIMClient(http))
    errors = [
        f"{r.title} [{r.resource_type}]: {r.reason}" for r in results if r.status == Status.ERROR
    ]
    assert results
    assert errors == [], "\n".join(errors)
    passed = {r.title for r in results if r.status == Status.SUCCESS}
    # Discovery, the whole life of a user and of a group, and PATCH on their attributes ran.
    assert {"object_creation", "object_query", "object_replacement", "object_deletion"} <= passed
