"""Celery tasks of the MFA rollout: thin, they take ids and call plain functions."""

import smtplib

from celery import shared_task

from mfa.rollout import adoption, reminders

MAIL_ERRORS = (smtplib.SMTPException, OSError)


@shared_task
def send_due_reminders() -> int:
    """Daily (beat): queues one reminder mail per person due one; returns how many."""
    user_ids = reminders.due_user_ids()
    for user_id in user_ids:
        send_reminder.delay(user_id)
    return len(user_ids)


@shared_task(bind=True, max_retries=3, acks_late=True)
def send_reminder(self, user_id: int, manual: bool = False) -> str:  # type: ignore[no-untyped-def]
    """One reminder mail; retried with backoff when the SMTP server is unreachable."""
    try:
        return reminders.send_reminder(user_id, manual=manual)
    except MAIL_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            reminders.record_failure(user_id, exc)
            return "failed"
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task
def snapshot_adoption() -> int:
    """Daily (beat): today's adoption figures for the trend; returns the scopes stored."""
    return adoption.take_snapshot()
