"""How the invitations of an import are going out (the admin's status line on Users).

An import with "Invite the new accounts" makes one ``InvitationBatch``; the Celery task sends
its mails at ACCOUNTS_INVITE_RATE and marks each one sent or failed, so the counts are read from
the invitations themselves (one query) and a reload of the page shows them moving.
"""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from accounts.invitations.models import Invitation, InvitationBatch


@dataclass(frozen=True)
class BatchProgress:
    batch: InvitationBatch
    total: int
    sent: int
    failed: int
    # Still to go out: neither sent nor failed, and not replaced, accepted or expired meanwhile.
    waiting: int

    @property
    def done(self) -> bool:
        return self.waiting == 0


def progress_of(batch: InvitationBatch) -> BatchProgress:
    now = timezone.now()
    unsent = Q(sent_at__isnull=True, failed_at__isnull=True)
    open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
    counts = Invitation.objects.filter(batch=batch).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        failed=Count("pk", filter=Q(sent_at__isnull=True, failed_at__isnull=False)),
        waiting=Count("pk", filter=unsent & open_),
    )
    return BatchProgress(batch=batch, **counts)


def latest_progress() -> BatchProgress | None:
    """The progress of the last import's invitations, or None when no import invited anyone."""
    batch = InvitationBatch.objects.select_related("created_by").first()
    return progress_of(batch) if batch is not None else None


def record_failure(invitation_id: int, error: Exception) -> None:
    """The mail of ``invitation_id`` cannot be sent (refused address, or the last retry failed):
    the admin sees it as failed; a resend makes a new invitation."""
    Invitation.objects.filter(pk=invitation_id, sent_at__isnull=True).update(
        failed_at=timezone.now(), failure=str(error)[:200]
    )
