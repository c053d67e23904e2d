"""Devices and activity in Security Settings: recent sign-ins, where the account is signed in,
and signing out one session or all the others."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit, sessions
from mfa.tabs import installed_tabs


def _tab(request: HttpRequest, slug: str, template: str, context: dict) -> HttpResponse:
    return render(request, template, {"tabs": installed_tabs(), "active_tab": slug, **context})


@never_cache
@login_required
@require_http_methods(["GET"])
def activity(request: HttpRequest) -> HttpResponse:
    """Recent activity: the last 20 sign-in events."""
    return _tab(
        request,
        "activity",
        "accounts/activity.html",
        {"events": audit.recent_signins(request.user)},
    )


@never_cache
@login_required
@require_http_methods(["GET"])
def where_signed_in(request: HttpRequest) -> HttpResponse:
    context = {
        "sessions": sessions.live_sessions(request.user),
        "current_key": request.session.session_key,
    }
    return _tab(request, "sessions", "accounts/sessions.html", context)


@never_cache
@login_required
@require_POST
def sign_out_session(request: HttpRequest, session_id: int) -> HttpResponse:
    row = request.user.sessions.filter(pk=session_id).first()
    if row is None:
        raise Http404
    if row.session_key == request.session.session_key:
        return redirect("accounts:logout")
    sessions.end_session(request, request.user, row.session_key)
    messages.success(request, _("That session was signed out."))
    return redirect("accounts:sessions")


@never_cache
@login_required
@require_POST
def sign_out_other_sessions(request: HttpRequest) -> HttpResponse:
    count = sessions.end_other_sessions(request, request.user, keep=request.session.session_key)
    text = ngettext(
        "Signed out of %(count)d other session.", "Signed out of %(count)d other sessions.", count
    )
    messages.success(request, text % {"count": count})
    return redirect("accounts:sessions")
