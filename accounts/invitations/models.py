"""One invitation mail: a single-use link that lets a person set their first password."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InvitationBatch(models.Model):
    """The invitations one import sent together, so the admin can follow them going out
    (sent / failed / waiting, read from the invitations themselves)."""

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        app_label = "accounts"
        verbose_name = _("invitation batch")
        verbose_name_plural = _("invitation batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitations of {self.created_at:%Y-%m-%d %H:%M}"


class Invitation(models.Model):
    """An invitation to one account. The link carries ``key`` and an HMAC of it (never stored),
    so neither the database nor the broker holds a usable link.

    A newer invitation to the same account, or the account's deactivation, revokes the older
    one; accepting it once ends it (single use).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("mail failed")
        ACCEPTED = "accepted", _("accepted")
        EXPIRED = "expired", _("expired")
        REVOKED = "revoked", _("replaced or withdrawn")

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="invitations")
    invited_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    # Set by the Celery task once the SMTP server took the mail.
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    # Set when the mail could not be sent: the SMTP server refused the address, or every retry
    # failed. A new invitation (resend) starts again.
    failed_at = models.DateTimeField(_("mail failed"), null=True, blank=True)
    failure = models.CharField(_("failure"), max_length=200, blank=True)
    # The import that sent it, when one did.
    batch = models.ForeignKey(
        InvitationBatch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        app_label = "accounts"
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.state})"

    @property
    def state(self) -> str:
        """One of ``Invitation.State``'s values, as of now."""
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        if self.sent_at is not None:
            return self.State.SENT
        return self.State.FAILED if self.failed_at is not None else self.State.QUEUED

    @property
    def is_open(self) -> bool:
        """Whether the link can still be accepted (not accepted, revoked or expired). A failed
        mail's link stays usable: an SMTP error after the server took the mail is possible."""
        return self.state in (self.State.QUEUED, self.State.SENT, self.State.FAILED)
