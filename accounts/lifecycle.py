"""An account's life after it exists: invite, deactivate, reactivate, delete.

The functions other parts call (admin actions, SCIM provisioning, the MFA rollout, the
self-service account pages) when an account's state changes. Each runs in a transaction,
writes an audit event naming the actor, and sends mail or back-channel logouts only after
commit (style.md: "every security change leaves a trace").
"""

import logging

from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from accounts import audit, sessions, signals
from accounts.invitations.flows import InvitationRefused, revoke_open_invitations, send_invitation
from accounts.models import AuditEvent, User
from accounts.usernames import canonical_username
from sso.oidc import flows as oidc_flows
from sso.oidc.models import SignInContext

__all__ = [
    "InvitationRefused",
    "deactivate_account",
    "pseudonym",
    "pseudonymise_and_delete",
    "reactivate_account",
    "send_invitation",
]

log = logging.getLogger(__name__)


def deactivate_account(
    user: User, *, actor: User | None, reason: str, request: HttpRequest | None = None
) -> int:
    """Deactivates ``user`` and ends everything they are signed in to, at once.

    Takes the account, who did it (``actor``: an admin, a provisioning client's account, or
    None for the system, e.g. the user deleting themselves), a short ``reason`` for the audit
    trail (free text, at most 200 characters kept) and the request when there is one.
    In one transaction: ``is_active`` becomes False; every portal session is deleted
    (accounts.sessions); every open invitation is withdrawn; every OAuth grant, access token
    and refresh token of the user is revoked; every relying-app session that came from a
    portal session is marked ended. After commit a back-channel logout (OpenID Connect
    Back-Channel Logout 1.0) is queued through Celery for each app session that has a
    ``backchannel_logout_uri``. Sends ``signals.account_deactivated`` (the MFA app drops
    trusted devices) and writes an ``account.deactivated`` event.
    Returns the number of back-channel logouts queued. Calling it on an inactive account
    ends whatever is left and records the event again; it never raises for that.
    """
    from sso.oidc.tasks import send_backchannel_logout

    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        sessions.end_other_sessions(request, user, actor=actor)
        revoke_open_invitations(user)
        notify = _end_relying_app_sessions(user)
        signals.account_deactivated.send(sender=User, user=user)
        audit.record(
            request, audit.ACCOUNT_DEACTIVATED, user=user, actor=actor, reason=reason,
            backchannel_logouts=len(notify),
        )  # fmt: skip
        for context_id in notify:
            transaction.on_commit(lambda pk=context_id: send_backchannel_logout.delay(pk))
    return len(notify)


def _end_relying_app_sessions(user: User) -> list[int]:
    """Revokes every token of ``user``; returns the sign-in contexts to send logouts for."""
    notify: list[int] = []
    sids = set(
        SignInContext.objects.filter(user=user, ended__isnull=True).values_list("sid", flat=True)
    )
    for sid in sids:
        notify.extend(oidc_flows.end_portal_session(user, sid))
    # Tokens issued outside a recorded portal session (older grants, other flows) go too.
    RefreshToken = get_refresh_token_model()
    for token in RefreshToken.objects.filter(user=user, revoked__isnull=True):
        token.revoke()
    get_access_token_model().objects.filter(user=user).delete()
    get_grant_model().objects.filter(user=user).delete()
    return notify


def reactivate_account(
    user: User, *, actor: User | None, reason: str = "", request: HttpRequest | None = None
) -> None:
    """Lets ``user`` sign in again (``is_active`` True) and writes ``account.reactivated``.

    Nothing that deactivation ended comes back: the person signs in afresh, and is asked the
    second factor on every browser (trusted devices were dropped).
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True
        audit.record(request, audit.ACCOUNT_REACTIVATED, user=user, actor=actor, reason=reason)


def pseudonym(user_id: int) -> str:
    """The stable stand-in for a deleted account in the audit trail: 'deleted-' and 12 hex
    digits of an HMAC of the id under SECRET_KEY (the same person's rows stay linkable; the
    name cannot be recovered without the key)."""
    digest = salted_hmac("accounts.lifecycle.pseudonym", str(user_id), algorithm="sha256")
    return "deleted-" + digest.hexdigest()[:12]


def _spellings_in_audit(canonical: str) -> set[str]:
    """Every name typed in audit rows linked to no account (a refused reset, a sign-up for a
    taken name, a failure before the account existed) that reads as ``canonical``: "ANI" and
    "ANI" in full-width letters are the person as much as "ani" (accounts.usernames). One pass
    over the distinct names; deletion is rare."""
    typed = (
        AuditEvent.objects.filter(user__isnull=True)
        .exclude(username="")
        .values_list("username", flat=True)
        .distinct()
    )
    return {name for name in typed.iterator() if canonical_username(name) == canonical}


def pseudonymise_and_delete(
    user: User, *, actor: User | None, reason: str, request: HttpRequest | None = None
) -> str:
    """Deletes ``user`` for good, keeping the audit trail under a pseudonym (UU 27/2022).

    First everything ``deactivate_account`` does (sessions, tokens, back-channel logouts).
    Then the user's audit events (as subject) lose the link to the account and their typed
    username becomes ``pseudonym(user.pk)``; events where the user was the actor keep no link
    either (the foreign key is set to NULL by the delete). The account row goes with what
    hangs on it (factors, passkeys, trusted devices, invitations, sessions). An
    ``account.deleted`` event under the pseudonym records ``actor`` and ``reason``.
    Returns the pseudonym.
    """
    with transaction.atomic():
        deactivate_account(user, actor=actor, reason=reason, request=request)
        alias = pseudonym(user.pk)
        # Audit rows are append-only for the application; this bulk update is the one
        # sanctioned rewrite besides retention (the law asks for it).
        AuditEvent.objects.filter(user=user).update(username=alias, user=None)
        names = _spellings_in_audit(user.username_canonical)
        AuditEvent.objects.filter(user__isnull=True, username__in=names).update(username=alias)
        user_id = user.pk
        user.delete()
        audit.record(
            request, audit.ACCOUNT_DELETED, username=alias,
            actor=actor if actor is not None and actor.pk != user_id else None, reason=reason,
        )  # fmt: skip
    log.info("account %s deleted", alias)
    return alias
