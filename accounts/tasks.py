"""Celery tasks of the accounts app: thin wrappers that re-read rows and call plain functions."""

import smtplib

from celery import shared_task

from accounts.models import User
from accounts.password.reset import mail_reset_link


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def send_password_reset_mail(user_id: int, language: str) -> None:
    """Mails a reset link; the token is made here, so it never sits in the broker."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    mail_reset_link(user, language)


@shared_task(autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=True, max_retries=5)
def send_new_device_alert(user_id: int, device: str, ip: str, language: str) -> None:
    """Mails the user about a sign-in from a new browser."""
    from accounts.notices import mail_new_device_alert

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None and user.email:
        mail_new_device_alert(user, device, ip, language)


@shared_task
def prune_audit_events() -> int:
    """Daily retention of the audit trail (CELERY_BEAT_SCHEDULE)."""
    from accounts.audit import prune

    return prune()


from accounts.invitations.tasks import send_invitation_mail  # noqa: E402,F401  (registers it)
from accounts.registration.tasks import send_signup_mail  # noqa: E402,F401  (registers it)


@shared_task(autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=True, max_retries=5)
def send_email_changed_notice(user_id: int, old: str, new: str, language: str) -> None:
    """Mails the previous account address that the account e-mail changed."""
    from accounts.profile.email import mail_email_changed_notice

    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        mail_email_changed_notice(user, old, new, language)
