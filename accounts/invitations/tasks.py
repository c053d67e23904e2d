"""Celery task of invitations: thin, by primary key, re-reading the row."""

import smtplib

from celery import shared_task
from django.conf import settings

from accounts.invitations.models import Invitation


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
    # A bulk import queues thousands: each worker sends at most this many per second/minute.
    rate_limit=settings.ACCOUNTS_INVITE_RATE,
)
def send_invitation_mail(invitation_id: int, language: str) -> None:
    """Mails one invitation; returns quietly when it was accepted, replaced or has expired.

    The link is made here (an HMAC under SECRET_KEY), so it never sits in the broker.
    """
    from accounts.invitations.flows import mail_invitation

    invitation = Invitation.objects.select_related("user").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_open or not invitation.user.is_active:
        return
    mail_invitation(invitation, language)
