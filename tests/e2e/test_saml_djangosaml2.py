"""djangosaml2 (pysaml2 on the SP side, in its own small Django project) signs in through the
portal with a second factor, gets an encrypted assertion, and logs out again.

The app (tests/saml/djangosaml2_sp) runs in its own process with its own SQLite database,
asks for the REFEDS MFA context, signs its requests and wants everything signed.
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sso.saml import sp_metadata
from sso.saml.keys import write_key_files
from sso.saml.models import SamlSession, ServiceProvider
from tests.e2e.person import Person
from tests.e2e.test_relying_app import free_port, wait_until_up
from tests.e2e.test_saml_sp import sign_in_at_the_portal
from tests.saml.conftest import idp_keys  # noqa: F401  (the portal's SAML keys for the run)

PROJECT = Path(__file__).resolve().parents[1] / "saml" / "djangosaml2_sp"


@pytest.fixture
def djangosaml2_app(
    live_server,
    transactional_db,
    tmp_path,
    idp_keys,  # noqa: F811
    settings,
) -> Iterator[str]:
    settings.SSO_SAML_METADATA_FETCH_TIMEOUT = 120
    # Same host name as the portal, another port: its cookies have their own names.
    sp = f"http://localhost:{free_port()}"
    write_key_files(tmp_path / "key.pem", tmp_path / "cert.pem", "djangosaml2 test app")
    env = {"PORTAL_URL": live_server.url, "SP_URL": sp, "SP_DATA_DIR": str(tmp_path)}
    log = (tmp_path / "sp.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(PROJECT / "run.py"), sp.removeprefix("http://")],
        env={**env, "PATH": "/usr/bin:/bin"},
        stdout=log,
        stderr=log,
    )
    wait_until_up(sp, seconds=60)
    metadata = sp_metadata.fetch(f"{sp}/saml2/metadata/")
    ServiceProvider.objects.create(
        name="Learning platform",
        entity_id=sp_metadata.read(metadata).entity_id,
        metadata_xml=metadata,
        released_attributes=["username", "name", "email"],
        encrypt_assertions=True,
    )
    yield sp
    process.terminate()
    process.wait(timeout=10)


def test_djangosaml2_app_signs_in_with_a_second_factor_and_logs_out(
    person: Person, djangosaml2_app: str, live_server, user, password, phone
):
    page = person.page
    page.goto(djangosaml2_app)
    page.get_by_role("link", name="Sign in with the SSO portal").click()
    sign_in_at_the_portal(person, password, phone)
    # djangosaml2 decrypted and checked the assertion and made its own user from it.
    expect(page.get_by_text("Signed in.")).to_be_visible()
    expect(page.get_by_role("row", name="username ani")).to_be_visible()
    expect(page.get_by_role("row", name="email ani@example.com")).to_be_visible()
    expect(page.get_by_role("row", name="name Ani", exact=True)).to_be_visible()
    expect(
        page.get_by_role("row", name="AuthnContext https://refeds.org/profile/mfa")
    ).to_be_visible()

    # Its logout (SP-initiated Single Logout) ends the portal session too; djangosaml2 shows
    # its signed-out page only for the portal's signed LogoutResponse with status Success.
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_text("Signed out.")).to_be_visible()
    page.goto(djangosaml2_app)
    expect(page.get_by_role("link", name="Sign in with the SSO portal")).to_be_visible()
    page.goto(live_server.url)
    person.sees_heading("Sign in")
    assert SamlSession.objects.get(user=user).ended is not None
