"""The Profile tab: name, a copy of one's data (no secrets), deleting one's own account."""

import json
from base64 import b32encode

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent, User
from mfa.models import TrustedDevice
from tests.conftest import led_to, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(user, password) -> Client:
    client = Client()
    assert led_to(sign_in(client, user.username, password)) == "/"
    return client


def test_the_name_is_changed_on_the_profile_tab(browser, user):
    page = browser.get("/accounts/profile/")
    assert "ani@example.com" in page.content.decode()
    response = browser.post(
        "/accounts/profile/", {"full_name": "Ani Rahma", "preferred_language": "en"}, follow=True
    )
    assert "Your profile was saved." in response.content.decode()
    user.refresh_from_db()
    assert user.full_name == "Ani Rahma"
    assert AuditEvent.objects.filter(kind="profile.changed", user=user).exists()


def test_the_data_copy_has_every_section_and_no_secret(browser, user, phone):
    TrustedDevice.objects.create(
        user=user, token_hash="f" * 64, expires_at="2999-01-01T00:00:00Z", user_agent="Firefox"
    )
    response = browser.post("/accounts/profile/data/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(response.content)
    assert data["profile"]["username"] == "ani" and data["profile"]["email"] == "ani@example.com"
    assert data["second_factors"]["authenticator_apps"] == [
        {"name": "Authenticator", "confirmed": True}
    ]
    assert data["trusted_devices"][0]["user_agent"] == "Firefox"
    assert data["signed_in_sessions"] and data["audit_events"]
    assert {e["kind"] for e in data["audit_events"]} >= {"signin.password", "signin.complete"}
    text = response.content.decode()
    device = TOTPDevice.objects.get(user=user)
    for secret in (user.password, device.key, b32encode(device.bin_key).decode(), "f" * 64):
        assert secret not in text
    assert AuditEvent.objects.filter(kind="data.exported", user=user).exists()


def test_the_data_copy_needs_a_recent_sign_in(user):
    client = Client()
    client.force_login(user)  # a session without a fresh proof
    response = client.post("/accounts/profile/data/")
    assert response.status_code == 302 and response["Location"].startswith("/security/reauth/")
    assert client.get("/accounts/profile/data/").status_code == 405


def test_self_delete_is_off_by_default(browser, settings):
    settings.ACCOUNTS_SELF_DELETE = False
    assert "Delete my account" not in browser.get("/accounts/profile/").content.decode()
    assert browser.get("/accounts/profile/delete/").status_code == 404
    assert browser.post("/accounts/profile/delete/", {"username": "ani"}).status_code == 404
    assert User.objects.filter(username="ani").exists()


def test_deleting_ones_own_account(browser, user, password, settings):
    settings.ACCOUNTS_SELF_DELETE = True
    assert "Delete my account" in browser.get("/accounts/profile/").content.decode()
    wrong = browser.post("/accounts/profile/delete/", {"username": "budi"})
    assert "That is not your username." in wrong.content.decode()
    assert User.objects.filter(username="ani").exists()

    done = browser.post("/accounts/profile/delete/", {"username": "ANI"})
    assert done.status_code == 200
    assert "Your account was deleted" in done.content.decode()
    assert not User.objects.filter(username="ani").exists()
    assert browser.get("/")["Location"].startswith("/accounts/login/")
    deleted = AuditEvent.objects.get(kind="account.deleted")
    assert deleted.username.startswith("deleted-") and deleted.actor is None
    assert not AuditEvent.objects.filter(username="ani").exists()
    page = sign_in(Client(), "ani", password)
    assert "Wrong username or password." in page.content.decode()


def test_a_superuser_cannot_delete_itself(make_user, password, settings):
    settings.ACCOUNTS_SELF_DELETE = True
    make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(User.objects.get(username="root"))
    assert client.get("/accounts/profile/delete/").status_code == 404
