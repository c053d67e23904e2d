"""Celery tasks of the MFA app: thin, they take ids, re-read rows and call plain functions."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings

from mfa import codes, notices
from mfa.models import CodeChallenge

logger = logging.getLogger(__name__)

MAIL_ERRORS = (smtplib.SMTPException, OSError)


@shared_task(bind=True, max_retries=4, acks_late=True)
def send_email_code(self, challenge_id: int, generation: int) -> None:  # type: ignore[no-untyped-def]
    """Makes the code of one send and mails it; retried with backoff on SMTP errors.

    When the last retry fails the challenge is marked failed, so the page tells the user and
    offers a resend.
    """
    issued = codes.issue_code(challenge_id, generation)
    if issued is None:
        return
    challenge, code = issued
    try:
        notices.mail_code(challenge, code)
    except MAIL_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            logger.warning("code mail for challenge %s failed for good: %s", challenge_id, exc)
            codes.mark_delivery(challenge_id, generation, CodeChallenge.Delivery.FAILED)
            return
        countdown = settings.MFA_EMAIL_RETRY_BASE_SECONDS * 2**self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc
    codes.mark_delivery(challenge_id, generation, CodeChallenge.Delivery.SENT)


@shared_task(autoretry_for=MAIL_ERRORS, retry_backoff=True, retry_backoff_max=300, max_retries=5)
def send_security_notice(user_id: int, change: str, language: str) -> None:
    """Tells the user by mail that a security setting changed (OWASP ASVS 2.5.5)."""
    notices.mail_security_notice(user_id, change, language)


@shared_task
def cleanup() -> dict[str, int | bool]:
    """Hourly: deletes expired sessions, codes, passkey challenges, trusted devices."""
    from dataclasses import asdict

    from mfa.cleanup import clear_expired

    return asdict(clear_expired())
