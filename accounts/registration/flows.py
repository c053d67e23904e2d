"""The rules of self-registration: who may sign up, the limits, the mails, the verification.

``ACCOUNTS_SIGNUP`` is ``closed`` (no page), ``open``, or ``domains`` (only addresses of
``ACCOUNTS_SIGNUP_DOMAINS``). No enumeration (OWASP ASVS V2.1 / allauth's "prevent
enumeration"): whatever was typed, the person sees the same "check your e-mail" page; the
difference is only in the mail, which only the address's owner reads. A free name and address
get a verification link; an address that already has an account gets a notice ("someone tried
to register with your address"); a taken username gets a mail saying so. The account is made
only when the link is opened (single use, ACCOUNTS_SIGNUP_LINK_HOURS), so an unverified sign-up
never signs in and never holds a username.
"""

import enum
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from accounts import audit
from accounts.language import mail_language
from accounts.links import link_token, parse_key, token_matches
from accounts.lockout import count_in_window
from accounts.models import User
from accounts.registration.models import PendingSignup
from sso.mail import absolute_url, send_portal_mail
from sso.net import client_ip

log = logging.getLogger(__name__)

LINK_PURPOSE = "signup"
CLOSED, OPEN, DOMAINS = "closed", "open", "domains"
IP_KEY = "signup:ip:{}"
ADDRESS_KEY = "signup:address:{}"
HOUR = 3600

# What the mail says (a key, not text, passes through the broker).
VERIFY, ADDRESS_TAKEN, USERNAME_TAKEN = "verify", "address_taken", "username_taken"


class VerifyProblem(enum.Enum):
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    USERNAME_TAKEN = "username_taken"
    ADDRESS_TAKEN = "address_taken"


@dataclass(frozen=True)
class Verified:
    user: User | None = None
    problem: VerifyProblem | None = None


def signup_open() -> bool:
    """Whether the registration page exists (ACCOUNTS_SIGNUP is ``open`` or ``domains``)."""
    return settings.ACCOUNTS_SIGNUP in (OPEN, DOMAINS)


def address_allowed(email: str) -> bool:
    """Whether ``email`` may register: any address when open, listed domains (exact, case
    ignored) under ``domains``."""
    if settings.ACCOUNTS_SIGNUP == OPEN:
        return True
    domain = email.rpartition("@")[2].lower()
    return domain in {d.lower() for d in settings.ACCOUNTS_SIGNUP_DOMAINS}


def over_limit(request: HttpRequest, email: str) -> bool:
    """Counts one sign-up against the client IP and the address (each per hour); True when
    either is over ACCOUNTS_SIGNUP_PER_IP_PER_HOUR / ACCOUNTS_SIGNUP_PER_ADDRESS_PER_HOUR.
    The same answer whether or not the address has an account."""
    by_ip = count_in_window(IP_KEY.format(client_ip(request)), HOUR)
    by_address = count_in_window(ADDRESS_KEY.format(email.strip().lower()), HOUR)
    return (
        by_ip > settings.ACCOUNTS_SIGNUP_PER_IP_PER_HOUR
        or by_address > settings.ACCOUNTS_SIGNUP_PER_ADDRESS_PER_HOUR
    )


def register(
    request: HttpRequest, *, username: str, full_name: str, email: str, password: str
) -> None:
    """Takes a valid sign-up (the form checked format, policy and password rules) and queues
    the one mail it deserves (module docstring); the caller shows the same page in every case.

    Writes a ``signup.requested`` audit event (refused with the reason when the name or
    address is taken). Expired pending sign-ups are removed on the way.
    """
    from accounts.registration.tasks import send_signup_mail

    now = timezone.now()
    language = translation.get_language() or settings.LANGUAGE_CODE
    PendingSignup.objects.filter(expires_at__lt=now).delete()
    # Hash in every case, so that the answer takes as long whether or not a name is taken.
    password_hash = make_password(password)
    if User.objects.filter(email__iexact=email).exists():
        kind, reason, pending_id = ADDRESS_TAKEN, "address_taken", None
    elif User.objects.find_by_username(username) is not None:
        kind, reason, pending_id = USERNAME_TAKEN, "username_taken", None
    else:
        pending = PendingSignup.objects.create(
            username=username,
            full_name=full_name,
            email=email,
            password=password_hash,
            language=language,
            created_at=now,
            expires_at=now + timedelta(hours=settings.ACCOUNTS_SIGNUP_LINK_HOURS),
        )
        kind, reason, pending_id = VERIFY, "", pending.pk
    result = audit.REFUSED if reason else audit.SUCCESS
    details = {"reason": reason} if reason else {}
    audit.record(request, audit.SIGNUP_REQUESTED, result, username=username, **details)
    transaction.on_commit(
        lambda: send_signup_mail.delay(kind, email, username, pending_id, language)
    )


def verification_link(pending: PendingSignup) -> str:
    """The absolute verification link of ``pending`` under SSO_BASE_URL."""
    token = link_token(LINK_PURPOSE, pending.key)
    return absolute_url(reverse("accounts:signup_verify", args=[pending.key, token]))


def mail_signup(
    kind: str, email: str, username: str, pending_id: int | None, language: str
) -> None:
    """Sends the sign-up mail ``kind`` (VERIFY, ADDRESS_TAKEN, USERNAME_TAKEN) to ``email``.

    Raises what the mail backend raises (the task retries).
    """
    context = {
        "username": username,
        "hours": settings.ACCOUNTS_SIGNUP_LINK_HOURS,
        "signin_url": absolute_url(reverse("accounts:login")),
        "reset_url": absolute_url(reverse("accounts:forgot_password")),
        "register_url": absolute_url(reverse("accounts:signup")),
    }
    if kind == ADDRESS_TAKEN:
        # The owner of the address chose a language on their Profile: the notice uses it.
        language = mail_language(User.objects.filter(email__iexact=email).first(), language)
    if kind == VERIFY:
        pending = PendingSignup.objects.filter(pk=pending_id, completed_at__isnull=True).first()
        if pending is None:
            return
        context["link"] = verification_link(pending)
    send_portal_mail(f"accounts/email/signup_{kind}", email, context, language)


def find_pending(key: str, token: str) -> PendingSignup | VerifyProblem:
    """The pending sign-up a link names, or why the link cannot be used."""
    parsed = parse_key(key)
    pending = PendingSignup.objects.filter(key=parsed).first() if parsed else None
    if pending is None or not token_matches(LINK_PURPOSE, pending.key, token):
        return VerifyProblem.INVALID
    if pending.completed_at is not None:
        return VerifyProblem.USED
    if pending.expires_at <= timezone.now():
        return VerifyProblem.EXPIRED
    return pending


def verify(request: HttpRequest, pending: PendingSignup) -> Verified:
    """Makes the account of a verified sign-up (single use: the row is locked and marked).

    Returns the new active User, or the problem: the link was used meanwhile, or the username
    or the address was taken since (the person then registers again or signs in). Writes a
    ``signup.completed`` audit event.
    """
    with transaction.atomic():
        locked = PendingSignup.objects.select_for_update().get(pk=pending.pk)
        if locked.completed_at is not None:
            return Verified(problem=VerifyProblem.USED)
        if User.objects.filter(email__iexact=locked.email).exists():
            return Verified(problem=VerifyProblem.ADDRESS_TAKEN)
        user = User(
            username=locked.username,
            full_name=locked.full_name,
            email=locked.email,
            password=locked.password,
        )
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:  # the canonical username is unique (accounts.usernames)
            return Verified(problem=VerifyProblem.USERNAME_TAKEN)
        locked.completed_at = timezone.now()
        locked.password = ""
        locked.save(update_fields=["completed_at", "password"])
        audit.record(request, audit.SIGNUP_COMPLETED, user=user)
    log.info("account %s registered", user.pk)
    return Verified(user=user)
