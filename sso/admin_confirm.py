"""An intermediate page before an admin action that destroys, as Django's "Delete selected"
has: it lists the selected objects and what the action will remove or end, and runs the action
only once the admin presses "Yes, I'm sure" (the POST then carries ``post=yes``)."""

from collections.abc import Callable, Iterable

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

CONFIRMED = "post"


def confirm_first(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    question: str,
    consequences: Callable[[Model], Iterable[str]],
) -> TemplateResponse | None:
    """Returns the confirmation page for ``action`` (the action's method name) on ``queryset``,
    or None when the admin already confirmed it and the action should run.

    ``title`` heads the page; ``question`` asks it (plain text, translated by the caller);
    ``consequences(obj)`` gives, per selected object, the lines saying what goes.
    """
    if request.POST.get(CONFIRMED) == "yes":
        return None
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "question": question,
        "objects": [(obj, list(consequences(obj))) for obj in queryset],
        "queryset": queryset,
        "opts": opts,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/confirm_action.html", context)
