"""A SAML app signs its user in through the portal, with a second factor, and out again.

The app is examples/saml_sp (python3-saml, OneLogin's toolkit: not our code, not pysaml2),
started in its own process against the live portal, on another host name (127.0.0.1 vs
localhost) so that cookies stay apart as between two sites. It is registered from its
metadata URL, as an admin would.
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
from tests.e2e.test_factors import next_code
from tests.e2e.test_relying_app import free_port, wait_until_up
from tests.saml.conftest import idp_keys  # noqa: F401  (the portal's SAML keys for the run)

APP = Path(__file__).resolve().parents[2] / "examples" / "saml_sp" / "app.py"


def sign_in_at_the_portal(person: Person, password: str, phone=None) -> None:
    """An app sent the person to the portal: username, password and, with ``phone``, the
    authenticator code (seeds/000 §4.1 and §4)."""
    person.sees_heading("Sign in")
    person.fill("Username", "ani")
    person.click("Next")
    person.choose_password()
    person.type_password(password)
    if phone is not None:
        person.is_asked_for("Authenticator")  # the one factor: its page after the password
        person.validate(next_code(phone))
        person.confirm_and_continue()


@pytest.fixture
def saml_app(
    live_server,
    transactional_db,
    tmp_path,
    idp_keys,  # noqa: F811
    settings,
) -> Iterator[str]:
    # The app reads the portal's metadata while the portal reads the app's; on a busy
    # machine pysaml2's first schema load alone can take seconds.
    settings.SSO_SAML_METADATA_FETCH_TIMEOUT = 120
    sp = f"http://127.0.0.1:{free_port()}"
    key, cert = tmp_path / "sp_key.pem", tmp_path / "sp_cert.pem"
    write_key_files(key, cert, "e2e SAML app")
    env = {"PORTAL_URL": live_server.url, "SP_URL": sp, "SP_KEY_FILE": str(key)}
    env["SP_CERT_FILE"] = str(cert)
    log = (tmp_path / "sp.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(APP)], env={**env, "PATH": "/usr/bin:/bin"}, stdout=log, stderr=log
    )
    wait_until_up(sp)
    metadata_url = f"{sp}/metadata/"
    ServiceProvider.objects.create(
        name="Library (SAML)",
        entity_id=sp_metadata.read(sp_metadata.fetch(metadata_url)).entity_id,
        metadata_url=metadata_url,
        metadata_xml=sp_metadata.fetch(metadata_url),
        released_attributes=["username", "name", "email"],
        mfa_required=True,
    )
    yield sp
    process.terminate()
    process.wait(timeout=10)


def test_python3_saml_app_signs_in_with_a_second_factor_and_logs_out(
    person: Person, saml_app: str, live_server, user, password, phone
):
    page = person.page
    page.goto(saml_app)
    page.get_by_role("link", name="Sign in with the SSO portal").click()
    sign_in_at_the_portal(person, password, phone)
    # Back in the app, which checked the signatures and shows what the portal said.
    expect(page.get_by_text("Signed in.")).to_be_visible()
    expect(page.get_by_role("row", name="uid ani")).to_be_visible()
    expect(page.get_by_role("row", name="mail ani@example.com")).to_be_visible()
    expect(page.get_by_role("row", name="displayName Ani")).to_be_visible()
    expect(
        page.get_by_role("row", name="AuthnContext https://refeds.org/profile/mfa")
    ).to_be_visible()
    assert SamlSession.objects.filter(user=user, ended__isnull=True).count() == 1

    # One portal session: Home lists the app beside the others.
    page.goto(live_server.url)
    person.is_home("Ani")
    expect(page.get_by_role("link", name="Library (SAML)")).to_be_visible()

    # Signing out of the app signs out of the portal too (SP-initiated Single Logout: the
    # app checks the portal's signed LogoutResponse before it says so).
    page.goto(saml_app)
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_text("Signed out of the portal and of this app.")).to_be_visible()
    page.goto(live_server.url)
    person.sees_heading("Sign in")
    assert SamlSession.objects.filter(user=user, ended__isnull=True).count() == 0

    # Again, then the portal's own Sign Out: the browser passes by the app, which ends its
    # session on the portal's signed LogoutRequest. (The device is trusted now, so the portal
    # asks no second factor; a trusted device proves no factor, so MFA is not required here.)
    ServiceProvider.objects.update(mfa_required=False)
    page.goto(saml_app)
    page.get_by_role("link", name="Sign in with the SSO portal").click()
    sign_in_at_the_portal(person, password)
    expect(page.get_by_text("Signed in.")).to_be_visible()
    page.goto(live_server.url)
    person.sign_out()
    page.goto(saml_app)
    expect(page.get_by_role("link", name="Sign in with the SSO portal")).to_be_visible()

    # A request the portal cannot accept gets a page that says so (and passes axe).
    page.goto(f"{live_server.url}/saml/sso/redirect/?SAMLRequest=forged")
    person.sees_heading("Sign-in request refused")
    person.look()
