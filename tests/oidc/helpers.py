"""Small helpers for driving the provider with Django's test client."""

import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.oidc.conftest import CLIENT_SECRET, REDIRECT_URI


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(challenge: str, **extra: str) -> str:
    params = {
        "client_id": "relying-app",
        "response_type": "code",
        "scope": "openid profile email",
        "redirect_uri": REDIRECT_URI,
        "state": "state-1",
        "nonce": "nonce-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/o/authorize/?" + urlencode({k: v for k, v in params.items() if v is not None})


def query_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def basic_auth(client_id: str = "relying-app", secret: str = CLIENT_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def exchange(client, code: str, verifier: str, **extra: str):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **extra,
    }
    return client.post("/o/token/", data, HTTP_AUTHORIZATION=basic_auth())


def unverified_claims(jwt: str) -> dict:
    """The payload of a JWT, unverified (the Authlib tests verify signatures)."""
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def get_code(client, **extra: str) -> tuple[str, str]:
    """A signed-in client's authorization code and its PKCE verifier."""
    verifier, challenge = pkce_pair()
    response = client.get(authorize_url(challenge, **extra))
    assert response.status_code == 302, response.content[:500]
    query = query_of(response["Location"])
    assert "code" in query, response["Location"]
    return query["code"], verifier
