"""An address asked for with a method it does not take says so in a page (405, ``Allow``),
not with an empty answer: a reload of a page that answered a form at an address that takes
only a POST (portal.js makes the reload a GET: a refused SAML request, an expired form), a
bookmark of "Not you?"."""

import pytest

pytestmark = pytest.mark.django_db

SAID = "This address only takes a form sent from a page of the portal."


@pytest.mark.parametrize("url", ["/accounts/login/restart/", "/saml/sso/post/"])
def test_a_get_of_an_address_that_takes_only_a_form_is_a_page(client, url):
    response = client.get(url)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert SAID in response.text
    assert 'href="/"' in response.text  # a way on


def test_said_in_indonesian(client):
    response = client.get("/accounts/login/restart/", HTTP_ACCEPT_LANGUAGE="id")
    assert "Alamat ini hanya menerima formulir" in response.text


def test_answers_of_the_json_and_protocol_endpoints_keep_their_own_form(client):
    """A client of the passkey or OpenID Connect endpoints reads JSON, not a page."""
    passkeys = client.get("/security/passkeys/signin/options/")
    assert passkeys.status_code == 405 and passkeys["Content-Type"] == "application/json"
    token = client.get("/o/token/")
    assert token.status_code == 405 and "<html" not in token.text
