"""An admin adds a person without a password, invites, resends, sees the state, deactivates."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from accounts.invitations.models import Invitation
from accounts.models import AuditEvent, User
from tests.conftest import led_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user) -> Client:
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    return client


def _link(message) -> str:
    return re.search(r"http://localhost:8000(/\S+)", message.body).group(1)


def test_adding_a_person_without_a_password_sends_the_invitation(admin):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin.post(
            "/admin/accounts/user/add/",
            {
                "username": "dewi",
                "email": "dewi@example.com",
                "full_name": "Dewi Sartika",
                "phone": "",
                "send_invitation": "on",
            },
            follow=True,
        )
    assert "Invitation sent to 1 account." in response.content.decode()
    dewi = User.objects.get(username="dewi")
    assert not dewi.has_usable_password()
    [message] = mail.outbox
    assert message.to == ["dewi@example.com"]
    # The link in the mail is absolute, under SSO_BASE_URL.
    assert Client().get(_link(message)).status_code == 200
    listing = admin.get("/admin/accounts/user/?invitation=sent").content.decode()
    assert ">dewi</a>" in listing and ">root</a>" not in listing


def test_a_name_that_differs_only_in_case_is_refused(admin, make_user):
    make_user("dewi")
    page = admin.post(
        "/admin/accounts/user/add/",
        {"username": "DEWI", "email": "d2@example.com", "full_name": "", "phone": ""},
    )
    assert page.status_code == 200
    assert "This username is taken" in page.content.decode()
    assert User.objects.filter(username_canonical="dewi").count() == 1


def test_resend_replaces_the_link_and_the_list_shows_each_state(admin):
    people = []
    for name in ("eka", "fajar", "gita"):
        user = User(username=name, email=f"{name}@example.com")
        user.set_unusable_password()
        user.save()
        people.append(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin.post(
            "/admin/accounts/user/",
            {"action": "send_invitations", "_selected_action": [u.pk for u in people]},
            follow=True,
        )
    assert "Invitations sent to 3 accounts." in response.content.decode()
    links = {m.to[0]: _link(m) for m in mail.outbox}
    # Eka accepts; Fajar's runs out; Gita's is resent.
    Client().post(
        links["eka@example.com"],
        {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin.post(
            "/admin/accounts/user/",
            {"action": "send_invitations", "_selected_action": [people[0].pk, people[2].pk]},
        )
    assert len(mail.outbox) == 4  # Eka has a password now: not invited again
    assert Client().get(links["gita@example.com"]).status_code == 410
    with time_machine.travel(timezone.now() + timedelta(days=7, hours=1), tick=False):
        # Gita's new link was sent "now" and so has expired too after 7 days; Fajar's as well.
        admin.force_login(User.objects.get(username="root"))  # the session itself ran out
        expired = admin.get("/admin/accounts/user/?invitation=expired").content.decode()
    assert ">fajar</a>" in expired and ">gita</a>" in expired and ">eka</a>" not in expired
    accepted = admin.get("/admin/accounts/user/?invitation=accepted").content.decode()
    assert ">eka</a>" in accepted and ">fajar</a>" not in accepted
    listing = admin.get("/admin/accounts/user/").content.decode()
    assert "accepted" in listing and "sent" in listing
    assert Invitation.objects.filter(user=people[2]).count() == 2
    # The account's page lists its invitations.
    page = admin.get(f"/admin/accounts/user/{people[2].pk}/change/").content.decode()
    assert "Invitations" in page and "replaced or withdrawn" in page


def test_the_action_reports_who_could_not_be_invited(admin, make_user):
    ani = make_user("ani")
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "send_invitations", "_selected_action": [ani.pk]},
        follow=True,
    )
    assert "1 account not invited: already has a password." in response.content.decode()
    assert not Invitation.objects.exists()


def test_deactivate_and_reactivate_actions(admin, make_user, password):
    from tests.conftest import sign_in

    ani = make_user("ani")
    browser = Client()
    sign_in(browser, "ani", password)
    assert browser.get("/").status_code == 200
    asked = admin.post(
        "/admin/accounts/user/", {"action": "deactivate_accounts", "_selected_action": [ani.pk]}
    )
    assert "Deactivate these accounts?" in asked.content.decode()
    assert browser.get("/").status_code == 200  # nothing happened yet
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "deactivate_accounts", "_selected_action": [ani.pk], "post": "yes"},
        follow=True,
    )
    assert "1 account deactivated." in response.content.decode()
    assert browser.get("/")["Location"].startswith("/accounts/login/")
    event = AuditEvent.objects.get(kind="account.deactivated")
    assert event.actor.username == "root"
    admin.post(
        "/admin/accounts/user/",
        {"action": "reactivate_accounts", "_selected_action": [ani.pk]},
    )
    assert led_to(sign_in(Client(), "ani", password)) == "/"


def test_unticking_active_on_the_change_page_ends_the_sessions(admin, make_user, password):
    from tests.conftest import sign_in

    ani = make_user("ani")
    browser = Client()
    sign_in(browser, "ani", password)
    page = admin.get(f"/admin/accounts/user/{ani.pk}/change/")
    form = re.findall(r'name="([^"]+)" value="([^"]*)"', page.content.decode())
    data = {name: value for name, value in form if not name.startswith("_")}
    data.update(
        username="ani", email="ani@example.com", full_name="Ani", phone="",
        date_joined_0=timezone.localtime(ani.date_joined).strftime("%Y-%m-%d"),
        date_joined_1=timezone.localtime(ani.date_joined).strftime("%H:%M:%S"),
    )  # fmt: skip
    data.pop("is_active", None)
    response = admin.post(f"/admin/accounts/user/{ani.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert browser.get("/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(kind="account.deactivated", user=ani).exists()
