"""Counts the audit trail by hour for the Overview, and keeps the hourly roll-up current.

Categories (models.HourlyCount.Category), read from the events that accounts.audit writes:
- sign-in: a finished sign-in (``signin.complete``, success);
- failure: a refused or failed sign-in step, labelled with its reason (the event's
  ``details.reason``, else what the step checks: a wrong password, code, passkey or answer);
- second factor: a second factor or passkey accepted at sign-in, labelled with its method;
- new device: a browser an account signed in from for the first time (accounts.KnownDevice).
Each is counted for everyone (group ALL_GROUPS) and again for each group of the person.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, NullIf, TruncHour
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent, KnownDevice
from accounts.overview.models import ALL_GROUPS, HourlyCount, RollupProgress

Category = HourlyCount.Category
SIGNIN_STEPS = (
    audit.SIGNIN_PASSWORD,
    audit.SIGNIN_SECOND_FACTOR,
    audit.SIGNIN_PASSKEY,
    audit.SIGNIN_SECURITY_QUESTION,
)
# Backfill no further than the longest window the Overview shows (30 days), plus a margin.
BACKFILL = dt.timedelta(days=32)
HOUR = dt.timedelta(hours=1)

# A count: (hour start in UTC, category, label, app client_id, group id or ALL_GROUPS) → n.
Key = tuple[dt.datetime, str, str, str, int]


def start_of_hour(moment: dt.datetime) -> dt.datetime:
    """The UTC start of the hour that holds ``moment`` (an aware datetime)."""
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _failure_reason() -> Coalesce:
    by_step = Case(
        When(kind=audit.SIGNIN_PASSWORD, then=Value("wrong_password")),
        When(kind=audit.SIGNIN_SECOND_FACTOR, then=Value("wrong_code")),
        When(kind=audit.SIGNIN_PASSKEY, then=Value("passkey")),
        When(kind=audit.SIGNIN_SECURITY_QUESTION, then=Value("wrong_answer")),
        default=Value("other"),
        output_field=CharField(),
    )
    return Coalesce(NullIf(KT("details__reason"), Value("")), by_step, output_field=CharField())


def _event_counts(
    start: dt.datetime, end: dt.datetime, group_id: int | None = None
) -> dict[Key, int]:
    """Counts the raw events of [start, end) per hour: for everyone and per group (None), or
    only for ``group_id`` (ALL_GROUPS = everyone)."""
    events = AuditEvent.objects.filter(created_at__gte=start, created_at__lt=end)
    signins = events.filter(kind=audit.SIGNIN_COMPLETE, result=audit.SUCCESS).annotate(
        category=Value(Category.SIGNIN.value), label=Value("")
    )
    failures = events.filter(kind__in=SIGNIN_STEPS, result__in=[audit.FAILURE, audit.REFUSED])
    failures = failures.annotate(category=Value(Category.FAILURE.value), label=_failure_reason())
    factors = events.filter(
        Q(kind=audit.SIGNIN_SECOND_FACTOR) | Q(kind=audit.SIGNIN_PASSKEY), result=audit.SUCCESS
    ).annotate(category=Value(Category.FACTOR.value), label=F("method"))
    counts: dict[Key, int] = {}
    for queryset in (signins, failures, factors):
        queryset = queryset.annotate(
            app=Coalesce(KT("details__client_id"), Value(""), output_field=CharField())
        )
        _add(counts, queryset, "created_at", with_app=True, group_id=group_id)
    devices = KnownDevice.objects.filter(first_seen_at__gte=start, first_seen_at__lt=end)
    devices = devices.annotate(category=Value(Category.NEW_DEVICE.value), label=Value(""))
    _add(counts, devices, "first_seen_at", with_app=False, group_id=group_id)
    return counts


def _add(
    counts: dict[Key, int],
    queryset: QuerySet,
    time_field: str,
    *,
    with_app: bool,
    group_id: int | None,
) -> None:
    """Adds the queryset's rows per hour, for everyone and for each group of the person."""
    queryset = queryset.annotate(hour=TruncHour(time_field, tzinfo=dt.UTC))
    if not with_app:
        queryset = queryset.annotate(app=Value(""))
    fields = ("hour", "category", "label", "app")
    if group_id in (None, ALL_GROUPS):
        for row in queryset.values(*fields).annotate(n=Count("pk")).order_by():
            key = (row["hour"], row["category"], row["label"] or "", row["app"] or "", ALL_GROUPS)
            counts[key] = counts.get(key, 0) + row["n"]
    if group_id == ALL_GROUPS:
        return
    in_groups = queryset.filter(user__groups__isnull=False)
    if group_id is not None:
        in_groups = queryset.filter(user__groups__id=group_id)
    for row in in_groups.values(*fields, "user__groups").annotate(n=Count("pk")).order_by():
        key = (row["hour"], row["category"], row["label"] or "", row["app"] or "",
               row["user__groups"])  # fmt: skip
        counts[key] = counts.get(key, 0) + row["n"]


def rolled_until() -> dt.datetime | None:
    """The end of the last rolled-up hour, or None when nothing was ever rolled up."""
    progress = RollupProgress.objects.first()
    return progress.rolled_until if progress else None


def roll_up(now: dt.datetime | None = None) -> int:
    """Rolls every complete hour since the last roll-up (at most 32 days back) into HourlyCount.

    Takes the current time (aware; default now). Returns how many HourlyCount rows it wrote.
    Idempotent: the hours it covers are replaced, under a lock on the progress row, so two
    workers running it at once cannot double-count. Called by the Celery beat task and by
    ``manage.py rollup_overview``.
    """
    until = start_of_hour(now or timezone.now())
    with transaction.atomic():
        progress = RollupProgress.objects.select_for_update().first()
        if progress is None:
            progress = RollupProgress.objects.create(rolled_until=until - BACKFILL)
        start = max(progress.rolled_until, until - BACKFILL)
        if start >= until:
            return 0
        counts = _event_counts(start, until)
        HourlyCount.objects.filter(hour__gte=start, hour__lt=until).delete()
        HourlyCount.objects.bulk_create(_rows(counts.items()), batch_size=2000)
        progress.rolled_until = until
        progress.save(update_fields=["rolled_until"])
    return len(counts)


def _rows(items: Iterable[tuple[Key, int]]) -> Iterable[HourlyCount]:
    for (hour, category, label, app, group_id), n in items:
        yield HourlyCount(
            hour=hour, category=category, label=label[:40], app=app[:100], group_id=group_id,
            count=n,
        )  # fmt: skip


def hourly_counts(
    start: dt.datetime, end: dt.datetime, *, group_id: int = ALL_GROUPS, app: str | None = None
) -> dict[Key, int]:
    """Counts per hour in [start, end) for one group (or everyone) and optionally one app.

    Takes aware datetimes on hour boundaries; ``app`` is a client_id ("" = the portal itself,
    None = every app). Reads the roll-up where it exists and the raw events after it (the
    current hour at least), so the Overview is never stale.
    """
    done = rolled_until()
    split = min(max(done, start), end) if done else start
    counts: dict[Key, int] = {}
    if split > start:
        rows = HourlyCount.objects.filter(hour__gte=start, hour__lt=split, group_id=group_id)
        if app is not None:
            rows = rows.filter(app=app)
        # Summed over apps in the database: the page never shows them side by side.
        summed = rows.values("hour", "category", "label").annotate(n=Sum("count")).order_by()
        for row in summed.values_list("hour", "category", "label", "n"):
            counts[row[0], row[1], row[2], app or "", group_id] = row[3]
    if end > split:
        for key, n in _event_counts(split, end, group_id).items():
            if app is None or key[3] == app:
                merged = (key[0], key[1], key[2], app or "", group_id)
                counts[merged] = counts.get(merged, 0) + n
    return counts
