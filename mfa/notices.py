"""Messages to the user: their code, and notices of security changes."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

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


def notify_change(user: User, change: str) -> None:
    """Queues a notice mail after the change commits."""
    from mfa.tasks import send_security_notice

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
