"""Messages to the user: their code, and notices of security changes."""

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts import audit
from accounts.language import mail_language
from accounts.models import User
from mfa.models import CodeChallenge
from sso.mail import absolute_url, send_portal_mail

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
# Changes an administrator makes: "if this was you" makes no sense to their reader.
ADMIN_CHANGES = frozenset({"mfa_reset"})


def mail_code(challenge: CodeChallenge, code: str) -> None:
    """Mails a sign-in or confirmation code to the challenge's address, worded for its purpose
    (a confirmation code is not a sign-in attempt, nor is the proof asked before setting up a
    second factor: "bind"). Raises the mail backend's errors."""
    send_portal_mail(
        "mfa/email/code",
        challenge.destination,
        {
            "code": code,
            "minutes": max(1, settings.MFA_CODE_TTL_SECONDS // 60),
            "purpose": "bind" if challenge.is_binding_proof else challenge.purpose,
            "password_url": absolute_url(reverse("accounts:password_change")),
        },
        challenge.language,
    )


def notify_change(user: User, change: str, request: HttpRequest | None = None) -> None:
    """Records the change in the audit trail and queues a notice mail after it commits."""
    from mfa.tasks import send_security_notice

    audit.record(request, audit.FACTOR_CHANGED, user=user, change=change)
    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: send_security_notice.delay(user.pk, change, language))


def mail_security_notice(user_id: int, change: str, language: str) -> None:
    """Mails ``user_id`` the notice of ``change`` (a key of ``CHANGES``) in ``language``; does
    nothing for an unknown user, change or an account without an address."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email or change not in CHANGES:
        return
    send_portal_mail(
        "mfa/email/notice",
        user.email,
        {
            "user": user,
            "change": CHANGES[change],
            "by_admin": change in ADMIN_CHANGES,
            "settings_url": absolute_url(reverse("mfa:settings")),
        },
        mail_language(user, language),
    )
