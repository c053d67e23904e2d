"""Forgot password ("Lupa Password", seeds/000): asks for the email and the username.

The page answers the same whether or not they match an account. The link is made by Django's
password-reset token generator: it lives ``PASSWORD_RESET_TIMEOUT`` seconds and dies once used,
because the token covers the password hash that the reset changes.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import audit
from accounts.language import mail_language
from accounts.models import User
from accounts.usernames import canonical_username
from sso.mail import absolute_url, send_portal_mail
from sso.net import client_ip

RESET_REQUESTS_KEY = "password_reset:ip:{}"


def over_request_limit(request: HttpRequest) -> bool:
    """Counts this request against the client IP's hourly allowance; True when over it."""
    key = RESET_REQUESTS_KEY.format(client_ip(request))
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > settings.ACCOUNTS_RESET_REQUESTS_PER_HOUR


def request_password_reset(request: HttpRequest, email: str, username: str) -> None:
    """Queues the reset mail when email and username name the same active account."""
    user = User.objects.filter(
        username_canonical=canonical_username(username), email__iexact=email, is_active=True
    ).first()
    if user is None or not user.has_usable_password():
        audit.record(request, audit.PASSWORD_RESET_REQUESTED, audit.REFUSED, username=username)
        return
    audit.record(request, audit.PASSWORD_RESET_REQUESTED, user=user)
    from accounts.tasks import send_password_reset_mail

    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: send_password_reset_mail.delay(user.pk, language))


def reset_link(user: User) -> str:
    """The single-use absolute link for ``user`` under ``SSO_BASE_URL``, made where it is mailed
    (never passed through a broker)."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return absolute_url(path)


def mail_reset_link(user: User, language: str) -> None:
    """Mails the reset link to the account's address, in the language the user asked in."""
    send_portal_mail(
        "accounts/email/password_reset",
        user.email,
        {
            "user": user,
            "link": reset_link(user),
            "minutes": max(1, settings.PASSWORD_RESET_TIMEOUT // 60),
        },
        mail_language(user, language),
    )
