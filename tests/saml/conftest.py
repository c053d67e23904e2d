"""The portal as a SAML IdP with keys of the run's own, and python3-saml (OneLogin's toolkit)
as the service provider on the other side."""

import pytest

from sso.saml import idp
from sso.saml.keys import new_key_and_certificate, write_key_files
from sso.saml.models import ServiceProvider
from tests.saml.onelogin_sp import OneLoginSP


@pytest.fixture(scope="session")
def sp_key_pair() -> tuple[str, str]:
    return new_key_and_certificate("python3-saml test SP")


@pytest.fixture
def idp_keys(settings, tmp_path_factory) -> tuple:
    folder = tmp_path_factory.mktemp("saml-idp")
    key, cert = folder / "key.pem", folder / "cert.pem"
    write_key_files(key, cert, "Test IdP")
    settings.SSO_SAML_SIGNING_KEY_FILE = key
    settings.SSO_SAML_SIGNING_CERT_FILE = cert
    settings.SSO_SAML_PREVIOUS_CERT_FILES = []
    idp._server.cache_clear()
    return key, cert


PORTAL_HOST = "portal.example.org"


@pytest.fixture
def client(client, settings):
    """The test client on a host name with a dot: python3-saml refuses "testserver" URLs."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, PORTAL_HOST]
    client.defaults["SERVER_NAME"] = PORTAL_HOST
    return client


@pytest.fixture
def onelogin_sp(db, idp_keys, sp_key_pair, client) -> OneLoginSP:
    """python3-saml as a registered service provider of the test portal."""
    sp = OneLoginSP("https://sp.example.org", sp_key_pair, idp_base=f"http://{PORTAL_HOST}")
    metadata = client.get("/saml/metadata/").content.decode()
    sp.trust_idp_metadata(metadata)
    sp.registration = ServiceProvider.objects.create(
        name="Library",
        entity_id=sp.entity_id,
        metadata_xml=sp.metadata(),
        released_attributes=["username", "name", "email", "groups"],
    )
    return sp
