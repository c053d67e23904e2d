"""Client secrets: random, so hashed with a fast salted SHA-256, never Argon2 per token request."""

import base64

from tests.oidc.conftest import CLIENT_SECRET


def test_client_secrets_are_hashed_fast_and_still_authenticate(client, relying_app):
    relying_app.refresh_from_db()
    assert relying_app.client_secret.startswith("secret_sha256$")
    assert CLIENT_SECRET not in relying_app.client_secret

    def token_request(secret: str):
        basic = base64.b64encode(f"{relying_app.client_id}:{secret}".encode()).decode()
        return client.post(
            "/o/token/",
            {"grant_type": "authorization_code", "code": "no-such-code", "code_verifier": "x" * 43},
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )

    # The right secret authenticates the client: the code is what is refused.
    assert token_request(CLIENT_SECRET).json()["error"] == "invalid_grant"
    assert token_request(CLIENT_SECRET + "x").json()["error"] == "invalid_client"
