"""State of the second factors: code address, one-time codes, trusted devices, recovery codes.

The authenticator app uses django-otp's own ``TOTPDevice``. The e-mail factor builds on
django-otp's ``Device`` base but not on its ``EmailDevice``, which keeps codes in plain text and
sends them inline: here a code lives only as an HMAC in ``CodeChallenge``, sent by a Celery task.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, TimestampMixin


class EmailDevice(TimestampMixin, Device):
    """The e-mail factor: the address codes go to, confirmed by a code typed back."""

    email = models.EmailField(_("email address"))

    class Meta:
        verbose_name = _("email factor")
        verbose_name_plural = _("email factors")


class CodeChallenge(models.Model):
    """One code-by-message exchange (e-mail or SMS) for one sign-in attempt or enrolment.

    A resend replaces the code (``generation`` goes up, the old hash is wiped) but keeps the
    failure count, so resending never buys more guesses (design.md, Factors).
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Purpose(models.TextChoices):
        SIGNIN = "signin", _("sign-in")
        ENROL = "enrol", _("confirm a new address")

    class Delivery(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    # Random id of the sign-in attempt (or enrolment) that asked for the code (seeds/001).
    attempt_id = models.CharField(max_length=64)
    destination = models.CharField(max_length=254)
    # The language the user was reading in, for the message text.
    language = models.CharField(max_length=8, default="en")
    code_hash = models.CharField(max_length=64, blank=True)
    generation = models.PositiveIntegerField(default=0)
    sends = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    delivery = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "attempt_id", "channel", "purpose"], name="mfa_one_challenge"
            )
        ]
        indexes = [models.Index(fields=["created_at"])]

    # The account e-mail proof before a first factor is bound (mfa.binding) is a sign-in code
    # by its purpose (it shares the sign-in send budget); its attempt ids start with this.
    PROOF_ATTEMPT_PREFIX = "bind-"

    def __str__(self) -> str:
        return f"{self.channel} code for {self.user_id} ({self.purpose})"

    @property
    def is_binding_proof(self) -> bool:
        """Whether this is the account e-mail proof asked before binding a first factor."""
        return self.purpose == self.Purpose.SIGNIN and self.attempt_id.startswith(
            self.PROOF_ATTEMPT_PREFIX
        )


class TrustedDevice(models.Model):
    """A browser where the second factor was passed, trusted until ``expires_at``.

    The browser keeps a signed cookie with a random id; only its SHA-256 is stored here, so a
    database leak does not let anyone forge a trusted browser.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_devices"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("trusted device")
        verbose_name_plural = _("trusted devices")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_agent[:40] or 'browser'} until {self.expires_at:%Y-%m-%d %H:%M}"


class RecoveryCode(models.Model):
    """A single-use recovery code, stored as an HMAC; the set is replaced when regenerated."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code {self.pk} ({'used' if self.used_at else 'unused'})"
