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
