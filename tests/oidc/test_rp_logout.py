"""RP-initiated logout, driven by two Authlib relying apps: the same answer however often an
app asks, for each app of the portal session, and nothing beyond that session."""

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError

from tests.conftest import led_to
from tests.oidc.conftest import POST_LOGOUT_URI, REDIRECT_URI, Browser
from tests.oidc.relying_party import RelyingParty, sign_in_through

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_apps(make_app):
    make_app(client_id="app-a", name="App A")
    make_app(client_id="app-b", name="App B")


def sso_token(browser, rp: RelyingParty) -> dict:
    """A second app signed in through the portal session (no password asked)."""
    callback = browser.get(rp.authorization_url()).headers["Location"]
    assert callback.startswith(REDIRECT_URI + "?code="), callback
    return rp.fetch_token(callback)


def logout(browser, rp: RelyingParty, token: dict, state: str) -> requests.Response:
    return browser.get(
        rp.metadata["end_session_endpoint"],
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": POST_LOGOUT_URI,
            "state": state,
        },
    )


def test_each_app_logs_out_with_its_own_genuine_hint(
    browser, live_server, two_apps, user, password
):
    rp_a = RelyingParty(live_server.url, client_id="app-a")
    rp_b = RelyingParty(live_server.url, client_id="app-b")
    token_a = rp_a.fetch_token(sign_in_through(browser, rp_a, user, password))
    token_b = sso_token(browser, rp_b)

    first = logout(browser, rp_a, token_a, "bye-a")
    assert first.status_code == 302
    assert first.headers["Location"] == f"{POST_LOGOUT_URI}?state=bye-a"

    # B's hint is as genuine as before A logged out: B gets its post-logout URI and state.
    second = logout(browser, rp_b, token_b, "bye-b")
    assert second.status_code == 302, second.text[:300]
    assert second.headers["Location"] == f"{POST_LOGOUT_URI}?state=bye-b"

    # And again: the same answer (idempotent), for either app.
    for rp, token, state in ((rp_a, token_a, "again-a"), (rp_b, token_b, "again-b")):
        again = logout(browser, rp, token, state)
        assert again.headers["Location"] == f"{POST_LOGOUT_URI}?state={state}"

    # The portal session ended, and with it what it gave every app.
    assert browser.get("/").headers["Location"].startswith("/accounts/login/")
    with pytest.raises(OAuthError, match="invalid_grant"):
        rp_b.client.refresh_token(rp_b.metadata["token_endpoint"], token_b["refresh_token"])


def test_logout_ends_only_the_session_the_hint_names(
    browser, live_server, two_apps, user, password
):
    """The same person signed in on a second device keeps that session's tokens."""
    rp_here = RelyingParty(live_server.url, client_id="app-a")
    token_here = rp_here.fetch_token(sign_in_through(browser, rp_here, user, password))
    with requests.Session() as session:
        phone = Browser(live_server.url, session)
        rp_phone = RelyingParty(live_server.url, client_id="app-a")
        token_phone = rp_phone.fetch_token(sign_in_through(phone, rp_phone, user, password))

        assert logout(browser, rp_here, token_here, "s").status_code == 302

        userinfo = requests.get(
            rp_phone.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {token_phone['access_token']}"},
            timeout=10,
        )
        assert userinfo.status_code == 200
        assert rp_phone.client.refresh_token(
            rp_phone.metadata["token_endpoint"], token_phone["refresh_token"]
        )["access_token"]
        assert phone.get("/").status_code == 200  # still signed in on the phone


def test_a_hint_from_an_earlier_session_asks_before_signing_out(
    browser, live_server, two_apps, user, password
):
    """RP-Initiated Logout §2: the OP MUST ask when the hint is not of the current session."""
    rp = RelyingParty(live_server.url, client_id="app-a")
    old_token = rp.fetch_token(sign_in_through(browser, rp, user, password))
    browser.post_form("/accounts/logout/", {})
    assert led_to(browser.sign_in(user.username, password)) == "/"
    sso_token(browser, rp)  # the new session signs in to the app too

    page = logout(browser, rp, old_token, "s")
    assert page.status_code == 200
    assert "Sign Out" in page.text
    assert browser.get("/").status_code == 200  # still signed in
