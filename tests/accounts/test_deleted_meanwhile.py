"""An account deleted by an admin while one of its own requests is under way: never a 500,
never signed in, never written back.

Two moments: while its password is being checked (the hash takes tens of milliseconds; the
attempt's audit event referred to the deleted row: a foreign-key error at its INSERT), and
before a change to the account read at the request's start is saved (Django's save INSERTs
a row its UPDATE did not find: the account came back, without its second factors). Each
statement commits at once here, as in production."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts import audit, language
from accounts.models import AuditEvent, User
from tests.conftest import PASSWORD, led_to, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
EXPIRED = "Your sign-in has expired. Please sign in again."
NEW_PASSWORD = "a long new passphrase 42"


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


def test_re_authenticating_with_the_right_password(client, user, monkeypatch):
    """The password matched the row read before the deletion, and the page writes nothing of
    the account's own: signed out and told so, not sent on to the page it protects."""
    sign_in(client, user.username, PASSWORD)
    delete_while_hashing(monkeypatch)
    response = client.post("/security/reauth/", {"password": PASSWORD, "next": "/security/"})
    assert led_to(response) == "/accounts/login/"
    assert EXPIRED in client.get("/accounts/login/").content.decode()
    assert SESSION_KEY not in client.session


def test_removing_the_authenticator_app_with_the_password(client, user, phone, monkeypatch):
    """Its removal finds no row left to delete: signed out and told so, not "removed"."""
    client.force_login(user)  # signed in, the authenticator app not asked: a test of removal
    session = client.session
    session["accounts.auth_time"] = int(time.time())
    session.save()
    delete_while_hashing(monkeypatch)
    response = client.post("/security/authenticator/remove/", {"secret": PASSWORD})
    assert led_to(response) == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert EXPIRED in page
    assert "The authenticator app was removed." not in page
    assert SESSION_KEY not in client.session


def test_changing_the_password(client, user, monkeypatch):
    sign_in(client, user.username, PASSWORD)
    delete_while_hashing(monkeypatch)
    response = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert led_to(response) == "/accounts/login/"
    assert EXPIRED in client.get("/accounts/login/").content.decode()
    assert SESSION_KEY not in client.session
    assert not User.objects.filter(pk=user.pk).exists()  # not made again with the new password


def test_choosing_a_language(client, user, monkeypatch):
    sign_in(client, user.username, PASSWORD)
    set_language = language.django_set_language

    def deleted_then_set(request):
        User.objects.filter(pk=user.pk).delete()
        return set_language(request)

    monkeypatch.setattr(language, "django_set_language", deleted_then_set)
    response = client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert led_to(response) == "/accounts/login/"
    assert SESSION_KEY not in client.session
    assert not User.objects.filter(pk=user.pk).exists()


def test_accepting_an_invitation(make_user, settings, monkeypatch):
    """The account is deleted after the link was checked, before its first password is
    saved: the link is gone with it (404), and nobody is signed in."""
    from accounts.invitations import flows
    from tests.accounts.invitations.test_invitations import _invite

    invitee = User(username="citra", email="citra@example.com", full_name="Citra Lestari")
    invitee.set_unusable_password()
    invitee.save()
    _, path = _invite(invitee, make_user("boss", is_staff=True, is_superuser=True), settings)
    validate_password = flows.validate_password

    def deleted_then_validated(password, user):
        User.objects.filter(pk=user.pk).delete()
        return validate_password(password, user)

    monkeypatch.setattr(flows, "validate_password", deleted_then_validated)
    browser = Client()
    response = browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 404
    assert SESSION_KEY not in browser.session


def test_a_deleted_account_read_before_is_never_saved_again(user):
    """Whoever saves it (SCIM, the admin, a management command)."""
    from accounts.models import AccountDeleted

    User.objects.filter(pk=user.pk).delete()
    user.full_name = "Someone Else"
    with pytest.raises(AccountDeleted):
        user.save()
    with pytest.raises(AccountDeleted):
        user.save(update_fields=["full_name"])
    assert not User.objects.filter(pk=user.pk).exists()


def test_answering_the_security_question_with_an_answer_hashed_before_nfkc(
    client, user, settings, monkeypatch
):
    """An answer hashed in the old form is hashed again when it matches: the account (and its
    question) deleted while it was being checked leaves no row to write that to."""
    from django.contrib.auth.hashers import make_password

    from accounts.models import SecurityQuestion
    from accounts.question import flows

    settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
    flows.set_question(user, "Nama kota?", "Jose\u0301 Jakarta")
    legacy = flows._legacy_normalize("Jose\u0301 Jakarta")
    SecurityQuestion.objects.filter(user=user).update(answer_hash=make_password(legacy))
    assert led_to(sign_in(client, user.username, PASSWORD)) == "/accounts/login/question/"
    check_password = flows.check_password

    def deleted_then_checked(answer, answer_hash):
        User.objects.filter(pk=user.pk).delete()
        return check_password(answer, answer_hash)

    monkeypatch.setattr(flows, "check_password", deleted_then_checked)
    response = client.post("/accounts/login/question/", {"answer": "Jose\u0301 Jakarta"})
    assert response.status_code in (200, 302)
    page = client.get(led_to(response)) if response.status_code == 302 else response
    assert EXPIRED in page.content.decode()
    assert SESSION_KEY not in client.session
    assert not User.objects.filter(pk=user.pk).exists()


def test_accepting_an_invitation_after_its_link_was_checked(make_user, settings, monkeypatch):
    """Deleted between the link's check and the accept (the invitation went with the account):
    the link is not valid any more, as for any deleted account's."""
    from accounts.invitations import flows
    from tests.accounts.invitations.test_invitations import _invite

    invitee = User(username="citra", email="citra@example.com", full_name="Citra Lestari")
    invitee.set_unusable_password()
    invitee.save()
    _, path = _invite(invitee, make_user("boss", is_staff=True, is_superuser=True), settings)
    accept_invitation = flows.accept_invitation

    def deleted_then_accepted(request, invitation, password):
        User.objects.filter(pk=invitation.user_id).delete()
        return accept_invitation(request, invitation, password)

    monkeypatch.setattr(flows, "accept_invitation", deleted_then_accepted)
    browser = Client()
    response = browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 404
    assert "This invitation link is not valid." in response.content.decode()
    assert SESSION_KEY not in browser.session
    assert not User.objects.filter(username="citra").exists()


def test_setting_up_an_authenticator_app(client, user, monkeypatch):
    """Deleted before the app's new key is written for the account: the row referring to it
    fails its foreign key, and the person is signed out rather than shown a 500."""
    from mfa import totp
    from tests.conftest import prove_account_email

    sign_in(client, user.username, PASSWORD)
    prove_account_email(client, "/security/authenticator/")
    setup_device = totp.setup_device

    def deleted_then_set_up(account, *args, **kwargs):
        User.objects.filter(pk=account.pk).delete()
        return setup_device(account, *args, **kwargs)

    monkeypatch.setattr(totp, "setup_device", deleted_then_set_up)
    response = client.get("/security/authenticator/")
    assert led_to(response) == "/accounts/login/"
    assert EXPIRED in client.get("/accounts/login/").content.decode()
    assert SESSION_KEY not in client.session
