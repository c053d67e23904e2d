"""A SAML message, its RelayState, SigAlg or Signature given twice is refused with the 400 page,
at the sign-on and the logout endpoints, in both bindings: which of the two values would a
signature check read, and which would the portal act on? (RFC 6749 §3.1's rule, which the
portal applies to every protocol endpoint, sso/request_input.py.) Each message here is
genuine and accepted when its parameters are given once."""

from base64 import b64encode
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from sso.saml.models import SamlSession
from tests.conftest import sign_in
from tests.saml.onelogin_sp import path_and_query
from tests.saml.test_sso import posted_fields, sso

pytestmark = pytest.mark.django_db

REFUSED = "Sign-in request refused"


def refused(response) -> None:
    assert response.status_code == 400, response.get("Location")
    assert REFUSED in response.content.decode()
    assert "SAMLResponse" not in response.content.decode()


def twice(url: str, name: str) -> str:
    """``url`` (path and query) with its ``name`` parameter sent a second time, same value."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    value = dict(pairs)[name]
    return f"{parts.path}?{urlencode([*pairs, (name, value)])}"


@pytest.fixture
def signed_in(client, user, password):
    sign_in(client, user.username, password)
    return client


@pytest.mark.parametrize("name", ["SAMLRequest", "RelayState", "SigAlg", "Signature"])
def test_sign_on_redirect_binding(signed_in, onelogin_sp, name):
    url = path_and_query(onelogin_sp.login_url(return_to="https://sp.example.org/page"))
    refused(signed_in.get(twice(url, name)))
    assert signed_in.get(url).status_code == 302  # once each: accepted


@pytest.mark.parametrize("name", ["SAMLRequest", "RelayState"])
def test_sign_on_post_binding(signed_in, onelogin_sp, name):
    fields = [("SAMLRequest", onelogin_sp.signed_post_request()), ("RelayState", "/page")]
    body = urlencode([*fields, (name, dict(fields)[name])])
    response = signed_in.post(
        "/saml/sso/post/", body, content_type="application/x-www-form-urlencoded"
    )
    refused(response)
    assert signed_in.post("/saml/sso/post/", dict(fields)).status_code == 302


@pytest.fixture
def signed_in_at_sp(signed_in, onelogin_sp):
    auth = onelogin_sp.consume(posted_fields(sso(signed_in, onelogin_sp))["SAMLResponse"])
    assert auth.is_authenticated()
    return auth


def still_signed_in(client, user) -> bool:
    return (
        client.session.get("_auth_user_id") == str(user.pk)
        and SamlSession.objects.get(user=user).ended is None
    )


@pytest.mark.parametrize("name", ["SAMLRequest", "RelayState", "SigAlg", "Signature"])
def test_logout_redirect_binding(client, onelogin_sp, signed_in_at_sp, user, name):
    url = onelogin_sp.auth().logout(
        name_id=signed_in_at_sp.get_nameid(),
        session_index=signed_in_at_sp.get_session_index(),
        name_id_format=signed_in_at_sp.get_nameid_format(),
        return_to="https://sp.example.org/bye/",
    )
    refused(client.get(twice(path_and_query(url), name)))
    assert still_signed_in(client, user)


def test_logout_answer_redirect_binding(client, onelogin_sp, signed_in_at_sp, user):
    client.post("/accounts/logout/")
    hop = client.get("/saml/slo/next/")["Location"]  # the portal's LogoutRequest to the SP
    back = onelogin_sp.auth("/sls/", get=dict(parse_qsl(urlsplit(hop).query))).process_slo(
        delete_session_cb=lambda: None
    )
    response = client.get(twice(path_and_query(back), "SAMLResponse"))
    # (Signed out by now, the page's language menu carries the address back.)
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert client.get(path_and_query(back))["Location"] == "/saml/slo/next/"  # once: taken


@pytest.mark.parametrize("name", ["SAMLRequest", "RelayState"])
def test_logout_post_binding(client, onelogin_sp, signed_in_at_sp, user, name):
    settings = onelogin_sp.settings()
    settings.get_idp_data()["singleLogoutService"]["url"] = f"{onelogin_sp.idp_base}/saml/slo/post/"
    xml = OneLogin_Saml2_Logout_Request(
        settings,
        name_id=signed_in_at_sp.get_nameid(),
        session_index=signed_in_at_sp.get_session_index(),
        name_id_format=signed_in_at_sp.get_nameid_format(),
    ).get_xml()
    signed = OneLogin_Saml2_Utils.add_sign(xml, onelogin_sp.key, onelogin_sp.cert)
    fields = [("SAMLRequest", b64encode(signed).decode()), ("RelayState", "/bye")]
    body = urlencode([*fields, (name, dict(fields)[name])])
    response = client.post(
        "/saml/slo/post/", body, content_type="application/x-www-form-urlencoded"
    )
    refused(response)
    assert still_signed_in(client, user)
    assert client.post("/saml/slo/post/", dict(fields)).status_code == 302  # once each: taken
