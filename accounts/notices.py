"""Mails about the account itself (new-device alert)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User


def mail_new_device_alert(user: User, device: str, ip: str, base_url: str, language: str) -> None:
    with translation.override(language):
        context = {
            "user": user,
            "device": device,
            "ip": ip,
            "time": timezone.localtime(),
            "site_name": settings.SSO_SITE_NAME,
            "settings_url": base_url + reverse("mfa:settings"),
        }
        subject = render_to_string("accounts/email/new_device_subject.txt", context).strip()
        body = render_to_string("accounts/email/new_device.txt", context)
    send_mail(subject, body, None, [user.email])
