"""A relying app in the tests, built only from Authlib (a client library that is not ours)."""

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from tests.oidc.conftest import CLIENT_SECRET, REDIRECT_URI


@dataclass
class RelyingParty:
    base_url: str
    client_id: str = "relying-app"
    client_secret: str | None = CLIENT_SECRET
    scope: str = "openid profile email"
    metadata: dict = field(default_factory=dict)
    code_verifier: str = ""
    nonce: str = ""

    def __post_init__(self) -> None:
        # The first request to a fresh live server loads the whole URL map: give it time.
        self.metadata = requests.get(
            f"{self.base_url}/.well-known/openid-configuration", timeout=60
        ).json()
        self.client = OAuth2Session(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.scope,
            redirect_uri=REDIRECT_URI,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic" if self.client_secret else "none",
        )

    def authorization_url(self, **params: str) -> str:
        """A fresh code + PKCE + nonce request; extra OIDC parameters (prompt, max_age...)."""
        self.code_verifier = generate_token(48)
        self.nonce = generate_token(20)
        url, _state = self.client.create_authorization_url(
            self.metadata["authorization_endpoint"],
            code_verifier=self.code_verifier,
            nonce=self.nonce,
            **params,
        )
        return url

    def fetch_token(self, authorization_response: str, **kwargs) -> dict:
        return self.client.fetch_token(
            self.metadata["token_endpoint"],
            authorization_response=authorization_response,
            code_verifier=kwargs.pop("code_verifier", self.code_verifier),
            **kwargs,
        )

    def id_token_claims(self, token: dict) -> CodeIDToken:
        """Verifies the ID token as Authlib's OpenID clients do: signature against the JWKS,
        then iss, aud, nonce, exp, iat and at_hash."""
        jwks = requests.get(self.metadata["jwks_uri"], timeout=10).json()
        decoded = jwt.decode(
            token["id_token"],
            key=KeySet.import_key_set(jwks),
            registry=JWSRegistry(algorithms=["RS256"]),
        )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {"iss": {"essential": True, "value": self.metadata["issuer"]}},
            {
                "nonce": self.nonce,
                "client_id": self.client_id,
                "access_token": token["access_token"],
            },
        )
        claims.validate(leeway=5)
        return claims


def sign_in_through(browser, rp: RelyingParty, user, password, **params) -> str:
    """From the app's authorize URL, through the portal's sign-in, back to the app."""
    response = browser.get(rp.authorization_url(**params))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/accounts/login/"
    next_url = parse_qs(urlsplit(response.headers["Location"]).query)["next"][0]
    back = browser.follow(browser.sign_in(user.username, password, next_url))
    location = back.headers["Location"]
    assert location.startswith(REDIRECT_URI), location
    return location
