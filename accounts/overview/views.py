"""The Overview page in Django admin, its chart images and its CSV export (thin views)."""

import csv
import datetime as dt
import ipaddress
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotFound,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import audit, lockout
from accounts.overview.figures import (
    METHODS,
    REASONS,
    Category,
    Filters,
    Series,
    breakdown,
    counts_for_window,
    group_choices,
    last_24_hours,
    live_figures,
    local_midnight,
    per_day,
)
from accounts.overview.models import ALL_GROUPS
from accounts.overview.rollup import HOUR, SIGNIN_STEPS
from sso.oidc.models import Application

# The image's own policy: pygal's SVG carries a <style>; an image never runs script.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def _require_audit_permission(request: HttpRequest) -> None:
    if not request.user.has_perm("accounts.view_auditevent"):
        raise PermissionDenied


def _audit_link(filters: Filters, start: dt.datetime, end: dt.datetime, what: str) -> str:
    """The audit list filtered to what a figure counts, in its time window."""
    query: dict[str, str] = {
        "created_at__gte": start.isoformat(),
        "created_at__lt": end.isoformat(),
    }
    if what == Category.SIGNIN:
        query.update(kind=audit.SIGNIN_COMPLETE, result=audit.SUCCESS)
    elif what == Category.FAILURE:
        query.update(kind__in=",".join(SIGNIN_STEPS), result__in="failure,refused")
    elif what == Category.FACTOR:
        query.update(
            kind__in=f"{audit.SIGNIN_SECOND_FACTOR},{audit.SIGNIN_PASSKEY}", result=audit.SUCCESS
        )
    if filters.group_id != ALL_GROUPS:
        query["user__groups__id__exact"] = str(filters.group_id)
    if filters.app:
        query["details__client_id"] = filters.app
    return reverse("admin:accounts_auditevent_changelist") + "?" + urlencode(query)


def _rows(series: Series, filters: Filters, categories: list[str]) -> list[dict]:
    """Table rows of a series: label, and per line the count with its audit-list link."""
    rows = []
    for index, label in enumerate(series.labels):
        start, end = series.windows[index]
        cells = [
            (values[index], _audit_link(filters, start, end, category))
            for values, category in zip(series.lines.values(), categories, strict=True)
        ]
        rows.append({"label": label, "cells": cells})
    return rows


def _figures(request: HttpRequest, *, live: bool = True) -> dict:
    """Everything the page shows; ``live=False`` leaves out the live figures (charts, CSV of
    the charts do not need their queries)."""
    apps = list(Application.objects.order_by("name").values_list("client_id", "name"))
    filters = Filters.from_query(request.GET, {client_id for client_id, _name in apps})
    now = timezone.now()
    counts, start, first_day = counts_for_window(now, filters)
    return {
        "filters": filters,
        "apps": apps,
        "now": now,
        "window_start": start,
        "hours": last_24_hours(counts, now),
        "days": per_day(
            counts, first_day, {_("Sign-ins"): Category.SIGNIN, _("Failures"): Category.FAILURE}
        ),
        "new_devices": per_day(counts, first_day, {_("New devices"): Category.NEW_DEVICE}),
        "reasons": breakdown(counts, Category.FAILURE, REASONS),
        "methods": breakdown(counts, Category.FACTOR, METHODS),
        "live": live_figures(counts, now, filters) if live else None,
    }


@staff_member_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The page: live figures, then each chart with its table."""
    _require_audit_permission(request)
    figures = _figures(request)
    filters: Filters = figures["filters"]
    now = figures["now"]
    later = now + dt.timedelta(seconds=1)  # windows end after the events of this very second
    query = request.GET.urlencode()
    context = {
        **admin.site.each_context(request),  # admin's header, user links and sidebar
        **figures,
        "title": _("Overview"),
        "query": query,
        "group_choices": group_choices(),
        "app_choices": figures["apps"],
        "hour_rows": _rows(figures["hours"], filters, [Category.SIGNIN, Category.FAILURE]),
        "day_rows": _rows(figures["days"], filters, [Category.SIGNIN, Category.FAILURE]),
        "device_rows": _rows(figures["new_devices"], filters, [Category.NEW_DEVICE]),
        "today_link": _audit_link(
            filters, local_midnight(timezone.localdate(now)), later, Category.SIGNIN
        ),
        "last_hour_link": _audit_link(filters, now - HOUR, later, Category.FAILURE),
        "window_link": _audit_link(filters, figures["window_start"], later, Category.FAILURE),
        "factor_link": _audit_link(filters, figures["window_start"], later, Category.FACTOR),
    }
    return render(request, "admin/overview/overview.html", context)


@staff_member_required
@require_GET
def chart(request: HttpRequest, name: str) -> HttpResponse:
    """One chart of the page as an SVG image (same filters as the page)."""
    from accounts.overview import charts  # pygal and lxml: loaded by the first chart drawn

    _require_audit_permission(request)
    figures = _figures(request, live=False)
    drawings = {
        "hours": lambda: charts.bar_chart(
            _("Sign-ins per hour, last 24 hours"), figures["hours"], every=3
        ),
        "days": lambda: charts.bar_chart(
            _("Sign-ins per day, last 30 days"), figures["days"], every=5
        ),
        "reasons": lambda: charts.horizontal_bars(_("Failures by reason"), figures["reasons"]),
        "methods": lambda: charts.horizontal_bars(_("Second factors used"), figures["methods"]),
        "devices": lambda: charts.bar_chart(
            _("New-device sign-ins per day"), figures["new_devices"], every=5
        ),
    }
    if name not in drawings:
        return HttpResponseNotFound()
    response = HttpResponse(drawings[name](), content_type="image/svg+xml")
    response["Content-Security-Policy"] = CHART_POLICY
    response["Cache-Control"] = "private, max-age=60"
    return response


@staff_member_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """The page's figures as CSV: section, label, series, count."""
    _require_audit_permission(request)
    figures = _figures(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="overview.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "label", "series", "count"])
    for section in ("hours", "days", "new_devices"):
        series: Series = figures[section]
        for line, values in series.lines.items():
            for label, value in zip(series.labels, values, strict=True):
                writer.writerow([section, label, line, value])
    for section in ("reasons", "methods"):
        for label, name, count in figures[section]:
            writer.writerow([section, label, name, count])
    live = figures["live"]
    for name in (
        "signed_in_now", "signins_today", "failures_last_hour", "failures_same_hour_last_week",
        "locked_now",
    ):  # fmt: skip
        writer.writerow(["live", name, "", getattr(live, name)])
    return response


@staff_member_required
@require_POST
def lift_block(request: HttpRequest) -> HttpResponse:
    """Lifts the failure block of one client address and its network (design.md: admins
    unlock), for admins who may unlock accounts; audited like the other admin actions."""
    if not request.user.has_perm("accounts.unlock_user"):
        raise PermissionDenied
    try:
        ip = str(ipaddress.ip_address(request.POST.get("ip", "")))
    except ValueError:
        return HttpResponseBadRequest(_("That is not an IP address."))
    lockout.lift_address_block(ip)
    audit.record(request, audit.ADMIN_ACTION, actor=request.user, action="lift_block", address=ip)
    messages.success(request, _("The block on %(ip)s was lifted.") % {"ip": ip})
    return redirect(reverse("overview:index"))
