"""Invitations: a single-use link to choose a first password, life ACCOUNTS_INVITE_DAYS."""

import re
import time
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from accounts import lifecycle
from accounts.invitations.models import Invitation
from accounts.models import AuditEvent, User
from tests.conftest import led_to

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long new passphrase 42"


@pytest.fixture
def admin_user(make_user) -> User:
    return make_user("boss", is_staff=True, is_superuser=True)


@pytest.fixture
def invitee(db) -> User:
    user = User(username="citra", email="citra@example.com", full_name="Citra Lestari")
    user.set_unusable_password()
    user.save()
    return user


def _invite(user, actor, settings) -> tuple[Invitation, str]:
    settings.SSO_BASE_URL = "https://sso.example.go.id"
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation = lifecycle.send_invitation(user, actor=actor)
    message = mail.outbox[-1]
    link = re.search(r"https://\S+", message.body).group(0)
    return invitation, link.removeprefix("https://sso.example.go.id")


def test_the_mail_has_an_absolute_single_use_link_that_sets_the_password(
    invitee, admin_user, settings
):
    invitation, path = _invite(invitee, admin_user, settings)
    message = mail.outbox[-1]
    assert message.to == ["citra@example.com"]
    assert "citra" in message.body and "7 days" in message.body
    [(html, kind)] = message.alternatives
    assert kind == "text/html" and f'href="https://sso.example.go.id{path}"' in html
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.SENT

    browser = Client()
    page = browser.get(path)
    assert page.status_code == 200
    assert "Your username is <strong>citra</strong>" in page.content.decode()
    response = browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert led_to(response) == "/"
    assert browser.session[SESSION_KEY] == str(invitee.pk)
    assert "Welcome, Citra Lestari" in browser.get("/").content.decode()
    invitee.refresh_from_db()
    assert invitee.check_password(NEW_PASSWORD)
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.ACCEPTED
    assert AuditEvent.objects.filter(kind="invitation.sent", actor=admin_user).exists()
    assert AuditEvent.objects.filter(kind="invitation.accepted", user=invitee).exists()

    # Single use: the same link again says so, and changes nothing.
    again = Client().get(path)
    assert again.status_code == 410
    assert "already used" in again.content.decode()


def test_a_weak_password_is_refused_on_the_page(invitee, admin_user, settings):
    _, path = _invite(invitee, admin_user, settings)
    page = Client().post(path, {"new_password1": "citra", "new_password2": "citra"})
    assert page.status_code == 200
    assert "This password is too short" in page.content.decode()
    invitee.refresh_from_db()
    assert not invitee.has_usable_password()


def test_when_mfa_is_required_the_second_factor_comes_before_home(invitee, admin_user, settings):
    settings.MFA_REQUIRED_FOR = "all"
    _, path = _invite(invitee, admin_user, settings)
    browser = Client()
    response = browser.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    # The MFA rollout holds the new account to enrolment before Home.
    home = browser.get(response["Location"])
    assert home["Location"] == "/security/setup/"
    assert "Welcome, Citra" not in browser.get("/security/setup/").content.decode()


def test_an_expired_link_says_so(invitee, admin_user, settings):
    settings.ACCOUNTS_INVITE_DAYS = 7
    _, path = _invite(invitee, admin_user, settings)
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23), tick=False):
        assert Client().get(path).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1), tick=False):
        page = Client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert page.status_code == 410
    assert "This invitation has expired" in page.content.decode()
    invitee.refresh_from_db()
    assert not invitee.has_usable_password()


def test_resending_replaces_the_old_link(invitee, admin_user, settings):
    first, old_path = _invite(invitee, admin_user, settings)
    _, new_path = _invite(invitee, admin_user, settings)
    assert old_path != new_path
    first.refresh_from_db()
    assert first.state == Invitation.State.REVOKED
    page = Client().get(old_path)
    assert page.status_code == 410
    assert "A newer invitation was sent" in page.content.decode()
    assert Client().get(new_path).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda path: path[:-3] + ("000/" if not path.endswith("000/") else "111/"),
        lambda path: re.sub(r"/invitation/[^/]+/", "/invitation/not-a-uuid/", path),
        lambda path: re.sub(
            r"/invitation/[^/]+/", "/invitation/00000000-0000-0000-0000-000000000000/", path
        ),
    ],
)
def test_a_tampered_link_is_not_valid(invitee, admin_user, settings, tamper):
    _, path = _invite(invitee, admin_user, settings)
    page = Client().get(tamper(path))
    assert page.status_code == 404
    assert "This invitation link is not valid" in page.content.decode()


def test_deactivation_withdraws_the_invitation(invitee, admin_user, settings):
    invitation, path = _invite(invitee, admin_user, settings)
    lifecycle.deactivate_account(invitee, actor=admin_user, reason="hired elsewhere")
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.REVOKED
    assert Client().get(path).status_code == 404


@pytest.mark.parametrize(
    ("change", "code"),
    [({"is_active": False}, "inactive"), ({"email": ""}, "no_email"), ("password", "has_password")],
)
def test_who_cannot_be_invited(invitee, admin_user, settings, change, code):
    if change == "password":
        invitee.set_password(NEW_PASSWORD)
    else:
        for name, value in change.items():
            setattr(invitee, name, value)
    invitee.save()
    with pytest.raises(lifecycle.InvitationRefused) as refused:
        lifecycle.send_invitation(invitee, actor=admin_user)
    assert refused.value.code == code
    assert not Invitation.objects.exists()


@pytest.mark.redis
def test_the_invitation_reaches_a_real_smtp_server_through_a_worker(
    invitee, admin_user, smtp_server, celery_worker_process
):
    inbox, port = smtp_server
    # The worker is another process: it reads SSO_BASE_URL from its own environment.
    celery_worker_process(
        {"EMAIL_URL": f"smtp://127.0.0.1:{port}", "SSO_BASE_URL": "http://portal.example.test"}
    )
    invitation = lifecycle.send_invitation(invitee, actor=admin_user)
    [message] = inbox.wait_for(1)
    assert message["To"] == "citra@example.com"
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://portal\.example\.test(\S+)", text).group(1)
    assert str(invitation.key) in link
    response = Client().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert led_to(response) == "/"
    # The worker marks the invitation sent once its SMTP session ends, after the server took
    # the message: the mark may land after the accept (on SQLite it waits for the accept's
    # write lock), so it is waited for, as the message was.
    deadline = time.monotonic() + 20
    invitation.refresh_from_db()
    while invitation.sent_at is None and time.monotonic() < deadline:
        time.sleep(0.05)
        invitation.refresh_from_db()
    assert invitation.sent_at is not None and invitation.accepted_at is not None
