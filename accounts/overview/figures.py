"""What the Overview shows, computed once per request from the hourly counts.

Times are shown in the portal's time zone (TIME_ZONE, default Asia/Jakarta). Counts are kept
per UTC hour; in a zone that is not a whole number of hours from UTC (India, +5:30) a day's bar
may hold half an hour of the next day: the audit list each bar links to is exact.
"""

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import audit, lockout
from accounts.models import AuditEvent, User, UserSession
from accounts.overview.models import ALL_GROUPS, HourlyCount
from accounts.overview.rollup import HOUR, SIGNIN_STEPS, Key, hourly_counts, start_of_hour

Category = HourlyCount.Category
DAYS = 30

# Human names of failure reasons (the audit event's details.reason) and of methods (amr values
# and challenge slugs). An unknown one is shown as recorded.
REASONS = {
    "wrong_password": _("Wrong password"),
    "locked": _("Account locked"),
    "account_locked": _("Account locked"),
    "ip_blocked": _("Blocked address"),
    "network_blocked": _("Blocked network"),
    "wrong_code": _("Wrong code"),
    "passkey": _("Passkey refused"),
    "wrong_answer": _("Wrong security answer"),
}
METHODS = {
    "totp": _("Authenticator"),
    "otp": _("Authenticator"),
    "email": _("Email"),
    "sms": _("SMS"),
    "recovery": _("Recovery code"),
    "passkey": _("Passkeys"),
    "hwk": _("Passkeys"),
}


@dataclass(frozen=True)
class Filters:
    """The page's filters: one group (or everyone) and one relying app (or all)."""

    group_id: int = ALL_GROUPS
    app: str | None = None

    @classmethod
    def from_query(cls, query: dict, client_ids: set[str]) -> "Filters":
        """Reads ``group`` (an id) and ``app`` (a registered client_id, "-" = the portal
        itself); anything else means no filter (never reaches a query: a NUL byte would)."""
        group = str(query.get("group", ""))
        app = str(query.get("app", ""))
        group_id = int(group) if group.isdigit() and len(group) < 10 else ALL_GROUPS
        if app == "-":
            return cls(group_id=group_id, app="")
        return cls(group_id=group_id, app=app if app in client_ids else None)


@dataclass
class Series:
    """A chart's data: labels along the axis and one list of numbers per line."""

    labels: list[str]
    lines: dict[str, list[int]] = field(default_factory=dict)
    # For each label, the audit-list window it links to: (start, end) aware datetimes.
    windows: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)


def local_midnight(day: dt.date) -> dt.datetime:
    """The aware start of ``day`` in the portal's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def counts_for_window(
    now: dt.datetime, filters: Filters
) -> tuple[dict[Key, int], dt.datetime, dt.date]:
    """The hourly counts of the last 30 local days up to now, their UTC start and first day."""
    today = timezone.localdate(now)
    first_day = today - dt.timedelta(days=DAYS - 1)
    start = start_of_hour(local_midnight(first_day))
    end = start_of_hour(now) + HOUR
    counts = hourly_counts(start, end, group_id=filters.group_id, app=filters.app)
    return counts, start, first_day


def _per_hour(counts: dict[Key, int]) -> Counter:
    """Totals per (hour, category), labels, apps and groups summed."""
    totals: Counter = Counter()
    for (hour, category, *_rest), n in counts.items():
        totals[hour, category] += n
    return totals


def last_24_hours(counts: dict[Key, int], now: dt.datetime) -> Series:
    """Sign-ins and failures per hour for the 24 hours up to now (the current hour last)."""
    hours = [start_of_hour(now) - HOUR * back for back in range(23, -1, -1)]
    totals = _per_hour(counts)
    series = Series(labels=[timezone.localtime(h).strftime("%H:00") for h in hours])
    series.lines = {
        str(_("Sign-ins")): [totals[h, Category.SIGNIN] for h in hours],
        str(_("Failures")): [totals[h, Category.FAILURE] for h in hours],
    }
    series.windows = [(h, h + HOUR) for h in hours]
    return series


def per_day(counts: dict[Key, int], first_day: dt.date, categories: dict[str, str]) -> Series:
    """Totals per local day over the 30 days, one line per category (name → Category)."""
    days = [first_day + dt.timedelta(days=i) for i in range(DAYS)]
    zone = timezone.get_current_timezone()
    local_day: dict[dt.datetime, dt.date] = {}
    totals: Counter = Counter()
    for (hour, category), n in _per_hour(counts).items():
        if hour not in local_day:
            local_day[hour] = hour.astimezone(zone).date()
        totals[local_day[hour], category] += n
    series = Series(labels=[day.strftime("%d/%m") for day in days])
    series.lines = {name: [totals[d, cat] for d in days] for name, cat in categories.items()}
    series.windows = [(local_midnight(d), local_midnight(d + dt.timedelta(days=1))) for d in days]
    return series


def breakdown(counts: dict[Key, int], category: str, names: dict) -> list[tuple[str, str, int]]:
    """(label, human name, total) of one category over the window, largest first."""
    totals: Counter = Counter()
    for (_hour, cat, label, *_rest), n in counts.items():
        if cat == category:
            totals[label] += n
    return [(label, str(names.get(label, label or "—")), n) for label, n in totals.most_common()]


@dataclass
class LiveFigures:
    """The figures at the top of the page."""

    signed_in_now: int
    signins_today: int
    failures_last_hour: int
    failures_same_hour_last_week: int
    locked_now: int
    locked_accounts: list[User]
    refused_addresses: list[dict]


def live_figures(counts: dict[Key, int], now: dt.datetime, filters: Filters) -> LiveFigures:
    """People signed in, sign-ins today, failures this hour against last week's, locks now."""
    midnight = start_of_hour(local_midnight(timezone.localdate(now)))
    today = sum(
        n for (hour, cat, *_r), n in counts.items() if cat == Category.SIGNIN and hour >= midnight
    )
    users = User.objects.all()
    if filters.group_id != ALL_GROUPS:
        users = users.filter(groups__id=filters.group_id)
    failures = _failure_events(filters)
    week = dt.timedelta(days=7)
    locked = users.filter(locked_until__gt=now).order_by("locked_until")
    refused = (
        failures.filter(created_at__gte=now - HOUR, result=audit.REFUSED, ip__isnull=False)
        .values("ip")
        .annotate(n=Count("pk"))
        .order_by("-n")[:10]
    )
    return LiveFigures(
        signed_in_now=UserSession.objects.filter(user__in=users).values("user").distinct().count(),
        signins_today=today,
        failures_last_hour=failures.filter(created_at__gte=now - HOUR, created_at__lte=now).count(),
        failures_same_hour_last_week=failures.filter(
            created_at__gte=now - week - HOUR, created_at__lt=now - week
        ).count(),
        locked_now=locked.count(),
        locked_accounts=list(locked[:20]),
        refused_addresses=[
            {**row, "blocked": lockout.ip_refusal(row["ip"]) is not None} for row in refused
        ],
    )


def _failure_events(filters: Filters):  # type: ignore[no-untyped-def]
    events = AuditEvent.objects.filter(
        kind__in=SIGNIN_STEPS, result__in=[audit.FAILURE, audit.REFUSED]
    )
    if filters.group_id != ALL_GROUPS:
        events = events.filter(user__groups__id=filters.group_id)
    if filters.app is not None:
        events = events.filter(details__client_id=filters.app) if filters.app else events
    return events


def group_choices() -> list[tuple[int, str]]:
    """(id, name) of every group, for the filter."""
    return list(Group.objects.order_by("name").values_list("id", "name"))
