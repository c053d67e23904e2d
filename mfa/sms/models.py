"""State of the SMS factor: the user's phone, and one delivery record per message sent.

The code itself lives only as an HMAC in ``mfa.CodeChallenge`` (mfa/codes.py); nothing here
holds a code or a gateway secret.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from mfa.models import CodeChallenge


class SmsDevice(Device):
    """The SMS factor: a mobile number in E.164, saved only once a code sent to it was typed
    back (so ``confirmed`` is always true), and a switch to turn codes by SMS on or off."""

    number = models.CharField(_("phone number"), max_length=16)
    enabled = models.BooleanField(_("codes by SMS on"), default=True)

    class Meta:
        verbose_name = _("SMS factor")
        verbose_name_plural = _("SMS factors")
        constraints = [models.UniqueConstraint(fields=["user"], name="sms_one_device_per_user")]


class SmsDelivery(models.Model):
    """One message of one send (challenge, generation): what the gateway did with it.

    Unique per send, so a task that Celery delivers twice (a worker died, a visibility
    timeout ran out) finds the record and never sends the same send's message twice.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        # A worker has handed the message to the gateway and awaits its answer.
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        # The worker died while the gateway had the message: it may well have gone out, so it
        # is not sent again (the user can ask for a new code).
        UNCONFIRMED = "unconfirmed", _("unconfirmed")
        # A newer code was asked for before this one left: not sent.
        SUPERSEDED = "superseded", _("superseded")

    challenge = models.ForeignKey(
        CodeChallenge, on_delete=models.SET_NULL, null=True, related_name="sms_deliveries"
    )
    generation = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sms_deliveries"
    )
    purpose = models.CharField(max_length=8, choices=CodeChallenge.Purpose.choices)
    to_masked = models.CharField(_("to"), max_length=32)
    gateway = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The provider's last answer: an HTTP status or a process exit code, and its text, trimmed,
    # with the code blanked out should the provider echo the message.
    provider_status = models.IntegerField(null=True, blank=True)
    provider_answer = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS delivery")
        verbose_name_plural = _("SMS deliveries")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["challenge", "generation"], name="sms_one_per_send")
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"SMS to {self.to_masked} ({self.status})"

    @property
    def reference(self) -> str:
        """Stable per send: for providers that deduplicate on a client reference."""
        return f"sso-{self.challenge_id}-{self.generation}"
