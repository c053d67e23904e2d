"""The "MFA adoption" view in Django admin: figures per group and overall (share with a factor,
by factor, reminders skipped, failed mails), the daily trend as a chart and a table, and the
list of people with their policy and deadline (filters, CSV export, "send reminder now")."""

import csv
from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import audit
from accounts.overview.figures import Series
from mfa.rollout import adoption
from mfa.rollout.checks import impossible_policies
from mfa.rollout.models import AdoptionPerson, AdoptionSnapshot, Factor, Level

TREND_DAYS = 90
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
# Spreadsheets run a cell that starts with one of these as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class FactorStatusFilter(admin.SimpleListFilter):
    title = _("second factor")
    parameter_name = "factor"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("missing", _("missing")), ("set_up", _("set up"))]

    def queryset(self, request: HttpRequest, queryset):  # type: ignore[no-untyped-def]
        missing = adoption.people_without_factor(queryset)
        if self.value() == "missing":
            return missing
        if self.value() == "set_up":
            return queryset.exclude(pk__in=missing.values("pk"))
        return queryset


@admin.register(AdoptionPerson)
class AdoptionAdmin(admin.ModelAdmin):
    list_display = ("username", "full_name", "group_names", "policy_level", "deadline",
                    "factors", "skipped", "last_mail")  # fmt: skip
    list_display_links = None
    list_filter = (FactorStatusFilter, "groups", "is_staff")
    search_fields = ("username", "full_name", "email")
    ordering = ("username",)
    actions = ["send_reminder_now"]
    change_list_template = "admin/mfa_rollout/adoption/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        subqueries = adoption.factor_subqueries()
        return (
            super()
            .get_queryset(request)
            .filter(is_active=True)
            .annotate(**{f"has_{name}": sub for name, sub in subqueries.items()})
            .annotate(
                later_count=Count("mfa_reminders", filter=Q(mfa_reminders__kind="later")),
                last_mail_at=Max(
                    "mfa_reminders__created_at",
                    filter=Q(mfa_reminders__kind__in=["mailed", "mail_failed"]),
                ),
            )
            .prefetch_related("groups")
        )

    def get_changelist_instance(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        changelist = super().get_changelist_instance(request)
        policies = adoption.policies_of(list(changelist.result_list))
        for person in changelist.result_list:
            person.rollout_policy = policies[person.pk]
        return changelist

    @admin.display(description=_("groups"))
    def group_names(self, obj: AdoptionPerson) -> str:
        return ", ".join(g.name for g in obj.groups.all())

    @admin.display(description=_("policy"))
    def policy_level(self, obj: AdoptionPerson) -> str:
        return str(Level(obj.rollout_policy.level).label)

    @admin.display(description=_("deadline"))
    def deadline(self, obj: AdoptionPerson) -> str:
        policy = obj.rollout_policy
        if not policy.required:
            return ""
        if policy.deadline is None:
            return str(_("now"))
        text = timezone.localtime(policy.deadline).strftime("%Y-%m-%d %H:%M")
        if policy.extended_until:
            return _("%(date)s (extended)") % {"date": text}
        return text

    @admin.display(description=_("factors"))
    def factors(self, obj: AdoptionPerson) -> str:
        return ", ".join(str(f.label) for f in Factor if getattr(obj, f"has_{f.value}", False))

    @admin.display(description=_("Later clicks"), ordering="later_count")
    def skipped(self, obj: AdoptionPerson) -> int:
        return obj.later_count

    @admin.display(description=_("last reminder mail"), ordering="last_mail_at")
    def last_mail(self, obj: AdoptionPerson):  # type: ignore[no-untyped-def]
        return obj.last_mail_at

    @admin.action(description=_("Send reminder now"))
    def send_reminder_now(self, request: HttpRequest, queryset) -> None:  # type: ignore[no-untyped-def]
        from mfa.rollout.tasks import send_reminder

        missing = list(adoption.people_without_factor(queryset).exclude(email="").values_list(
            "pk", flat=True))  # fmt: skip
        for user_id in missing:
            send_reminder.delay(user_id, manual=True)
        audit.record(request, audit.ADMIN_ACTION, actor=request.user, method="mfa_reminder",
                     count=len(missing))  # fmt: skip
        skipped = queryset.count() - len(missing)
        messages.success(
            request,
            ngettext("Reminder queued for %(count)d person.",
                     "Reminders queued for %(count)d people.", len(missing))
            % {"count": len(missing)},
        )  # fmt: skip
        if skipped:
            messages.info(
                request,
                ngettext(
                    "%(count)d person was left out: they have a second factor or no email address.",
                    "%(count)d people were left out: they have a second factor or no email "
                    "address.",
                    skipped,
                )
                % {"count": skipped},
            )

    # --- The figures above the list, the chart and the CSV ---------------------------------

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):  # type: ignore[no-untyped-def]
        if request.method == "GET":
            for warning in impossible_policies():
                messages.warning(request, f"{warning.msg} {warning.hint}")
        figures = adoption.figures()
        installed = [f for f in Factor if f.value in figures[0].by_factor]
        context = {
            "title": _("MFA adoption"),
            "figures": figures,
            "factor_labels": [f.label for f in installed],
            "factor_rows": [
                (scope, [scope.by_factor[f.value] for f in installed]) for scope in figures
            ],
            "trend": _trend_rows(),
            "export_url": reverse("admin:mfa_rollout_adoption_export")
            + ("?" + request.GET.urlencode() if request.GET else ""),
            "chart_url": reverse("admin:mfa_rollout_adoption_trend"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def get_urls(self):  # type: ignore[no-untyped-def]
        view = self.admin_site.admin_view
        return [
            path("export.csv", view(self.export_csv), name="mfa_rollout_adoption_export"),
            path("trend.svg", view(self.trend_chart), name="mfa_rollout_adoption_trend"),
            *super().get_urls(),
        ]

    def export_csv(self, request: HttpRequest) -> HttpResponse:
        """The filtered list as CSV: who is missing, their policy and deadline."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        people = list(changelist.get_queryset(request))
        policies = adoption.policies_of(people)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="mfa-adoption.csv"'
        writer = csv.writer(response)
        writer.writerow(["username", "full_name", "email", "groups", "policy", "deadline",
                         "factors", "later_clicks", "last_reminder_mail"])  # fmt: skip
        for person in people:
            person.rollout_policy = policies[person.pk]
            policy = policies[person.pk]
            deadline = policy.deadline.isoformat() if policy.required and policy.deadline else ""
            writer.writerow([_cell(v) for v in (
                person.username, person.full_name, person.email, self.group_names(person),
                policy.level, deadline if policy.required else "",
                " ".join(f.value for f in Factor if getattr(person, f"has_{f.value}", False)),
                person.later_count,
                person.last_mail_at.isoformat() if person.last_mail_at else "",
            )])  # fmt: skip
        return response

    def trend_chart(self, request: HttpRequest) -> HttpResponse:
        """The share with a second factor per day, everyone and each group, as an SVG image."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        from accounts.overview import charts  # pygal and lxml: loaded by the first chart drawn

        series = _trend_series()
        svg = charts.line_chart(
            str(_("Share with a second factor (%)")), series, every=max(1, len(series.labels) // 8),
            percent=True,
        )  # fmt: skip
        response = HttpResponse(svg, content_type="image/svg+xml")
        response["Content-Security-Policy"] = CHART_POLICY
        response["Cache-Control"] = "private, max-age=60"
        return response


def _snapshots():  # type: ignore[no-untyped-def]
    since = timezone.localdate() - timedelta(days=TREND_DAYS)
    return AdoptionSnapshot.objects.filter(day__gte=since).order_by("day", "scope")


def _trend_series() -> Series:
    rows = list(_snapshots())
    days = sorted({row.day for row in rows})
    scopes = sorted({row.scope for row in rows}, key=lambda s: (s != "", s))
    by_key = {(row.day, row.scope): row for row in rows}
    series = Series(labels=[day.isoformat() for day in days])
    for scope in scopes:
        name = scope or str(_("Everyone"))
        values = []
        for day in days:
            row = by_key.get((day, scope))
            values.append(round(100 * row.enrolled / row.people, 1) if row and row.people else None)
        series.lines[name] = values
    return series


def _trend_rows() -> list[dict]:
    """The snapshots of the last days, newest first, for the table beside the chart."""
    rows = []
    for row in reversed(list(_snapshots())[-60:]):
        share = round(100 * row.enrolled / row.people, 1) if row.people else 0.0
        rows.append({"day": row.day, "scope": row.scope, "people": row.people,
                     "enrolled": row.enrolled, "share": share, "skipped": row.skipped})  # fmt: skip
    return rows
