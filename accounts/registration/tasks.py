"""Celery task of registration: thin; the verification link is made here, not in the broker."""

import smtplib

from celery import shared_task


@shared_task(autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=True, max_retries=5)
def send_signup_mail(
    kind: str, email: str, username: str, pending_id: int | None, language: str
) -> None:
    """Sends one sign-up mail (accounts.registration.flows.mail_signup)."""
    from accounts.registration.flows import mail_signup

    mail_signup(kind, email, username, pending_id, language)
