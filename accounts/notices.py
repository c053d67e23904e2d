"""Mails about the account itself (new-device alert)."""

from django.urls import reverse
from django.utils import timezone

from accounts.language import mail_language
from accounts.models import User
from sso.mail import absolute_url, send_portal_mail


def mail_new_device_alert(user: User, device: str, ip: str, language: str) -> None:
    """Tells ``user`` that a browser it has not used before (``device``, a readable label, from
    ``ip``) just signed in. Raises the mail backend's errors."""
    send_portal_mail(
        "accounts/email/new_device",
        user.email,
        {
            "user": user,
            "device": device,
            "ip": ip,
            "time": timezone.localtime(),
            "settings_url": absolute_url(reverse("mfa:settings")),
        },
        mail_language(user, language),
    )
