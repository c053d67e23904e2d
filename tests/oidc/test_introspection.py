"""Token introspection (RFC 7662) for confidential clients, about their own tokens."""

import pytest

from tests.conftest import sign_in
from tests.oidc.helpers import basic_auth, exchange, get_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_token(client, relying_app, user, password) -> str:
    sign_in(client, user.username, password)
    code, verifier = get_code(client)
    return exchange(client, code, verifier).json()["access_token"]


def test_a_confidential_client_introspects_its_token(client, access_token, user):
    response = client.post(
        "/o/introspect/", {"token": access_token}, HTTP_AUTHORIZATION=basic_auth()
    )
    assert response.status_code == 200
    data = response.json()
    assert data["active"] is True
    assert data["client_id"] == "relying-app"
    assert data["username"] == user.username


def test_another_clients_token_is_inactive(client, make_app, access_token):
    make_app(client_id="other-app", name="Other")
    response = client.post(
        "/o/introspect/", {"token": access_token}, HTTP_AUTHORIZATION=basic_auth("other-app")
    )
    assert response.json() == {"active": False}


def test_public_clients_and_strangers_are_refused(client, make_app, access_token):
    make_app(client_id="spa", client_type="public", client_secret="")
    for headers in ({}, {"HTTP_AUTHORIZATION": basic_auth("spa", "")}):
        response = client.post("/o/introspect/", {"token": access_token}, **headers)
        assert response.status_code == 401
    wrong = client.post(
        "/o/introspect/", {"token": access_token}, HTTP_AUTHORIZATION=basic_auth(secret="x")
    )
    assert wrong.status_code == 401
