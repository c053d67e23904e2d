"""The rollout at sign-in: the reminder before the deadline, enrolment after it."""

import time
from base64 import b32encode
from datetime import timedelta

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
from accounts.question import flows as question_policy
from accounts.signin.flows import FRESH_SIGNIN_SESSION_KEY
from mfa.rollout.flows import REMINDER_SKIPPED
from mfa.rollout.models import Extension, Level, Reminder
from tests.conftest import led_to, sign_in
from tests.rollout.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def ani(make_user, group_policy):
    person = make_user("ani")
    person.groups.add(group_policy("Finance", Level.REQUIRED, days=10))
    return person


def test_reminder_after_sign_in_then_later_is_counted(client, ani, password, clock):
    # Home, the sign-in's last page, is shown in place only past the rollout's gate (the gates
    # of sso.in_place.PAGE_GATES): the answer leads to the reminder, as a GET of Home does.
    signed_in = sign_in(client, "ani", password)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/security/setup/reminder/?next=%2F"
    home = client.get("/")
    assert home["Location"] == "/security/setup/reminder/?next=%2F"
    page = client.get(home["Location"])
    assert "Set up a second factor: 10 days left" in page.text
    assert "Set up now" in page.text and "Later" in page.text
    later = client.post("/security/setup/reminder/", {"choice": "later", "next": "/"})
    assert led_to(later) == "/"
    assert client.get("/").status_code == 200  # not asked again in this session
    assert Reminder.objects.filter(user=ani, kind=Reminder.Kind.LATER).count() == 1
    assert AuditEvent.objects.filter(kind=REMINDER_SKIPPED, user=ani).count() == 1


def test_reminded_again_at_next_sign_in_with_fewer_days(client, ani, password, clock):
    sign_in(client, "ani", password)
    client.post("/security/setup/reminder/", {"choice": "later", "next": "/"})
    client.post("/accounts/logout/")
    clock.move_to(NOW + timedelta(days=3))
    sign_in(client, "ani", password)
    page = client.get("/security/setup/reminder/?next=/")
    assert "7 days left" in page.text
    client.post("/security/setup/reminder/", {"choice": "later", "next": "/"})
    assert Reminder.objects.filter(user=ani, kind=Reminder.Kind.LATER).count() == 2


def test_one_day_left_is_singular(client, ani, password, clock):
    clock.move_to(NOW + timedelta(days=9, hours=1))
    sign_in(client, "ani", password)
    assert "Set up a second factor: 1 day left" in client.get("/security/setup/reminder/").text


def test_set_up_now_leads_to_every_factor_passkey_first(client, ani, password, clock):
    sign_in(client, "ani", password)
    response = client.post("/security/setup/reminder/", {"choice": "now", "next": "/"})
    assert response["Location"] == "/security/setup/"
    page = client.get("/security/setup/").text
    order = [page.index(f'data-factor="{f}"') for f in ("passkey", "totp", "email", "sms")]
    assert order == sorted(order)
    assert Reminder.objects.count() == 0  # Set up now is not a skip


def test_after_the_deadline_enrolment_comes_before_home(client, ani, password, clock):
    clock.move_to(NOW + timedelta(days=10))
    assert led_to(sign_in(client, "ani", password)) == "/security/setup/"
    assert client.session[SESSION_KEY] == str(ani.pk)
    assert client.get("/")["Location"] == "/security/setup/"
    page = client.get("/security/setup/")
    assert "needs a second factor before you can continue" in page.text
    refused = client.post("/security/setup/continue/")
    assert refused["Location"] == "/security/setup/"
    # Security Settings stays open: that is where the factor is set up.
    assert client.get("/security/authenticator/").status_code == 200
    TOTPDevice.objects.create(user=ani, name="Authenticator", confirmed=True)
    done = client.get("/security/setup/")
    assert "Your second factor is set up" in done.text
    assert "Make recovery codes" in done.text
    assert led_to(client.post("/security/setup/continue/")) == "/"
    assert client.get("/").status_code == 200


def test_relying_app_waits_for_enrolment_and_is_returned_to(client, ani, password, clock):
    clock.move_to(NOW + timedelta(days=11))
    sign_in(client, "ani", password)
    authorize = "/o/authorize/?client_id=x&response_type=code"
    assert client.get(authorize)["Location"] == "/security/setup/"
    TOTPDevice.objects.create(user=ani, name="Authenticator", confirmed=True)
    assert client.post("/security/setup/continue/")["Location"] == authorize


def test_deadline_passing_during_the_session_requires_enrolment(client, ani, password, clock):
    clock.move_to(NOW + timedelta(days=9, hours=23))  # sessions last 12 hours
    sign_in(client, "ani", password)
    client.post("/security/setup/reminder/", {"choice": "later", "next": "/"})
    assert client.get("/").status_code == 200
    clock.move_to(NOW + timedelta(days=10, minutes=1))
    assert client.get("/")["Location"] == "/security/setup/"


def test_extension_granted_mid_session_lets_the_person_on(client, ani, password, clock):
    clock.move_to(NOW + timedelta(days=9, hours=23))
    sign_in(client, "ani", password)
    client.post("/security/setup/reminder/", {"choice": "later", "next": "/"})
    Extension.objects.create(user=ani, until=NOW + timedelta(days=20))
    clock.move_to(NOW + timedelta(days=10, minutes=1))
    assert client.get("/").status_code == 200


def test_optional_policy_shows_a_suggestion_on_home(client, make_user, group_policy, password):
    person = make_user("budi")
    person.groups.add(group_policy("Interns", Level.OPTIONAL))
    sign_in(client, "budi", password)
    home = client.get("/")
    assert home.status_code == 200
    assert "Protect your account with a second factor" in home.text


def test_home_shows_the_deadline_after_later(client, ani, password, clock):
    sign_in(client, "ani", password)
    client.post("/security/setup/reminder/", {"choice": "later", "next": "/"})
    assert "10 days left" in client.get("/").text


def test_people_without_a_policy_sign_in_as_before(client, make_user, password):
    make_user("citra")
    assert led_to(sign_in(client, "citra", password)) == "/"
    assert client.get("/").status_code == 200
    assert "second factor" not in client.get("/").text


def test_reminder_page_without_a_reminder_goes_on(client, make_user, password):
    make_user("citra")
    sign_in(client, "citra", password)
    assert client.get("/security/setup/reminder/?next=/x")["Location"] == "/x"
    assert led_to(client.post("/security/setup/reminder/", {"choice": "later"})) == "/"
    assert Reminder.objects.count() == 0


def test_reminder_next_must_be_this_portal(client, ani, password, clock):
    sign_in(client, "ani", password)
    response = client.post(
        "/security/setup/reminder/", {"choice": "later", "next": "https://evil.example/"}
    )
    assert led_to(response) == "/"


def test_later_on_the_setup_page_keeps_the_deadline(client, ani, password, clock):
    clock.move_to(NOW + timedelta(days=9, hours=23))
    sign_in(client, "ani", password)
    client.post("/security/setup/reminder/", {"choice": "now", "next": "/"})
    assert led_to(client.post("/security/setup/continue/")) == "/"
    assert client.get("/").status_code == 200
    clock.move_to(NOW + timedelta(days=10, minutes=1))
    assert client.get("/")["Location"] == "/security/setup/"


def test_a_passkey_alone_is_offered_even_where_the_page_cannot_tell(
    client, make_user, group_policy, password, clock
):
    person = make_user("dewi")
    person.groups.add(group_policy("Keys", Level.REQUIRED, allow_totp=False, allow_email=False,
                                   allow_sms=False))  # fmt: skip
    sign_in(client, "dewi", password)
    page = client.get("/security/setup/").text
    assert 'data-factor="passkey"' in page
    assert "data-needs-webauthn" not in page  # never hidden when it is the only way


def test_who_must_enrol_can_still_sign_out_from_a_relying_app(client, ani, password, clock):
    clock.move_to(NOW + timedelta(days=10))
    sign_in(client, "ani", password)
    assert client.get("/")["Location"] == "/security/setup/"
    logout = client.get("/o/logout/")
    assert logout.status_code == 200 and "Sign Out" in logout.text
    assert client.get("/.well-known/openid-configuration").status_code == 200


def _ask_fresh_signin(client) -> None:
    """What prompt=login or max_age leaves in the session of someone signed in
    (accounts.signin.flows.request_fresh_signin)."""
    session = client.session
    session[FRESH_SIGNIN_SESSION_KEY] = int(time.time())
    session.save()


@pytest.mark.parametrize(
    ("days", "held_at"),
    [(11, "/security/setup/"), (3, "/security/setup/reminder/?next=%2F")],
)
def test_a_fresh_sign_in_over_another_persons_session_is_held_to_the_rollout(
    client, make_user, ani, password, clock, days, held_at
):
    """A shared computer: budi is signed in, an app asks for a fresh sign-in (prompt=login),
    ani signs in. Budi's session ends, and ani is held to her policy as at any sign-in: the
    mark her password step wrote is hers, not lost with budi's session."""
    clock.move_to(NOW + timedelta(days=days))
    client.force_login(make_user("budi"))
    _ask_fresh_signin(client)
    signed_in = sign_in(client, "ani", password)
    assert client.session[SESSION_KEY] == str(ani.pk)
    assert led_to(signed_in) == held_at
    assert client.get("/")["Location"] == held_at


def test_the_previous_persons_mark_is_not_the_next_ones(client, make_user, ani, password, clock):
    """Ani, reminded to set up a factor, leaves her session; budi, who has one, signs in
    afresh over it: he is not reminded of ani's deadline."""
    budi = make_user("budi")
    device = TOTPDevice.objects.create(user=budi, name="Authenticator", confirmed=True)
    sign_in(client, "ani", password)
    client.post("/security/setup/reminder/", {"choice": "later", "next": "/"})
    _ask_fresh_signin(client)
    code_page = sign_in(client, "budi", password)
    answered = client.post(led_to(code_page), {"code": pyotp.TOTP(b32encode(device.bin_key)).now()})
    assert led_to(client.post(led_to(answered), {"remember": "on"})) == "/"
    assert client.session[SESSION_KEY] == str(budi.pk)
    home = client.get("/")
    assert home.status_code == 200 and "days left" not in home.text


def test_the_mark_waits_for_the_security_question_of_a_fresh_sign_in(
    client, make_user, ani, password, clock, settings
):
    """The mark ani's password step wrote waits in budi's session while she answers her
    security question (seeds/003): budi's pages meanwhile neither meet it nor drop it."""
    settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
    question_policy.set_question(ani, "Kota lahir?", "Mataram")
    clock.move_to(NOW + timedelta(days=11))
    client.force_login(make_user("budi"))
    _ask_fresh_signin(client)
    assert led_to(sign_in(client, "ani", password)) == "/accounts/login/question/"
    assert client.get("/").status_code == 200  # budi's Home: not held by ani's policy
    answered = client.post("/accounts/login/question/", {"answer": "mataram"})
    assert client.session[SESSION_KEY] == str(ani.pk)
    assert client.get(led_to(answered))["Location"] == "/security/setup/"
