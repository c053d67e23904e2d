"""A relying app signs its user in through the portal (OpenID Connect) and out again.

The app is examples/relying_app (Authlib, code flow with PKCE), started in its own process
against the live portal, on another host name (127.0.0.1 vs localhost) so that cookies stay
apart as they would between two sites.
"""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from sso.oidc.models import Application
from tests.e2e.person import Person

APP = Path(__file__).resolve().parents[2] / "examples" / "relying_app" / "app.py"
SECRET = "e2e-relying-app-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, seconds: float = 15) -> None:
    """Waits for an app process started by a test to answer at ``url``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)


@pytest.fixture
def relying_app(live_server, transactional_db, tmp_path) -> Iterator[str]:
    rp = f"http://127.0.0.1:{free_port()}"
    Application.objects.create(
        name="Demo relying app",
        client_id="demo-rp",
        client_type=Application.CLIENT_CONFIDENTIAL,
        client_secret=SECRET,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=f"{rp}/callback",
        post_logout_redirect_uris=f"{rp}/signed-out",
        backchannel_logout_uri=f"{rp}/backchannel-logout",
        launch_url=f"{rp}/",
        skip_authorization=True,
    )
    env = {"PORTAL_URL": live_server.url, "RP_URL": rp, "CLIENT_ID": "demo-rp"}
    env["CLIENT_SECRET"] = SECRET
    log = (tmp_path / "rp.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(APP)], env={**env, "PATH": "/usr/bin:/bin"}, stdout=log, stderr=log
    )
    wait_until_up(rp)
    # The portal's first request imports its URL map and apps; on a busy machine that can take
    # longer than the app's 5-second read timeout for discovery. Warm it up first.
    requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=120)
    yield rp
    process.terminate()
    process.wait(timeout=10)


def test_a_relying_app_signs_in_and_out_through_the_portal(
    person: Person, relying_app: str, live_server, user, password
):
    page = person.page
    page.goto(relying_app)
    page.get_by_role("link", name="Sign in with the SSO portal").click()
    # The portal's own pages, as for any sign-in.
    person.sees_heading("Sign in")
    person.look()
    person.fill("Username", "ani")
    person.click("Next")
    person.choose_password()
    person.type_password(password)
    # Back in the app, which shows who signed in and how.
    expect(page.get_by_text("Signed in.")).to_be_visible()
    expect(page.get_by_role("row", name="preferred_username ani")).to_be_visible()
    expect(page.get_by_role("row", name="amr ['pwd']")).to_be_visible()

    # One portal session: Home lists the app, and opening it asks for no second sign-in.
    page.goto(live_server.url)
    person.is_home("Ani", shot="30-home-with-apps")
    page.get_by_role("link", name="Demo relying app").click()
    expect(page.get_by_text("Signed in.")).to_be_visible()

    # Signing out of the app signs out of the portal too (RP-initiated logout; the app's
    # id_token_hint vouches for the request, so the portal asks nothing).
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_text("Signed out of the portal and of this app.")).to_be_visible()
    page.goto(live_server.url)
    person.sees_heading("Sign in")
