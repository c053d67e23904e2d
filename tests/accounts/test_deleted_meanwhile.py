"""An account deleted by an admin while one of its own requests is under way: never a 500,
never signed in.

While its password is being checked (the hash takes tens of milliseconds), after the attempt's
fresh read of the account: the attempt's audit event referred to the deleted row, a
foreign-key error at its INSERT. Each statement commits at once here, as in production."""

import pytest
from django.contrib.auth import SESSION_KEY

from accounts import audit
from accounts.models import AuditEvent, User
from tests.conftest import PASSWORD, led_to, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
EXPIRED = "Your sign-in has expired. Please sign in again."


def delete_while_hashing(monkeypatch) -> None:
    """From now on, checking a password deletes its account first."""
    check_password = User.check_password

    def deleted_then_checked(self, raw_password):
        User.objects.filter(pk=self.pk).delete()
        return check_password(self, raw_password)

    monkeypatch.setattr(User, "check_password", deleted_then_checked)


@pytest.fixture
def deleted_while_hashing(monkeypatch):
    delete_while_hashing(monkeypatch)


def latest(kind: str) -> AuditEvent:
    return AuditEvent.objects.filter(kind=kind).latest("id")


def test_signing_in(client, user, deleted_while_hashing):
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code in (200, 302)
    page = client.get(led_to(response)) if response.status_code == 302 else response
    assert EXPIRED in page.content.decode()
    assert SESSION_KEY not in client.session
    event = latest(audit.SIGNIN_PASSWORD)
    assert (event.result, event.user_id, event.username) == (audit.SUCCESS, None, "ani")


@pytest.mark.parametrize("password", [PASSWORD, "not the password"])
def test_re_authenticating(client, user, password, monkeypatch):
    sign_in(client, user.username, PASSWORD)
    delete_while_hashing(monkeypatch)
    response = client.post("/security/reauth/", {"password": password, "next": "/security/"})
    assert response.status_code in (200, 302)
    assert not User.objects.filter(pk=user.pk).exists()
    event = latest(audit.SECRET_CHECK)
    assert (event.user_id, event.username) == (None, "ani")
    assert led_to(client.get("/security/")).startswith("/accounts/login/")
