"""The rules of an invitation (design.md "Bringing people in"): send, check, accept.

An admin (or SCIM provisioning, or a bulk import) adds a person without a password and calls
``send_invitation``. The mail carries a single-use link that lives ACCOUNTS_INVITE_DAYS days;
opening it lets the person choose a password (Django's validators), then the sign-in goes on as
after a right password: second-factor enrolment first when the MFA policy requires it.
"""

import enum
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from accounts import audit
from accounts.invitations.models import Invitation, InvitationBatch
from accounts.language import mail_language
from accounts.links import link_token, parse_key, token_matches
from accounts.models import User
from sso.mail import absolute_url, send_portal_mail

LINK_PURPOSE = "invitation"


class InvitationRefused(ValueError):
    """The account cannot be invited: inactive, without an e-mail, or already has a password.

    ``code`` names the reason (``inactive``, ``no_email``, ``has_password``).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class LinkProblem(enum.Enum):
    """Why an invitation link cannot be used; each has its own message on the page."""

    INVALID = "invalid"  # tampered, unknown, or its account is gone or inactive
    EXPIRED = "expired"
    USED = "used"
    REPLACED = "replaced"  # a newer invitation was sent, or it was withdrawn


@dataclass(frozen=True)
class LinkCheck:
    invitation: Invitation | None = None
    problem: LinkProblem | None = None


def invitation_link(invitation: Invitation) -> str:
    """The absolute accept link of ``invitation`` under SSO_BASE_URL (sso.mail.absolute_url)."""
    path = reverse(
        "accounts:invitation_accept",
        kwargs={"key": invitation.key, "token": link_token(LINK_PURPOSE, invitation.key)},
    )
    return absolute_url(path)


def send_invitation(
    user: User,
    *,
    actor: User | None,
    request: HttpRequest | None = None,
    batch: InvitationBatch | None = None,
) -> Invitation:
    """Invites ``user``: revokes their open invitations, makes a new one and queues its mail.

    Takes the account (active, with an e-mail, without a usable password), the admin or
    provisioning account behind it (``actor``, None for the system) and the request when there
    is one (IP and user agent for the audit trail; the link is under SSO_BASE_URL), and the
    import's ``batch`` whose progress the admin follows (accounts.invitations.progress).
    Returns the new Invitation, which lives ACCOUNTS_INVITE_DAYS days. The mail goes through
    Celery after the transaction commits (``send_invitation_mail``, at most
    ACCOUNTS_INVITE_RATE per worker). Writes an ``invitation.sent`` audit event.
    Raises InvitationRefused (``inactive``, ``no_email``, ``has_password``).
    """
    if not user.is_active:
        raise InvitationRefused("inactive")
    if not user.email:
        raise InvitationRefused("no_email")
    if user.has_usable_password():
        raise InvitationRefused("has_password")
    language = translation.get_language() or settings.LANGUAGE_CODE
    now = timezone.now()
    with transaction.atomic():
        revoke_open_invitations(user, now=now)
        invitation = Invitation.objects.create(
            user=user,
            invited_by=actor if actor is not None and actor.pk else None,
            created_at=now,
            expires_at=now + timedelta(days=settings.ACCOUNTS_INVITE_DAYS),
            batch=batch,
        )
        audit.record(request, audit.INVITATION_SENT, user=user, actor=actor)
        from accounts.invitations.tasks import send_invitation_mail

        transaction.on_commit(lambda: send_invitation_mail.delay(invitation.pk, language))
    return invitation


def revoke_open_invitations(user: User, *, now=None) -> int:  # type: ignore[no-untyped-def]
    """Withdraws every open invitation of ``user``; returns how many."""
    return Invitation.objects.filter(
        user=user, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now or timezone.now())


def mail_invitation(invitation: Invitation, language: str) -> None:
    """Mails the link of ``invitation`` to its account's address in ``language`` (sso.mail:
    multipart, absolute link); marks it sent.

    Raises what the mail backend raises (smtplib.SMTPException, OSError): the task retries.
    """
    user = invitation.user
    context = {
        "user": user,
        "link": invitation_link(invitation),
        "days": settings.ACCOUNTS_INVITE_DAYS,
    }
    send_portal_mail(
        "accounts/email/invitation", user.email, context, mail_language(user, language)
    )
    Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(sent_at=timezone.now())


def check_link(key: str, token: str) -> LinkCheck:
    """Whether an accept link can be used; the invitation, or the problem to tell the person."""
    parsed = parse_key(key)
    invitation = (
        Invitation.objects.select_related("user").filter(key=parsed).first() if parsed else None
    )
    if invitation is None or not token_matches(LINK_PURPOSE, invitation.key, token):
        return LinkCheck(problem=LinkProblem.INVALID)
    if not invitation.user.is_active:
        return LinkCheck(problem=LinkProblem.INVALID)
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        return LinkCheck(problem=LinkProblem.USED)
    if state == Invitation.State.REVOKED:
        return LinkCheck(problem=LinkProblem.REPLACED)
    if state == Invitation.State.EXPIRED:
        return LinkCheck(problem=LinkProblem.EXPIRED)
    return LinkCheck(invitation=invitation)


def accept_invitation(request: HttpRequest, invitation: Invitation, password: str) -> LinkCheck:
    """Sets the first password of the invited account and ends the invitation (single use).

    ``password`` must already have passed Django's validators (the form does it; they run
    again here against the account, raising ValidationError). Returns a LinkCheck whose
    ``invitation.user`` is the account with its new password (sign in with that object: the
    session is bound to the new hash), or the problem when another tab used or replaced the
    link meanwhile (the row is locked while it is checked), or the account was deleted.
    Writes ``invitation.accepted`` and ``password.changed`` audit events.
    """
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update()
            .select_related("user")
            .filter(pk=invitation.pk)
            .first()
        )
        if locked is None:  # the account was deleted since the link was checked, and it with it
            return LinkCheck(problem=LinkProblem.INVALID)
        if locked.state == Invitation.State.ACCEPTED:
            return LinkCheck(problem=LinkProblem.USED)
        if not locked.is_open:
            problem = LinkProblem.REPLACED if locked.revoked_at else LinkProblem.EXPIRED
            return LinkCheck(problem=problem)
        user = locked.user
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        audit.record(request, audit.INVITATION_ACCEPTED, user=user)
        audit.record(request, audit.PASSWORD_CHANGED, user=user, method="invitation")
    return LinkCheck(invitation=locked)
