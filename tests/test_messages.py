"""Django's messages through the portal's MessageMiddleware (sso/middleware.py), which builds
the message storage only for a request that uses it: a message added before a redirect is
shown on the next page, once; a request that uses no message stores none."""

import pytest
from django.test import Client

from tests.conftest import led_to, sign_in

pytestmark = pytest.mark.django_db

SAVED = "Your profile was saved."


@pytest.fixture
def browser(user, password) -> Client:
    client = Client()
    assert led_to(sign_in(client, user.username, password)) == "/"
    return client


def test_a_message_added_before_a_redirect_is_shown_on_the_next_page_once(browser):
    response = browser.post(
        "/accounts/profile/", {"full_name": "Ani Rahma", "preferred_language": "en"}
    )
    assert response.status_code == 302
    assert SAVED not in response.content.decode()
    assert SAVED in browser.get(response["Location"]).content.decode()
    assert SAVED not in browser.get(response["Location"]).content.decode()  # shown once


def test_requests_that_use_no_message_store_none(browser):
    for path in ("/", "/accounts/profile/", "/no-such-page/"):
        response = browser.get(path)
        assert "messages" not in response.cookies
        assert "_messages" not in browser.session


def test_a_page_listing_no_message_builds_no_storage(browser):
    """base.html lists the messages on every page: with none added and none stored, the
    listing is empty without building the storage (its cookie signer, its session part)."""
    from django.utils.functional import empty

    response = browser.get("/")
    assert response.status_code == 200
    assert 'class="message message-' not in response.content.decode()
    assert response.wsgi_request._messages._wrapped is empty
