"""ID tokens are signed by sso/oidc/id_tokens.py: the very bytes jwcrypto (DOT's way) makes,
verifiable with the key the JWKS publishes."""

import json

import pytest
from jwcrypto import jwk, jwt

from sso.oidc.id_tokens import rsa_signing_key, sign_rs256
from tests.conftest import sign_in
from tests.oidc.helpers import exchange, get_code

pytestmark = pytest.mark.django_db

CLAIMS = {
    "aud": "relying-app",
    "iat": 1_790_000_000,
    "at_hash": "x-_Y",
    "sub": "42",
    "name": "Siti Rahayu Şükür",  # not ASCII: escaped by json.dumps, as DOT's text
    "email": "siti@example.test",
    "iss": "https://sso.example.test",
    "exp": 1_790_003_600,
    "auth_time": 1_789_999_000,
    "jti": "8d0c0c3e-6b43-4a5e-9c7a-2f6c1f1b1a11",
    "amr": ["mfa", "otp", "pwd"],
    "nonce": "n-0S6_WzA2Mj",
}


def test_the_token_is_the_one_jwcrypto_signs(rsa_private_key):
    key = jwk.JWK.from_pem(rsa_private_key.encode())
    # DOT's finalize_id_token, as it hands the header and claims to jwcrypto.
    header = {"typ": "JWT", "alg": "RS256", "kid": key.thumbprint()}
    expected = jwt.JWT(header=json.dumps(header), claims=json.dumps(CLAIMS, default=str))
    expected.make_signed_token(key)
    assert sign_rs256(CLAIMS, rsa_private_key) == expected.serialize()


def test_the_key_is_parsed_once_per_process(rsa_private_key):
    assert rsa_signing_key(rsa_private_key) is rsa_signing_key(rsa_private_key)


def test_the_endpoint_token_verifies_with_the_published_key(client, relying_app, user, password):
    sign_in(client, user.username, password)
    code, verifier = get_code(client)
    id_token = exchange(client, code, verifier).json()["id_token"]
    published = client.get("/o/.well-known/jwks.json").content
    verified = jwt.JWT(jwt=id_token, key=jwk.JWKSet.from_json(published), expected_type="JWS")
    claims = json.loads(verified.claims)
    assert claims["sub"] == str(user.pk)
    assert claims["nonce"] == "nonce-1"
    kids = {key["kid"] for key in json.loads(published)["keys"]}
    assert json.loads(verified.header)["kid"] in kids
