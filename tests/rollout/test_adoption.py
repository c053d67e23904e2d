"""The "MFA adoption" admin view, the daily snapshot, the admin forms and the system check."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.models import EmailDevice
from mfa.rollout import adoption
from mfa.rollout.checks import check_required_for_setting, check_rollout_policies
from mfa.rollout.models import AdoptionSnapshot, GroupPolicy, Level, Reminder
from tests.rollout.conftest import NOW

pytestmark = pytest.mark.django_db

ADOPTION = "/admin/mfa_rollout/adoptionperson/"


@pytest.fixture
def people(make_user, group_policy):
    finance = group_policy("Finance", Level.REQUIRED, days=10)
    ani, budi, citra = make_user("ani"), make_user("budi"), make_user("citra")
    ani.groups.add(finance)
    budi.groups.add(finance)
    TOTPDevice.objects.create(user=budi, name="Authenticator", confirmed=True)
    EmailDevice.objects.create(user=citra, name="Email", email="c@example.com", confirmed=True)
    Reminder.objects.create(user=ani, kind=Reminder.Kind.LATER)
    Reminder.objects.create(user=ani, kind=Reminder.Kind.LATER)
    return ani, budi, citra


@pytest.fixture
def admin_client(client, make_user):
    root = make_user("root", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=root, name="Authenticator", confirmed=True)
    client.force_login(root)
    return client


def test_figures_per_group_and_overall(people, clock):
    scopes = {scope.name: scope for scope in adoption.figures()}
    everyone, finance = scopes[""], scopes["Finance"]
    assert scopes["Helpdesk"].people == 0  # every group is listed, even an empty one
    assert (everyone.people, everyone.enrolled) == (3, 2)
    assert everyone.by_factor["totp"] == 1 and everyone.by_factor["email"] == 1
    assert (finance.name, finance.people, finance.enrolled, finance.share) == (
        "Finance",
        2,
        1,
        50.0,
    )
    assert finance.skipped == 2


def test_snapshot_once_per_day_and_group_deleted_later_keeps_its_history(people, clock):
    assert adoption.take_snapshot() == 3  # everyone, Finance, Helpdesk
    assert adoption.take_snapshot() == 3  # again the same day: replaced, not added
    assert AdoptionSnapshot.objects.count() == 3
    GroupPolicy.objects.get().group.delete()
    clock.move_to(NOW + timedelta(days=1))
    adoption.take_snapshot()
    kept = AdoptionSnapshot.objects.get(scope="Finance")
    assert kept.group is None and kept.people == 2


def test_admin_view_shows_figures_trend_and_who_is_missing(admin_client, people, clock):
    adoption.take_snapshot()
    page = admin_client.get(ADOPTION)
    assert page.status_code == 200
    text = page.text
    assert "Adoption now" in text and "50.0 %" in text
    assert "trend.svg" in text and "Show as a table" in text
    missing = admin_client.get(ADOPTION + "?factor=missing").text
    assert ">ani<" in missing and ">budi<" not in missing
    assert "2026-03-12" in missing  # ani's deadline
    chart = admin_client.get(ADOPTION + "trend.svg")
    assert chart["Content-Type"] == "image/svg+xml" and b"<svg" in chart.content
    assert b"<script" not in chart.content


def test_csv_export_of_the_filtered_list(admin_client, people, make_user, clock):
    make_user("=cmd", full_name="@SUM(1)")  # a formula-looking name stays text
    response = admin_client.get(ADOPTION + "export.csv?factor=missing")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_name = {row["username"]: row for row in rows}
    assert set(by_name) == {"ani", "'=cmd"}
    assert by_name["ani"]["policy"] == "required"
    assert by_name["ani"]["deadline"].startswith("2026-03-12")
    assert by_name["ani"]["later_clicks"] == "2"
    assert by_name["'=cmd"]["full_name"] == "'@SUM(1)"


def test_send_reminder_now_action(admin_client, people, clock):
    ani, budi, _citra = people
    response = admin_client.post(
        ADOPTION, {"action": "send_reminder_now", "_selected_action": [ani.pk, budi.pk]},
        follow=True,
    )  # fmt: skip
    assert "Reminder queued for 1 person." in response.text
    assert "1 person was left out" in response.text
    assert [m.to for m in mail.outbox] == [["ani@example.com"]]


def test_adoption_view_needs_permission(client, make_user, people):
    client.force_login(make_user("helper", is_staff=True))
    assert client.get(ADOPTION).status_code == 403
    assert client.get(ADOPTION + "export.csv").status_code == 403


def test_admin_refuses_a_deadline_in_the_past(admin_client, clock):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Ops")
    response = admin_client.post("/admin/mfa_rollout/grouppolicy/add/", {
        "group": group.pk, "level": "required", "deadline_0": "2026-03-01",
        "deadline_1": "09:00:00", "allow_passkey": "on", "allow_totp": "on",
    })  # fmt: skip
    assert response.status_code == 200
    assert "This deadline is in the past" in response.text
    assert not GroupPolicy.objects.exists()


def test_admin_refuses_required_without_any_factor(admin_client, clock):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Ops")
    response = admin_client.post(
        "/admin/mfa_rollout/grouppolicy/add/", {"group": group.pk, "level": "required"}
    )
    assert "must allow at least one kind of factor" in response.text
    assert not GroupPolicy.objects.exists()


def test_admin_saves_a_policy_and_audits_it(admin_client, clock):
    from django.contrib.auth.models import Group

    from accounts.models import AuditEvent

    group = Group.objects.create(name="Ops")
    response = admin_client.post("/admin/mfa_rollout/grouppolicy/add/", {
        "group": group.pk, "level": "required", "deadline_0": "2026-03-20",
        "deadline_1": "17:00:00", "allow_totp": "on",
    })  # fmt: skip
    assert response.status_code == 302
    policy = GroupPolicy.objects.get()
    assert policy.allowed_factors() == ("totp",)
    assert AuditEvent.objects.filter(method="mfa_policy").exists()


def test_system_check_warns_about_a_policy_nobody_can_meet(group_policy, settings):
    from mfa.flows import all_methods

    group_policy("Keys", Level.REQUIRED, allow_passkey=False)
    settings.MFA_CHALLENGE_METHODS = ["mfa.passkeys.challenge.PasskeyMethod"]
    all_methods.cache_clear()
    try:
        [warning] = check_rollout_policies(databases=["default"])
        assert warning.id == "mfa_rollout.W001" and "Keys" in warning.msg
        assert check_rollout_policies() == []  # without a database to read, nothing
    finally:
        all_methods.cache_clear()


def test_system_check_is_quiet_for_good_policies_and_refuses_a_bad_setting(group_policy, settings):
    group_policy("Finance", Level.REQUIRED, days=10)
    assert check_rollout_policies(databases=["default"]) == []
    assert check_required_for_setting() == []
    settings.MFA_REQUIRED_FOR = "everyone"
    [error] = check_required_for_setting()
    assert error.id == "mfa_rollout.E001"


def test_adoption_page_shows_a_policy_nobody_can_meet(admin_client, group_policy, settings):
    from mfa.flows import all_methods

    group_policy("Keys", Level.REQUIRED, allow_passkey=False)
    settings.MFA_CHALLENGE_METHODS = ["mfa.passkeys.challenge.PasskeyMethod"]
    all_methods.cache_clear()
    try:
        page = admin_client.get(ADOPTION)
        assert "The MFA policy Keys requires a second factor but allows none" in page.text
    finally:
        all_methods.cache_clear()


def test_extension_in_admin_refuses_the_past_and_records_who_granted(
    admin_client, make_user, clock
):
    from accounts.models import AuditEvent
    from mfa.rollout.models import Extension

    ani = make_user("ani")
    past = admin_client.post("/admin/mfa_rollout/extension/add/", {
        "user": ani.pk, "until_0": "2026-03-01", "until_1": "09:00:00", "reason": "phone",
    })  # fmt: skip
    assert "An extension must end in the future." in past.text
    assert not Extension.objects.exists()
    saved = admin_client.post("/admin/mfa_rollout/extension/add/", {
        "user": ani.pk, "until_0": "2026-03-20", "until_1": "09:00:00", "reason": "phone",
    })  # fmt: skip
    assert saved.status_code == 302
    extension = Extension.objects.get(user=ani)
    assert extension.granted_by.username == "root"
    assert AuditEvent.objects.filter(user=ani, method="mfa_extension").exists()
