"""One invitation mail: a single-use link that lets a person set their first password."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Invitation(models.Model):
    """An invitation to one account. The link carries ``key`` and an HMAC of it (never stored),
    so neither the database nor the broker holds a usable link.

    A newer invitation to the same account, or the account's deactivation, revokes the older
    one; accepting it once ends it (single use).
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
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
        return self.State.SENT if self.sent_at is not None else self.State.QUEUED

    @property
    def is_open(self) -> bool:
        """Whether the link can still be accepted (not accepted, revoked or expired)."""
        return self.state in (self.State.QUEUED, self.State.SENT)
