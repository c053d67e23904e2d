"""The whole code + PKCE flow, driven by Authlib against the live portal."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError

from sso.oidc.claims import ACR_PASSWORD
from tests.oidc.conftest import POST_LOGOUT_URI, REDIRECT_URI
from tests.oidc.relying_party import RelyingParty, sign_in_through

pytestmark = pytest.mark.django_db(transaction=True)


def test_code_flow_with_pkce_gives_a_verified_id_token(
    browser, live_server, relying_app, user, password
):
    rp = RelyingParty(live_server.url)
    callback = sign_in_through(browser, rp, user, password)
    # RFC 9207: the authorization response names the issuer.
    assert parse_qs(urlsplit(callback).query)["iss"] == [rp.metadata["issuer"]]

    token = rp.fetch_token(callback)
    claims = rp.id_token_claims(token)

    assert claims["sub"] == str(user.pk)
    assert claims["aud"] == "relying-app"
    assert claims["iss"] == live_server.url
    assert claims["amr"] == ["pwd"]
    assert claims["acr"] == ACR_PASSWORD
    assert abs(claims["auth_time"] - claims["iat"]) < 60
    assert claims["sid"]
    assert claims["email"] == user.email
    assert claims["preferred_username"] == user.username


def test_userinfo_refresh_revocation_and_logout(browser, live_server, relying_app, user, password):
    rp = RelyingParty(live_server.url)
    token = rp.fetch_token(sign_in_through(browser, rp, user, password))
    first_claims = rp.id_token_claims(token)

    userinfo = rp.client.get(rp.metadata["userinfo_endpoint"]).json()
    assert userinfo == {
        "sub": str(user.pk),
        "name": user.get_full_name(),
        "preferred_username": user.username,
        "email": user.email,
    }

    # Refresh tokens rotate: a new one each time, and the old one is dead.
    old_refresh = token["refresh_token"]
    refreshed = rp.client.refresh_token(rp.metadata["token_endpoint"])
    assert refreshed["refresh_token"] != old_refresh
    rp.nonce = None  # a refreshed ID token has no nonce
    refreshed_claims = rp.id_token_claims(refreshed)
    # OpenID Connect Core §12.2: the same sign-in, told the same way.
    for claim in ("sub", "auth_time", "amr", "acr", "sid"):
        assert refreshed_claims[claim] == first_claims[claim]
    with pytest.raises(OAuthError, match="invalid_grant"):
        rp.client.refresh_token(rp.metadata["token_endpoint"], refresh_token=old_refresh)

    # Replaying the old refresh token revoked its whole family (reuse protection).
    with pytest.raises(OAuthError, match="invalid_grant"):
        rp.client.refresh_token(
            rp.metadata["token_endpoint"], refresh_token=refreshed["refresh_token"]
        )

    # A new sign-in (single sign-on: no password asked) gives new tokens to revoke.
    response = browser.get(rp.authorization_url())
    callback = response.headers["Location"]
    assert callback.startswith(REDIRECT_URI)
    token = rp.fetch_token(callback)
    revoked = rp.client.revoke_token(
        rp.metadata["revocation_endpoint"], token=token["access_token"]
    )
    assert revoked.status_code == 200
    assert rp.client.get(rp.metadata["userinfo_endpoint"]).status_code in (401, 403)

    # RP-initiated logout returns to the registered URI with the state, and ends the session.
    response = browser.get(
        rp.metadata["end_session_endpoint"],
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": POST_LOGOUT_URI,
            "state": "bye",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{POST_LOGOUT_URI}?state=bye"
    home = browser.get("/")
    assert urlsplit(home.headers["Location"]).path == "/accounts/login/"


def test_public_client_must_use_pkce(browser, live_server, make_app, user, password):
    make_app(client_id="spa", client_type="public", client_secret="")
    rp = RelyingParty(live_server.url, client_id="spa", client_secret=None)
    token = rp.fetch_token(sign_in_through(browser, rp, user, password))
    assert rp.id_token_claims(token)["aud"] == "spa"

    without_pkce = rp.client.create_authorization_url(
        rp.metadata["authorization_endpoint"], nonce="n"
    )[0].replace("code_challenge", "x_code_challenge")
    response = browser.get(without_pkce)
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == ["invalid_request"]


def test_discovery_tells_apps_what_the_portal_does(live_server):
    metadata = requests.get(
        f"{live_server.url}/.well-known/openid-configuration", timeout=10
    ).json()
    assert metadata["issuer"] == live_server.url
    assert metadata["jwks_uri"] == f"{live_server.url}/o/.well-known/jwks.json"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["id_token_signing_alg_values_supported"][0] == "RS256"
    assert "acr" in metadata["claims_supported"]
    assert len(metadata["acr_values_supported"]) == 3
    assert metadata["backchannel_logout_supported"] is True
    for endpoint in ("end_session_endpoint", "revocation_endpoint", "introspection_endpoint"):
        assert metadata[endpoint].startswith(live_server.url)
