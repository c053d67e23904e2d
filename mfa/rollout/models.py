"""The state of an MFA rollout: who must have a second factor by when, and what happened.

design.md "Rolling MFA out": a policy for everyone and one per group (none, optional,
required) with an optional deadline; per-person extensions; reminders given or skipped; a daily
snapshot of adoption for the trend. mfa.rollout.policy turns these rows into one person's rule.
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class Level(models.TextChoices):
    """How strongly a second factor is asked for, weakest first."""

    NONE = "none", _("none: not asked")
    OPTIONAL = "optional", _("optional: suggested on Home")
    REQUIRED = "required", _("required")


# Weakest to strictest: the strictest policy of a person's groups applies.
LEVEL_RANK = {Level.NONE: 0, Level.OPTIONAL: 1, Level.REQUIRED: 2}


class Factor(models.TextChoices):
    """The kinds of factor a policy may allow, in the order enrolment offers them."""

    PASSKEY = "passkey", _("Passkey")
    TOTP = "totp", _("Authenticator app")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class PolicyFields(models.Model):
    level = models.CharField(_("policy"), max_length=8, choices=Level.choices, default=Level.NONE)
    deadline = models.DateTimeField(
        _("deadline"),
        null=True,
        blank=True,
        help_text=_(
            "Until then people without a second factor are reminded; after it they must set "
            "one up before they continue. Empty with 'required': at their next sign-in."
        ),
    )
    allow_passkey = models.BooleanField(_("allow passkeys"), default=True)
    allow_totp = models.BooleanField(_("allow authenticator apps"), default=True)
    allow_email = models.BooleanField(_("allow codes by email"), default=True)
    allow_sms = models.BooleanField(_("allow codes by SMS"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def allowed_factors(self) -> tuple[str, ...]:
        """The factor kinds this policy allows, in enrolment order."""
        return tuple(f.value for f in Factor if getattr(self, f"allow_{f.value}"))


class OverallPolicy(PolicyFields):
    """The policy for everyone (one row). Without it, MFA_REQUIRED_FOR gives the default."""

    staff_level = models.CharField(
        _("policy for staff"),
        max_length=8,
        choices=Level.choices,
        default=Level.REQUIRED,
        help_text=_(
            "Staff and superusers must have a second factor at once unless you choose "
            "otherwise here; their groups still apply."
        ),
    )

    class Meta:
        verbose_name = _("MFA policy for everyone")
        verbose_name_plural = _("MFA policy for everyone")

    def __str__(self) -> str:
        return str(_("Everyone"))


class GroupPolicy(PolicyFields):
    """The policy of one group; a person in several groups gets the strictest."""

    group = models.OneToOneField(
        Group, on_delete=models.CASCADE, related_name="mfa_policy", verbose_name=_("group")
    )

    class Meta:
        verbose_name = _("MFA policy of a group")
        verbose_name_plural = _("MFA policies of groups")
        ordering = ["group__name"]

    def __str__(self) -> str:
        return self.group.name


class Extension(models.Model):
    """An admin gave one person more time: their deadline is at least ``until``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mfa_extension",
        verbose_name=_("user"),
    )
    until = models.DateTimeField(_("extended until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    class Meta:
        verbose_name = _("MFA deadline extension")
        verbose_name_plural = _("MFA deadline extensions")

    def __str__(self) -> str:
        return f"{self.user} → {self.until:%Y-%m-%d}"


class Reminder(models.Model):
    """A reminder shown or mailed, or skipped with Later."""

    class Kind(models.TextChoices):
        LATER = "later", _("skipped with Later")
        MAILED = "mailed", _("mailed")
        MAIL_FAILED = "mail_failed", _("mail failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mfa_reminders"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("MFA reminder")
        verbose_name_plural = _("MFA reminders")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} {self.created_at:%Y-%m-%d}"


class AdoptionSnapshot(models.Model):
    """One day's adoption for everyone (``scope`` empty) or one group, kept for the trend.

    The group's name is copied so a deleted group's history stays readable.
    """

    day = models.DateField(_("day"))
    scope = models.CharField(_("group"), max_length=150, blank=True)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL)
    people = models.PositiveIntegerField(_("people"))
    enrolled = models.PositiveIntegerField(_("with a second factor"))
    by_factor = models.JSONField(_("by factor"), default=dict)
    skipped = models.PositiveIntegerField(_("reminders skipped"), default=0)

    class Meta:
        verbose_name = _("MFA adoption snapshot")
        verbose_name_plural = _("MFA adoption snapshots")
        ordering = ["day", "scope"]
        constraints = [
            models.UniqueConstraint(fields=["day", "scope"], name="mfa_rollout_one_snapshot")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.scope or 'everyone'} {self.enrolled}/{self.people}"


class AdoptionPerson(User):
    """People as the "MFA adoption" admin view lists them (read-only; a proxy of the user)."""

    class Meta:
        proxy = True
        verbose_name = _("MFA adoption")
        verbose_name_plural = _("MFA adoption")
