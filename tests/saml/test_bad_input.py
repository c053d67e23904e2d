"""Hostile or broken AuthnRequests: a clear 400 page, never an assertion, never an error 500."""

import base64
import zlib
from urllib.parse import urlencode

import pytest
import time_machine
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from sso.saml.keys import new_key_and_certificate
from sso.saml.models import SamlSession
from tests.conftest import sign_in
from tests.saml.onelogin_sp import path_and_query, query

pytestmark = pytest.mark.django_db

REFUSED = "Sign-in request refused"


def deflated(xml: str | bytes) -> str:
    data = xml.encode() if isinstance(xml, str) else xml
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.b64encode(compressor.compress(data) + compressor.flush()).decode()


def refused(response) -> None:
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    assert "SAMLResponse" not in response.content.decode()


@pytest.fixture
def signed_in(client, user, password):
    sign_in(client, user.username, password)
    return client


def unsigned_request(sp) -> str:
    settings = sp.settings()
    return OneLogin_Saml2_Authn_Request(settings).get_xml()


def test_unsigned_request_is_refused_when_signatures_are_required(signed_in, onelogin_sp):
    response = signed_in.get(
        "/saml/sso/redirect/?" + urlencode({"SAMLRequest": deflated(unsigned_request(onelogin_sp))})
    )
    refused(response)


def test_unsigned_request_is_taken_when_the_admin_allows_it(signed_in, onelogin_sp):
    onelogin_sp.registration.require_signed_requests = False
    onelogin_sp.registration.save()
    response = signed_in.get(
        "/saml/sso/redirect/?" + urlencode({"SAMLRequest": deflated(unsigned_request(onelogin_sp))})
    )
    assert response.status_code == 302


def test_a_signature_by_another_key_is_refused(signed_in, onelogin_sp):
    onelogin_sp.key, onelogin_sp.cert = new_key_and_certificate("not the registered SP")
    refused(signed_in.get(path_and_query(onelogin_sp.login_url())))
    onelogin_sp.registration.require_signed_requests = False
    onelogin_sp.registration.save()
    # A wrong signature is refused even where none is required.
    refused(signed_in.get(path_and_query(onelogin_sp.login_url())))


def test_a_tampered_signed_query_is_refused(signed_in, onelogin_sp):
    params = query(onelogin_sp.login_url())
    params["RelayState"] = "https://evil.example/"
    refused(signed_in.get("/saml/sso/redirect/?" + urlencode(params)))


def test_a_replayed_request_is_refused(signed_in, onelogin_sp):
    url = path_and_query(onelogin_sp.login_url())
    assert signed_in.get(url).status_code == 302
    refused(signed_in.get(url))


def test_an_expired_request_is_refused(signed_in, onelogin_sp):
    with time_machine.travel("2026-01-01 08:00:00Z", tick=False):
        url = path_and_query(onelogin_sp.login_url())
    with time_machine.travel("2026-01-01 08:10:00Z", tick=False):
        refused(signed_in.get(url))


def test_an_acs_url_not_in_the_metadata_is_refused(signed_in, onelogin_sp):
    saml_request = onelogin_sp.signed_post_request(
        tamper=lambda xml: xml.replace("https://sp.example.org/acs/", "https://evil.example/acs/")
    )
    refused(signed_in.post("/saml/sso/post/", {"SAMLRequest": saml_request}))
    assert not SamlSession.objects.exists()


def test_an_unknown_service_provider_is_refused(signed_in, onelogin_sp):
    xml = unsigned_request(onelogin_sp).replace(
        "https://sp.example.org/metadata/", "https://x.example/"
    )
    refused(signed_in.get("/saml/sso/redirect/?" + urlencode({"SAMLRequest": deflated(xml)})))


XXE = """<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
 xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0"
 IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>&x;</saml:Issuer></samlp:AuthnRequest>"""


@pytest.mark.parametrize(
    "saml_request",
    [
        pytest.param(deflated(XXE), id="external-entity"),
        pytest.param(deflated(b"<a>" * 100 + b"</a>" * 100), id="deeply-nested"),
        pytest.param(deflated(b"<a>" + b" " * 10_000_000 + b"</a>"), id="deflate-bomb"),
        pytest.param("A" * 200_000, id="huge"),
        pytest.param("not base64 at all!", id="garbage"),
        pytest.param(base64.b64encode(b"plain text").decode(), id="not-deflated"),
        pytest.param(deflated("<html/>"), id="not-saml"),
    ],
)
def test_hostile_xml_is_refused(signed_in, onelogin_sp, saml_request):
    refused(signed_in.get("/saml/sso/redirect/?" + urlencode({"SAMLRequest": saml_request})))


def test_signature_wrapping_is_refused(signed_in, onelogin_sp):
    """A validly signed request wrapped inside a forged one (another ID, another ACS)."""
    settings = onelogin_sp.settings()
    settings.get_idp_data()["singleSignOnService"]["url"] = (
        "http://portal.example.org/saml/sso/post/"
    )
    genuine = OneLogin_Saml2_Utils.add_sign(
        OneLogin_Saml2_Authn_Request(settings).get_xml(), onelogin_sp.key, onelogin_sp.cert
    ).decode()
    body = genuine.split(">", 1)[1].rsplit("</samlp:AuthnRequest>", 1)[0]
    forged_open = (
        genuine.split(">", 1)[0]
        .replace('ID="', 'ID="_forged')
        .replace("https://sp.example.org/acs/", "https://evil.example/acs/")
    )
    wrapped = (
        f"{forged_open}><samlp:Extensions>{genuine}</samlp:Extensions>"
        + body.split("<ds:Signature", 1)[0]
        + "</samlp:AuthnRequest>"
    )
    response = signed_in.post(
        "/saml/sso/post/", {"SAMLRequest": base64.b64encode(wrapped.encode()).decode()}
    )
    refused(response)


def test_wrong_methods_and_a_logout_request_at_the_sso_endpoint(signed_in, onelogin_sp):
    assert signed_in.post("/saml/sso/redirect/").status_code == 405
    assert signed_in.get("/saml/sso/post/").status_code == 405
    refused(signed_in.get("/saml/sso/redirect/"))
    refused(signed_in.get("/saml/sso/continue/?p=forged"))
    refused(signed_in.get("/saml/sso/resume/unknown/"))


def test_the_refusal_page_speaks_indonesian(client, onelogin_sp):
    response = client.get("/saml/sso/redirect/", {"SAMLRequest": "x"}, HTTP_ACCEPT_LANGUAGE="id")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Permintaan masuk ditolak" in page
    assert "Aplikasi mengirim permintaan masuk yang tidak dapat diterima portal." in page
