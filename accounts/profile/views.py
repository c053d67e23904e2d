"""The Profile tab of Security Settings: name, a copy of one's data, deleting the account."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit, lifecycle
from accounts.language import use_language
from accounts.profile.data_export import export_user_data
from accounts.profile.forms import DeleteAccountForm, ProfileForm
from mfa.reauth import recent_auth_required
from mfa.tabs import installed_tabs


def _tab(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    context = {"tabs": installed_tabs(), "active_tab": "profile", **context}
    return render(request, template, context)


def can_delete(user) -> bool:  # type: ignore[no-untyped-def]
    """Self-deletion is on (ACCOUNTS_SELF_DELETE) and this is not a superuser (an admin
    account is removed by another admin, so the portal never loses its last one by a click)."""
    return settings.ACCOUNTS_SELF_DELETE and not user.is_superuser


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record(request, audit.PROFILE_CHANGED, user=request.user)
        use_language(request, request.user.preferred_language)
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    context = {"form": form, "can_delete": can_delete(request.user)}
    return _tab(request, "accounts/profile/profile.html", context)


@never_cache
@login_required
@require_POST
@recent_auth_required
def download_data(request: HttpRequest) -> HttpResponse:
    """A JSON file of the person's data (after a fresh sign-in or password)."""
    data = export_user_data(request.user)
    audit.record(request, audit.DATA_EXPORTED, user=request.user)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
def delete_account(request: HttpRequest) -> HttpResponse:
    """Deletes the account for good (ACCOUNTS_SELF_DELETE), after a fresh sign-in."""
    if not can_delete(request.user):
        raise Http404
    form = DeleteAccountForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        lifecycle.pseudonymise_and_delete(
            request.user, actor=None, reason="self-service", request=request
        )
        request.session.flush()
        request.user = AnonymousUser()
        return render(request, "accounts/profile/deleted.html")
    return _tab(request, "accounts/profile/delete.html", {"form": form})
