"""What a newcomer meets first, in Chromium: the address the README gives, and passkeys there."""

from playwright.sync_api import expect

from tests.e2e.person import Person


def at_ip_address(live_server) -> str:
    return live_server.url.replace("://localhost:", "://127.0.0.1:")


def test_in_development_a_visit_by_ip_address_moves_to_localhost(
    person: Person, settings, live_server
):
    settings.DEBUG = True
    # The first page a fresh server renders may take a while on a busy machine.
    person.page.goto(
        at_ip_address(live_server) + "/accounts/login/?next=/security/", timeout=60_000
    )
    expect(person.page).to_have_url(live_server.url + "/accounts/login/?next=/security/")
    person.sees_heading("Sign in")
    person.look()


def test_passkeys_at_an_ip_address_name_the_cause_and_the_way_out(
    person: Person, user, password, live_server
):
    """In production nothing redirects: the page itself says why and where passkeys work."""
    page = person.page
    page.goto(at_ip_address(live_server) + "/accounts/login/")
    person.fill("Username", "ani")
    person.click("Next")
    person.click("Sign in with password", role="link")
    person.fill("Password", password)
    person.click("Sign in")
    person.is_home("Ani")
    # The first factor after a password-only sign-in: the account e-mail proof comes first.
    page.goto(at_ip_address(live_server) + "/security/confirm-account/?next=/security/passkeys/")
    person.confirm_account_email()
    page.goto(at_ip_address(live_server) + "/security/passkeys/register/")
    person.fill("Device name", "My laptop")
    person.click("Save New Device")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Passkeys work only at the portal\u2019s domain name")
    expect(alert).not_to_contain_text("cannot use passkeys")
    way_out = alert.get_by_role("link")
    expect(way_out).to_have_attribute("href", live_server.url + "/security/passkeys/register/")
    person.look("29-passkeys-wrong-address")
