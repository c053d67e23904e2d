"""Reminder mails: due before the deadline, at most weekly, none once enrolled; bounces."""

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.rollout import reminders, tasks
from mfa.rollout.models import Level, Reminder
from tests.rollout.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(group_policy):
    return group_policy("Finance", Level.REQUIRED, days=10)


@pytest.fixture
def ani(make_user, finance):
    person = make_user("ani")
    person.groups.add(finance)
    return person


def test_daily_task_mails_people_due_a_reminder(ani, make_user, clock):
    make_user("budi")  # no policy: no mail
    assert tasks.send_due_reminders() == 1
    [message] = mail.outbox
    assert message.to == ["ani@example.com"]
    body = message.body
    assert "10 days left" in body
    assert "http://localhost:8000/security/setup/" in body  # an absolute link
    assert Reminder.objects.get(user=ani).kind == Reminder.Kind.MAILED


def test_at_most_one_mail_a_week(ani, clock):
    tasks.send_due_reminders()
    clock.move_to(NOW + timedelta(days=1))
    assert tasks.send_due_reminders() == 0
    clock.move_to(NOW + timedelta(days=6, hours=23))
    assert tasks.send_due_reminders() == 0
    clock.move_to(NOW + timedelta(days=7, minutes=1))
    assert tasks.send_due_reminders() == 1
    assert len(mail.outbox) == 2
    assert "3 days left" in mail.outbox[1].body


def test_mails_stop_once_enrolled(ani, clock):
    tasks.send_due_reminders()
    TOTPDevice.objects.create(user=ani, name="Authenticator", confirmed=True)
    clock.move_to(NOW + timedelta(days=8))
    assert tasks.send_due_reminders() == 0
    # A reminder queued before the person enrolled is not sent either.
    assert reminders.send_reminder(ani.pk) == reminders.SKIPPED
    assert len(mail.outbox) == 1


def test_no_mail_after_the_deadline_from_the_daily_task(ani, clock):
    clock.move_to(NOW + timedelta(days=10))
    assert tasks.send_due_reminders() == 0


def test_no_mail_without_an_address(make_user, finance, clock):
    person = make_user("citra", email="")
    person.groups.add(finance)
    assert tasks.send_due_reminders() == 0
    assert reminders.send_reminder(person.pk, manual=True) == reminders.SKIPPED


def test_manual_reminder_after_the_deadline_is_sent(ani, clock):
    clock.move_to(NOW + timedelta(days=12))
    assert reminders.send_reminder(ani.pk, manual=True) == reminders.SENT
    assert "next sign in" in mail.outbox[0].body


def test_refused_address_is_recorded_and_not_retried(ani, clock):
    refused = smtplib.SMTPRecipientsRefused({"ani@example.com": (550, b"no such user")})
    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages",
                    side_effect=refused):  # fmt: skip
        assert tasks.send_reminder.apply(args=[ani.pk]).get() == reminders.REFUSED
    failed = Reminder.objects.get(user=ani)
    assert failed.kind == Reminder.Kind.MAIL_FAILED and "550" in failed.detail
    # It counts for the week: no new attempt tomorrow.
    clock.move_to(NOW + timedelta(days=1))
    assert tasks.send_due_reminders() == 0


def test_deleted_person_is_skipped(ani, clock):
    user_id = ani.pk
    ani.delete()
    assert reminders.send_reminder(user_id) == reminders.SKIPPED


def test_reminder_in_indonesian(ani, clock, settings):
    settings.LANGUAGE_CODE = "id"
    tasks.send_due_reminders()
    assert "tinggal 10 hari" in mail.outbox[0].body
