"""The portal's one way to send a mail a person can act on.

Every mail kind (codes, security notices, password reset, registration, invitations,
reminders ...) goes through :func:`send_portal_mail`, so each one is:

- **multipart**: the plain text the template renders, plus a simple HTML part in the portal's
  look (``templates/email/base.html``) made from the same text unless the kind has its own
  ``<template>.html``;
- **absolute**: links are made with :func:`absolute_url` from ``SSO_BASE_URL`` (the address
  people open), never from a request's ``Host`` header and never relative;
- **from the portal's domain**: the ``Message-ID`` ends in ``SSO_BASE_URL``'s host name
  (RFC 5322 section 3.6.4), not in the machine's name;
- **in the recipient's language**: rendered under ``translation.override(language)``.

A subject with non-ASCII characters is RFC 2047-encoded by Django; it is rendered from its own
template and stripped, so it never starts with a space or spans lines.
"""

from collections.abc import Mapping, Sequence
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation


def absolute_url(path: str) -> str:
    """Returns ``path`` (e.g. ``reverse("mfa:settings")``, starting with ``/``) as an absolute
    URL under ``SSO_BASE_URL``; a ``path`` that already has a scheme is returned unchanged."""
    if urlsplit(path).scheme:
        return path
    return settings.SSO_BASE_URL.rstrip("/") + "/" + path.lstrip("/")


def message_id_domain() -> str:
    """The host name of ``SSO_BASE_URL``, used on the right of every ``Message-ID``."""
    return urlsplit(settings.SSO_BASE_URL).hostname or "localhost"


class PortalMail(EmailMultiAlternatives):
    """Django's multipart mail, with a non-ASCII subject encoded as a mail client expects.

    Django encodes such a subject before it knows the header's name, so a long one is folded
    onto the next line (``Subject:`` followed by a line break) and mail clients show it with a
    leading space. Encoding it with the header's name (RFC 2047 section 2) keeps the first
    encoded word on the ``Subject:`` line.
    """

    def message(self):  # type: ignore[no-untyped-def]
        message = super().message()
        if not self.subject.isascii():
            del message["Subject"]
            # Bypasses Django's re-encoding; the subject was checked to hold no line break.
            MIMEMultipart.__setitem__(
                message, "Subject", Header(self.subject, "utf-8", header_name="Subject")
            )
        return message


def render_portal_mail(
    template: str, context: Mapping[str, Any], language: str
) -> tuple[str, str, str]:
    """Renders one mail kind in ``language``; returns ``(subject, text, html)``.

    ``template`` names three templates: ``<template>_subject.txt`` (one line),
    ``<template>.txt`` (the plain text, autoescape off) and, optionally, ``<template>.html``
    (extends ``email/base.html``); without the last, the HTML part is the plain text inside
    ``email/base.html``, its URLs made into links. The context also gets ``site_name`` and
    ``portal_url`` (the absolute address of the portal).
    """
    full = {"site_name": settings.SSO_SITE_NAME, "portal_url": absolute_url("/"), **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", full).split())
        text = render_to_string(f"{template}.txt", full).strip() + "\n"
        try:
            html = render_to_string(f"{template}.html", full)
        except TemplateDoesNotExist:
            html = render_to_string(
                "email/base.html", {**full, "text": text, "subject": subject, "language": language}
            )
    return subject, text, html


def send_portal_mail(
    template: str,
    to: str | Sequence[str],
    context: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> None:
    """Renders mail kind ``template`` (see :func:`render_portal_mail`) in ``language`` (default
    ``LANGUAGE_CODE``) and sends it now to ``to`` (an address or a list) from
    ``DEFAULT_FROM_EMAIL``.

    Sends synchronously through ``EMAIL_BACKEND``: call it from a Celery task (after commit) so
    that an SMTP error is retried by the task, never raised in a page. Raises what the backend
    raises (``smtplib.SMTPException``, ``OSError``).
    """
    recipients = [to] if isinstance(to, str) else list(to)
    subject, text, html = render_portal_mail(
        template, context or {}, language or settings.LANGUAGE_CODE
    )
    if "\n" in subject or "\r" in subject:  # never: render_portal_mail joins the words
        raise ValueError("a subject holds no line break")
    message = PortalMail(
        subject,
        text,
        None,
        recipients,
        headers={"Message-ID": make_msgid(domain=message_id_domain())},
    )
    message.attach_alternative(html, "text/html")
    message.send()
