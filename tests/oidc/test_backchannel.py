"""Back-Channel Logout: the portal's sign-out reaches the apps the session signed in to."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from django.test import TestCase
from joserfc import jwt
from joserfc.jwk import KeySet

from sso.oidc.backchannel import BACKCHANNEL_LOGOUT_EVENT
from sso.oidc.models import SignInContext
from tests.conftest import sign_in
from tests.oidc.helpers import basic_auth, exchange, get_code
from tests.oidc.helpers import unverified_claims as claims_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rp_logout_endpoint():
    """A relying app's back-channel logout endpoint: a real HTTP server that records posts."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append({"type": self.headers["Content-Type"], **parse_qs(body)})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/backchannel-logout", received
    server.shutdown()


def test_portal_sign_out_posts_a_signed_logout_token(
    client, make_app, user, password, rp_logout_endpoint
):
    uri, received = rp_logout_endpoint
    make_app(backchannel_logout_uri=uri)
    make_app(client_id="no-backchannel", name="Other")
    sign_in(client, user.username, password)
    code, verifier = get_code(client)
    tokens = exchange(client, code, verifier).json()
    sid = claims_of(tokens["id_token"])["sid"]

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post("/accounts/logout/")

    assert len(received) == 1
    assert received[0]["type"] == "application/x-www-form-urlencoded"
    jwks = client.get("/o/.well-known/jwks.json").json()
    token = jwt.decode(received[0]["logout_token"][0], KeySet.import_key_set(jwks))
    assert token.header["typ"] == "logout+jwt"
    claims = token.claims
    assert claims["iss"] == "http://testserver"
    assert claims["aud"] == "relying-app"
    assert claims["sub"] == str(user.pk)
    assert claims["sid"] == sid
    assert claims["events"] == {BACKCHANNEL_LOGOUT_EVENT: {}}
    assert "nonce" not in claims

    # The session's refresh token died with it.
    refreshed = client.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic_auth(),
    )
    assert refreshed.status_code == 400
    assert SignInContext.objects.get().ended is not None


def test_an_unreachable_app_does_not_break_sign_out(client, make_app, user, password):
    make_app(backchannel_logout_uri="http://127.0.0.1:9/closed")
    sign_in(client, user.username, password)
    get_code(client)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_task_returns_quietly_when_the_row_is_gone(db):
    from sso.oidc.tasks import send_backchannel_logout

    assert send_backchannel_logout.apply(args=[12345]).successful()
