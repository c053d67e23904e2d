"""Celery task of invitations: thin, by primary key, re-reading the row."""

import smtplib

from celery import shared_task
from django.conf import settings

from accounts.invitations.models import Invitation

MAIL_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(
    bind=True,
    max_retries=5,
    # A bulk import queues thousands: each worker sends at most this many per second/minute.
    rate_limit=settings.ACCOUNTS_INVITE_RATE,
)
def send_invitation_mail(self, invitation_id: int, language: str) -> None:  # type: ignore[no-untyped-def]
    """Mails one invitation; returns quietly when it was accepted, replaced or has expired.

    The link is made here (an HMAC under SECRET_KEY), so it never sits in the broker. A refused
    address (SMTP 5xx for the recipient) fails at once; other SMTP and network errors are
    retried with backoff, and the last failure is recorded (the admin's status line counts it).
    """
    from accounts.invitations.flows import mail_invitation
    from accounts.invitations.progress import record_failure

    invitation = Invitation.objects.select_related("user").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_open or not invitation.user.is_active:
        return
    try:
        mail_invitation(invitation, language)
    except smtplib.SMTPRecipientsRefused as exc:
        record_failure(invitation_id, exc)
    except MAIL_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            record_failure(invitation_id, exc)
            return
        raise self.retry(exc=exc, countdown=min(300, 2 ** (self.request.retries + 1))) from exc
