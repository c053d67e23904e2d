"""Fixtures for the OpenID Connect provider: a signing key, registered apps, a browser."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from django.conf import settings as django_settings

from sso.oidc.keys import new_private_key_pem
from sso.oidc.models import Application

CLIENT_SECRET = "relying-app-secret-for-tests-only"
REDIRECT_URI = "http://rp.example.test/callback"
POST_LOGOUT_URI = "http://rp.example.test/signed-out"


@pytest.fixture(scope="session")
def rsa_private_key() -> str:
    return new_private_key_pem()


@pytest.fixture(autouse=True)
def oidc_provider_settings(settings, rsa_private_key) -> None:
    """A signing key of the test run's own, and http redirect URIs (the test apps use http)."""
    settings.OAUTH2_PROVIDER = {
        **django_settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": rsa_private_key,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    }


@pytest.fixture
def make_app(db):
    def make(**fields) -> Application:
        fields.setdefault("name", "Relying App")
        fields.setdefault("client_id", "relying-app")
        fields.setdefault("client_type", Application.CLIENT_CONFIDENTIAL)
        fields.setdefault("client_secret", CLIENT_SECRET)
        fields.setdefault("authorization_grant_type", Application.GRANT_AUTHORIZATION_CODE)
        fields.setdefault("redirect_uris", REDIRECT_URI)
        fields.setdefault("post_logout_redirect_uris", POST_LOGOUT_URI)
        fields.setdefault("algorithm", Application.RS256_ALGORITHM)
        fields.setdefault("skip_authorization", True)
        return Application.objects.create(**fields)

    return make


@pytest.fixture
def relying_app(make_app) -> Application:
    return make_app()


@dataclass
class Browser:
    """A person's browser against the live portal: a requests session that follows no
    redirect on its own, so each hop can be looked at."""

    base_url: str
    session: requests.Session

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.session.get(self._absolute(url), allow_redirects=False, timeout=10, **kwargs)

    def post_form(self, url: str, data: dict) -> requests.Response:
        """Posts a form of the portal with its CSRF token (read from the page, as a browser)."""
        page = self.get(url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, f"no CSRF token on {url}"
        data = {"csrfmiddlewaretoken": token.group(1), **data}
        return self.session.post(
            self._absolute(url),
            data=data,
            allow_redirects=False,
            timeout=10,
            headers={"Referer": self._absolute(url)},
        )

    def follow(self, response: requests.Response, until: str = "") -> requests.Response:
        """Follows portal redirects; stops at one that leaves the portal or starts with `until`."""
        while response.is_redirect:
            location = response.headers["Location"]
            target = self._absolute(location)
            if not target.startswith(self.base_url) or (until and location.startswith(until)):
                return response
            response = self.get(target)
        return response

    def sign_in(self, username: str, password: str, next_url: str = "") -> requests.Response:
        """The username-first pages, as a person walks them; returns the last redirect."""
        data = {"username": username}
        if next_url:
            data["next"] = next_url
        self.post_form("/accounts/login/", data)
        self.get("/accounts/login/method/")
        return self.post_form("/accounts/login/password/", {"password": password})

    def _absolute(self, url: str) -> str:
        return url if url.startswith("http") else self.base_url + url


@pytest.fixture
def browser(live_server) -> Iterator[Browser]:
    with requests.Session() as session:
        yield Browser(live_server.url, session)
