"""The account e-mail is the one verified address (design.md "Bringing people in"; seeds/000
§4.1: the user changes the registered address on the Email tab, without the contact centre).

The Email tab proves the new address with a code (mfa.destination, mfa.email_factor) and then
calls ``use_verified_address``: sign-in codes, password reset and notices all go to it, and the
old address is told.
"""

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import translation

from accounts import audit
from accounts.language import mail_language
from accounts.models import User
from sso.mail import absolute_url, send_portal_mail


def use_verified_address(user: User, address: str, request: HttpRequest | None = None) -> bool:
    """Makes ``address`` (already proved by a code) the account e-mail of ``user``.

    Returns False when it already was. Otherwise saves it, writes an ``email.changed`` audit
    event and, after commit, mails a notice to the old address (when there was one) through
    Celery, so that a person whose account was taken over learns of it.
    """
    old = user.email
    if old == address:
        return False
    User.objects.filter(pk=user.pk).update(email=address)
    user.email = address
    audit.record(request, audit.EMAIL_CHANGED, user=user)
    if old and old.lower() != address.lower():
        from accounts.tasks import send_email_changed_notice

        language = translation.get_language() or settings.LANGUAGE_CODE
        transaction.on_commit(
            lambda: send_email_changed_notice.delay(user.pk, old, address, language)
        )
    return True


def mail_email_changed_notice(user: User, old: str, new: str, language: str) -> None:
    """Tells the old address that the account e-mail is now ``new`` (masked)."""
    local, _, domain = new.partition("@")
    masked = f"{local[:2]}{'*' * max(1, len(local) - 2)}@{domain}"
    context = {
        "user": user,
        "new_address": masked,
        "settings_url": absolute_url("/security/"),
    }
    send_portal_mail("accounts/email/email_changed", old, context, mail_language(user, language))
