"""Deactivation, reactivation and deletion end everything at once and leave a trace."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

import pytest
from django.test import Client, TestCase
from joserfc import jwt
from joserfc.jwk import KeySet

from accounts import lifecycle
from accounts.models import AuditEvent, User
from mfa.models import TrustedDevice
from tests.conftest import led_to, sign_in
from tests.oidc.conftest import make_app, oidc_provider_settings, rsa_private_key  # noqa: F401
from tests.oidc.helpers import basic_auth, exchange, get_code
from tests.oidc.helpers import unverified_claims as claims_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def rp_logout_endpoint():
    """A relying app's back-channel logout endpoint: a real HTTP server recording posts."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append(parse_qs(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/backchannel-logout", received
    server.shutdown()


@pytest.fixture
def admin_user(make_user) -> User:
    return make_user("boss", is_staff=True, is_superuser=True)


def _signed_in_with_tokens(user, password):
    browser = Client()
    sign_in(browser, user.username, password)
    code, verifier = get_code(browser)
    tokens = exchange(browser, code, verifier).json()
    return browser, tokens


def test_deactivation_ends_sessions_tokens_and_app_sessions_at_once(
    make_app,  # noqa: F811 (the fixture imported above)
    user,
    password,
    admin_user,
    rp_logout_endpoint,
):
    uri, received = rp_logout_endpoint
    make_app(backchannel_logout_uri=uri)
    laptop, laptop_tokens = _signed_in_with_tokens(user, password)
    phone, _ = _signed_in_with_tokens(user, password)
    TrustedDevice.objects.create(user=user, token_hash="x" * 64, expires_at="2999-01-01T00:00:00Z")
    assert laptop.get("/").status_code == 200

    with TestCase.captureOnCommitCallbacks(execute=True):
        queued = lifecycle.deactivate_account(user, actor=admin_user, reason="left the agency")

    # Each portal session signed in to the app: one logout token per session.
    assert queued == 2
    assert len(received) == 2
    jwks = Client().get("/o/.well-known/jwks.json").json()
    sids = {
        jwt.decode(post["logout_token"][0], KeySet.import_key_set(jwks)).claims["sid"]
        for post in received
    }
    assert claims_of(laptop_tokens["id_token"])["sid"] in sids
    # Both browsers are signed out; the access and refresh tokens are dead.
    for browser in (laptop, phone):
        assert browser.get("/")["Location"].startswith("/accounts/login/")
    userinfo = Client().get(
        "/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {laptop_tokens['access_token']}"
    )
    assert userinfo.status_code == 401
    refreshed = Client().post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": laptop_tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic_auth(),
    )
    assert refreshed.status_code == 400
    assert not TrustedDevice.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.is_active is False
    event = AuditEvent.objects.get(kind="account.deactivated")
    assert event.user == user and event.actor == admin_user
    assert event.details["reason"] == "left the agency"
    # The password no longer signs in (the same message as a wrong password).
    page = sign_in(Client(), user.username, password)
    assert page.status_code == 200
    assert "Wrong username or password." in page.content.decode()


def test_reactivation_lets_the_person_sign_in_again(user, password, admin_user):
    lifecycle.deactivate_account(user, actor=admin_user, reason="on leave")
    lifecycle.reactivate_account(user, actor=admin_user, reason="back")
    assert led_to(sign_in(Client(), user.username, password)) == "/"
    assert AuditEvent.objects.filter(kind="account.reactivated", actor=admin_user).exists()


def test_deletion_keeps_the_audit_trail_under_a_pseudonym(user, password, admin_user, make_user):
    sign_in(Client(), user.username, "wrong password at first")
    sign_in(Client(), user.username, password)
    other = make_user("budi")
    sign_in(Client(), other.username, password)
    before = set(AuditEvent.objects.filter(user=user).values_list("pk", flat=True))
    user_id = user.pk
    assert len(before) >= 3

    alias = lifecycle.pseudonymise_and_delete(user, actor=admin_user, reason="asked to")

    assert not User.objects.filter(username="ani").exists()
    assert alias.startswith("deleted-") and "ani" not in alias
    assert not AuditEvent.objects.filter(username="ani").exists()
    kept = AuditEvent.objects.filter(username=alias)
    # Every earlier row, the deactivation and the deletion itself, all under the pseudonym.
    assert before <= set(kept.values_list("pk", flat=True))
    assert not kept.filter(user__isnull=False).exists()
    assert kept.filter(kind="account.deactivated", actor=admin_user).exists()
    assert kept.filter(kind="account.deleted", actor=admin_user).exists()
    assert AuditEvent.objects.filter(username="budi", user=other).count() >= 2
    # The same account always gets the same pseudonym; another account another one.
    assert lifecycle.pseudonym(user_id) == alias != lifecycle.pseudonym(other.pk)


def test_deletion_pseudonymises_every_spelling_of_the_name(user, admin_user, make_user):
    """Rows linked to no account keep what was typed: a refused password reset for "ANI" or
    full-width "\uff21\uff2e\uff29" names the same person as "ani" and must not keep it."""
    make_user("anita")
    for typed in ("ani", "ANI", "\uff21\uff2e\uff29", " Ani ", "anita"):
        Client().post(
            "/accounts/password/forgot/", {"username": typed, "email": "wrong@example.org"}
        )
    unlinked = AuditEvent.objects.filter(kind="password.reset_requested", user__isnull=True)
    assert unlinked.count() == 5

    alias = lifecycle.pseudonymise_and_delete(user, actor=admin_user, reason="asked to")

    assert sorted(unlinked.values_list("username", flat=True)) == sorted([alias] * 4 + ["anita"])
