"""Messages to the user: their code, and notices of security changes."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.models import User
from mfa.models import CodeChallenge

# What changed, as shown in the notice mail (keys are passed through the broker, not text).
CHANGES = {
    "totp_added": _("An authenticator app was added to your account."),
    "totp_removed": _("The authenticator app was removed from your account."),
    "email_changed": _("The email address for sign-in codes was changed."),
    "email_removed": _("Sign-in codes by email were turned off."),
    "recovery_generated": _("New recovery codes were made; the old ones no longer work."),
    "trusted_revoked": _("Trusted devices were removed from your account."),
    "passkey_added": _("A passkey was registered on your account."),
    "passkey_removed": _("A passkey was removed from your account."),
    "sms_added": _("A phone number for sign-in codes by SMS was added to your account."),
    "sms_changed": _("The phone number for sign-in codes by SMS was changed."),
    "sms_enabled": _("Sign-in codes by SMS were turned on."),
    "sms_disabled": _("Sign-in codes by SMS were turned off."),
    "sms_removed": _("The phone number for sign-in codes by SMS was removed."),
    "mfa_reset": _("An administrator reset the second factors of your account."),
}


def mail_code(challenge: CodeChallenge, code: str) -> None:
    """Mails a sign-in or confirmation code to the challenge's address."""
    with translation.override(challenge.language):
        context = {
            "code": code,
            "minutes": settings.MFA_CODE_TTL_SECONDS // 60,
            "site_name": settings.SSO_SITE_NAME,
            "purpose": challenge.purpose,
        }
        subject = render_to_string("mfa/email/code_subject.txt", context).strip()
        body = render_to_string("mfa/email/code.txt", context)
    send_mail(subject, body, None, [challenge.destination])


def notify_change(user: User, change: str, request: HttpRequest | None = None) -> None:
    """Records the change in the audit trail and queues a notice mail after it commits."""
    from mfa.tasks import send_security_notice

    audit.record(request, audit.FACTOR_CHANGED, user=user, change=change)
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: send_security_notice.delay(user.pk, change, language))


def mail_security_notice(user_id: int, change: str, language: str) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email or change not in CHANGES:
        return
    with translation.override(language):
        context = {
            "user": user,
            "change": CHANGES[change],
            "site_name": settings.SSO_SITE_NAME,
            "settings_path": reverse("mfa:settings"),
        }
        subject = render_to_string("mfa/email/notice_subject.txt", context).strip()
        body = render_to_string("mfa/email/notice.txt", context)
    send_mail(subject, body, None, [user.email])
