"""Reminder mails before the deadline (design.md "Rolling MFA out"): at most one per person per
``MFA_ROLLOUT_REMINDER_INTERVAL_DAYS`` (7) from the daily Celery beat task, none once they have
a factor; an admin's "send reminder now" sends at once. A mail the SMTP server refuses for the
address (a bounce at delivery) is recorded, shown in the adoption view and not retried.
"""

import logging
import smtplib

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.language import mail_language
from accounts.models import User
from mfa.rollout import adoption
from mfa.rollout.models import Reminder
from mfa.rollout.policy import has_second_factor, policy_for
from sso.mail import absolute_url, send_portal_mail

logger = logging.getLogger(__name__)

SENT = "sent"
SKIPPED = "skipped"  # enrolled meanwhile, no address, inactive, or not under a required policy
REFUSED = "refused"  # the SMTP server refused the address: recorded, not retried


def due_user_ids() -> list[int]:
    """People the daily task mails now (see adoption.due_for_reminder_mail)."""
    return adoption.due_for_reminder_mail(
        timezone.now(), settings.MFA_ROLLOUT_REMINDER_INTERVAL_DAYS
    )


def send_reminder(user_id: int, *, manual: bool = False) -> str:
    """Mails one reminder to ``user_id``; returns SENT, SKIPPED or REFUSED.

    The person is read again: someone who enrolled, left or lost their address since the task
    was queued gets nothing. ``manual`` (an admin's "send reminder now") also reminds people
    whose deadline has passed. A refused recipient (SMTP 5xx for the address) is recorded as
    ``mail_failed``; other SMTP and network errors are raised for the task to retry.
    """
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None or has_second_factor(user):
        return SKIPPED
    policy = policy_for(user)
    now = timezone.now()
    if not policy.factors or not (policy.in_grace(now) or (manual and policy.required)):
        return SKIPPED
    context = {
        "user": user,
        "days": policy.days_left(now),
        "deadline": policy.deadline if policy.in_grace(now) else None,
        "setup_url": absolute_url(reverse("mfa_rollout:enrol")),
    }
    try:
        send_portal_mail("mfa/email/rollout_reminder", user.email, context, mail_language(user))
    except smtplib.SMTPRecipientsRefused as exc:
        detail = "; ".join(f"{code} {reason!r}" for code, reason in exc.recipients.values())
        Reminder.objects.create(user=user, kind=Reminder.Kind.MAIL_FAILED, detail=detail[:200])
        logger.warning("reminder mail to user %s refused: %s", user_id, detail)
        return REFUSED
    Reminder.objects.create(user=user, kind=Reminder.Kind.MAILED, detail="manual" if manual else "")
    return SENT


def record_failure(user_id: int, error: Exception) -> None:
    """The last retry failed: the reminder is recorded as failed (it counts for the interval)."""
    if User.objects.filter(pk=user_id).exists():
        Reminder.objects.create(
            user_id=user_id, kind=Reminder.Kind.MAIL_FAILED, detail=str(error)[:200]
        )
