"""prompt=login and max_age ask for a fresh sign-in; they never sign anyone out.

A link to /o/authorize?prompt=login can come from any site (a cross-site GET): it shows the
sign-in page, and the portal session goes on untouched until a new sign-in completes, which
then replaces it and answers the app (OpenID Connect Core §3.1.2.1). Driven by Authlib."""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.oidc.conftest import REDIRECT_URI, Browser
from tests.oidc.relying_party import RelyingParty, sign_in_through

pytestmark = pytest.mark.django_db(transaction=True)


def userinfo_status(rp: RelyingParty, token: dict) -> int:
    return requests.get(
        rp.metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    ).status_code


@pytest.mark.parametrize("params", [{"prompt": "login"}, {"max_age": "0"}])
def test_a_cross_site_link_does_not_end_the_session(
    browser: Browser, live_server, relying_app, user, password, params
):
    rp = RelyingParty(live_server.url)
    token = rp.fetch_token(sign_in_through(browser, rp, user, password))
    cookie = browser.session.cookies.get("sessionid") or dict(browser.session.cookies)

    # Another site links to the authorize endpoint with prompt=login (or max_age=0).
    asked = browser.get(rp.authorization_url(**params))
    assert asked.headers["Location"].startswith("/accounts/login/?next=")
    assert browser.get(asked.headers["Location"]).status_code == 200  # the sign-in page

    # The person walks away: still signed in, the apps' tokens alive, the same session.
    assert browser.get("/").status_code == 200
    assert userinfo_status(rp, token) == 200
    assert rp.client.refresh_token(rp.metadata["token_endpoint"], token["refresh_token"])
    assert (browser.session.cookies.get("sessionid") or dict(browser.session.cookies)) == cookie


@pytest.mark.parametrize("params", [{"prompt": "login"}, {"max_age": "0"}])
def test_the_new_sign_in_replaces_the_session_and_answers_the_app(
    browser: Browser, live_server, relying_app, user, password, params
):
    rp = RelyingParty(live_server.url)
    first = rp.id_token_claims(rp.fetch_token(sign_in_through(browser, rp, user, password)))

    asked = browser.get(rp.authorization_url(**params))
    next_url = parse_qs(urlsplit(asked.headers["Location"]).query)["next"][0]
    # Until the sign-in completes, the request is not answered.
    assert browser.get(next_url).headers["Location"].startswith("/accounts/login/")
    before = dict(browser.session.cookies)
    back = browser.follow(browser.sign_in(user.username, password, next_url))
    callback = back.headers["Location"]
    assert callback.startswith(REDIRECT_URI + "?code="), callback
    assert dict(browser.session.cookies) != before  # a new session key (no fixation)

    claims = rp.id_token_claims(rp.fetch_token(callback))
    assert claims["sub"] == first["sub"]
    assert claims["auth_time"] >= first["auth_time"]


def test_another_account_may_sign_in_afresh(
    browser: Browser, live_server, relying_app, user, make_user, password
):
    """The fresh sign-in may be someone else's (a shared computer): the app gets them."""
    other = make_user("budi")
    rp = RelyingParty(live_server.url)
    rp.fetch_token(sign_in_through(browser, rp, user, password))
    asked = browser.get(rp.authorization_url(prompt="login"))
    next_url = parse_qs(urlsplit(asked.headers["Location"]).query)["next"][0]
    back = browser.follow(browser.sign_in("budi", password, next_url))
    assert back.headers["Location"].startswith(REDIRECT_URI + "?code=")
    claims = rp.id_token_claims(rp.fetch_token(back.headers["Location"]))
    assert claims["sub"] == str(other.pk)
