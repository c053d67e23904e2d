"""An account deleted by an admin while its sign-in completes (after its secrets were checked,
before the sign-in's rows are written) is not signed in, and the person is told as when a
sign-in expires: every way a sign-in completes (a password alone, Confirm and Continue after a
code, a passkey's Confirm and Continue). Before, the rows' statement referred to the deleted
row and the page was a 500.

The deletion is made where every sign-in passes just before its statement runs (the known
device is noted, accounts.devices.note_device). Each statement commits at once here, as in
production, so the foreign key is checked when it runs."""

import pytest
from django.contrib.auth import SESSION_KEY

from accounts import audit, devices
from accounts.models import AuditEvent, User, UserSession
from tests.conftest import PASSWORD, led_to, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
EXPIRED = "Your sign-in has expired. Please sign in again."


@pytest.fixture
def deleted_at_completion(monkeypatch):
    """From now on, completing a sign-in deletes its account first."""
    note_device = devices.note_device

    def deleted_then_noted(request, user):
        User.objects.filter(pk=user.pk).delete()
        return note_device(request, user)

    monkeypatch.setattr(devices, "note_device", deleted_then_noted)


def assert_refused(client, response, username: str) -> None:
    assert response.status_code in (200, 302)
    page = client.get(led_to(response)) if response.status_code == 302 else response
    assert EXPIRED in page.content.decode()
    assert SESSION_KEY not in client.session
    assert not User.objects.filter(username=username).exists()
    assert not UserSession.objects.exists()
    event = AuditEvent.objects.filter(kind=audit.SIGNIN_COMPLETE).latest("id")
    assert (event.result, event.user_id, event.username) == (audit.REFUSED, None, username)
    assert client.get("/").status_code == 302  # Home asks to sign in


def test_with_a_password_alone(client, user, deleted_at_completion):
    response = sign_in(client, user.username, PASSWORD)
    assert_refused(client, response, user.username)


def test_at_confirm_and_continue_after_a_code(client, user, phone, deleted_at_completion):
    assert led_to(sign_in(client, user.username, PASSWORD)) == "/security/challenge/totp/"
    validated = client.post("/security/challenge/totp/", {"code": phone.now()})
    assert led_to(validated) == "/security/challenge/confirm/"
    response = client.post("/security/challenge/confirm/", {"remember": "on"})
    assert_refused(client, response, user.username)
    assert "trusted_device" not in response.cookies or not response.cookies["trusted_device"].value
