"""The hourly roll-up of the audit trail that the Overview reads instead of the raw events.

A page over 30 days of a trail of millions of events must not scan them (a few hundred rows per
day here instead). Rows are written only by ``accounts.overview.rollup.roll_up`` for complete
hours; the hours since the last roll-up are counted from the raw events at read time.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

ALL_GROUPS = 0  # group_id of the rows that count everyone


class HourlyCount(models.Model):
    """How many events of one category (and label, relying app, group) happened in one hour."""

    class Category(models.TextChoices):
        SIGNIN = "signin", _("sign-in")
        FAILURE = "failure", _("failure")
        FACTOR = "factor", _("second factor")
        NEW_DEVICE = "new_device", _("new device")

    hour = models.DateTimeField()  # start of the hour, UTC
    category = models.CharField(max_length=12, choices=Category.choices)
    # A failure's reason or a factor's method; empty for sign-ins and new devices.
    label = models.CharField(max_length=40, blank=True)
    # The relying app's client_id the sign-in was for; empty for the portal itself.
    app = models.CharField(max_length=100, blank=True)
    # A group's id (no foreign key: a deleted group's history stays), or ALL_GROUPS.
    group_id = models.IntegerField(default=ALL_GROUPS)
    count = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("hourly count")
        verbose_name_plural = _("hourly counts")
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "category", "label", "app", "group_id"], name="overview_hour_key"
            )
        ]
        indexes = [models.Index(fields=["group_id", "hour"])]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.category} {self.label} {self.count}"


class RollupProgress(models.Model):
    """One row: every hour before ``rolled_until`` is in HourlyCount."""

    rolled_until = models.DateTimeField()

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"rolled up until {self.rolled_until:%Y-%m-%d %H:%M}"
