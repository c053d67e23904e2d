"""The IdP metadata, key rotation, Home, and registering service providers in Django admin."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from sso.saml import home, idp
from sso.saml.keys import certificate_body, write_key_files
from sso.saml.models import ServiceProvider

pytestmark = pytest.mark.django_db

REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def test_metadata_names_the_endpoints_and_the_signing_certificate(client, idp_keys):
    response = client.get("/saml/metadata/")
    assert response["Content-Type"] == "application/samlmetadata+xml"
    xml = response.content.decode()
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml, required_sso_binding=REDIRECT)["idp"]
    assert parsed["entityId"] == "http://portal.example.org/saml/metadata/"
    assert parsed["singleSignOnService"]["url"] == "http://portal.example.org/saml/sso/redirect/"
    assert parsed["singleLogoutService"]["url"] == "http://portal.example.org/saml/slo/redirect/"
    assert parsed["x509cert"] == certificate_body(idp_keys[1].read_text())
    post = OneLogin_Saml2_IdPMetadataParser.parse(xml, required_sso_binding=POST)["idp"]
    assert post["singleSignOnService"]["url"] == "http://portal.example.org/saml/sso/post/"
    assert "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" in xml


def test_rotation_publishes_the_previous_certificate_too(client, idp_keys, settings, tmp_path):
    old_key, old_cert = tmp_path / "old_key.pem", tmp_path / "old_cert.pem"
    write_key_files(old_key, old_cert, "previous")
    settings.SSO_SAML_PREVIOUS_CERT_FILES = [old_cert]
    idp._server.cache_clear()
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(client.get("/saml/metadata/").content)
    signing = parsed["idp"]["x509certMulti"]["signing"]
    assert signing == [
        certificate_body(idp_keys[1].read_text()),
        certificate_body(old_cert.read_text()),
    ]


def test_home_lists_saml_apps_for_signed_in_users(client, onelogin_sp, user, password):
    from tests.conftest import sign_in

    assert home.applications_for(AnonymousUser()) == []
    sign_in(client, user.username, password)
    page = client.get("/").content.decode()
    launch = f"/saml/apps/{onelogin_sp.registration.pk}/open/"
    assert f'href="{launch}">Library</a>' in page
    # Saved as the admin saves it: Home's cached list drops (accounts.home.applications).
    for sp in ServiceProvider.objects.all():
        sp.is_listed = False
        sp.save()
    assert "Library" not in client.get("/").content.decode()


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_admin_registers_a_service_provider_from_uploaded_metadata(
    admin_client, idp_keys, sp_key_pair
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.saml.onelogin_sp import OneLoginSP

    sp = OneLoginSP("https://wiki.example.org", sp_key_pair, idp_base="")
    upload = SimpleUploadedFile("sp.xml", sp.metadata().encode(), "text/xml")
    response = admin_client.post(
        "/admin/saml/serviceprovider/add/",
        {
            "name": "Wiki",
            "metadata_file": upload,
            "name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "released_attributes": ["email", "name"],
            "mfa_required": "on",
            "require_signed_requests": "on",
            "is_listed": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == "/admin/saml/serviceprovider/"
    registered = ServiceProvider.objects.get()
    assert registered.entity_id == "https://wiki.example.org/metadata/"
    assert registered.released_attributes == ["email", "name"]
    assert registered.mfa_required
    page = admin_client.get(f"/admin/saml/serviceprovider/{registered.pk}/change/")
    assert "https://wiki.example.org/acs/" in page.content.decode()


def test_admin_refuses_metadata_that_is_not_metadata(admin_client, idp_keys):
    from django.core.files.uploadedfile import SimpleUploadedFile

    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    response = admin_client.post(
        "/admin/saml/serviceprovider/add/",
        {
            "name": "Bad",
            "metadata_file": SimpleUploadedFile("sp.xml", xxe, "text/xml"),
            "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "The metadata cannot be used: the metadata is not acceptable XML." in (
        response.content.decode()
    )
    assert not ServiceProvider.objects.exists()


def test_make_demo_sp_registers_the_example_app(settings, tmp_path):
    from django.core.management import call_command

    settings.DEBUG = True
    settings.BASE_DIR = tmp_path
    call_command("saml_demo_sp", sp_url="http://localhost:8002", stdout=io.StringIO())
    sp = ServiceProvider.objects.get()
    assert sp.entity_id == "http://localhost:8002/metadata/"
    from sso.saml import sp_metadata

    described = sp_metadata.read(sp.metadata_xml)
    assert described.acs_urls == ("http://localhost:8002/acs/",)
    assert described.slo_urls == ("http://localhost:8002/sls/",)
    assert (tmp_path / "var" / "demo_sp_key.pem").exists()
