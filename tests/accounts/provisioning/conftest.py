"""Fixtures for the SCIM tests: a provisioning client with its bearer token."""

import pytest

from accounts.provisioning.models import ProvisioningClient
from accounts.provisioning.tokens import issue_token

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def provisioning_client(db) -> ProvisioningClient:
    return ProvisioningClient.objects.create(name="academic records", requests_per_minute=100000)


@pytest.fixture
def scim_token(provisioning_client) -> str:
    return issue_token(provisioning_client)


class Scim:
    """Django's test client speaking SCIM with a bearer token."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, body=None, headers=None, raw: bytes | None = None):
        import json

        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs = {"content_type": SCIM} if data is not None else {}
        return getattr(self.client, method)(
            "/scim/v2/" + path, data=data, headers={**self.headers, **(headers or {})}, **kwargs
        )

    def get(self, path: str, **kw):
        return self._call("get", path, **kw)

    def post(self, path: str, body=None, **kw):
        return self._call("post", path, body, **kw)

    def put(self, path: str, body=None, **kw):
        return self._call("put", path, body, **kw)

    def patch(self, path: str, body=None, **kw):
        return self._call("patch", path, body, **kw)

    def delete(self, path: str, **kw):
        return self._call("delete", path, **kw)


@pytest.fixture
def scim(client, scim_token) -> Scim:
    return Scim(client, scim_token)


def new_user(username: str = "budi", **extra) -> dict:
    return {
        "schemas": [USER_SCHEMA],
        "userName": username,
        "displayName": username.title(),
        "emails": [{"value": f"{username}@example.com", "primary": True, "type": "work"}],
        **extra,
    }
