"""The rollout's pages: the reminder interstitial and the enrolment choice. Thin: the rules
live in mfa.rollout.flows and mfa.rollout.policy."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.signin.flows import safe_next_url
from mfa import recovery
from mfa.rollout import flows, offers
from mfa.rollout import policy as rollout_policy


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reminder(request: HttpRequest) -> HttpResponse:
    """ "Set up a second factor: N days left" with Set up now and Later."""
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    data = flows.state(request)
    if data is None or data["state"] != flows.REMIND:
        return redirect(next_url or "home")
    if request.method == "POST":
        if request.POST.get("choice") == "later":
            flows.skip_reminder(request)
            return redirect(next_url or "home")
        flows.set_up_now(request)
        data = flows.state(request) or {}
        data["next"] = next_url
        request.session[flows.SESSION_KEY] = data
        return redirect("mfa_rollout:enrol")
    context = {"days": flows.days_left(request), "next": next_url}
    return render(request, "mfa/rollout/reminder.html", context)


@never_cache
@login_required
@require_http_methods(["GET"])
def enrol(request: HttpRequest) -> HttpResponse:
    """Every factor the person's policy allows, passkeys first; after the first one, recovery
    codes and Continue."""
    user = request.user
    data = flows.state(request) or {}
    has_factor = rollout_policy.has_second_factor(user)
    context = {
        "must_enrol": data.get("state") == flows.ENROL and not has_factor,
        "days": flows.days_left(request),
        "has_factor": has_factor,
        "has_recovery_codes": has_factor and recovery.remaining(user) > 0,
        "offers": offers.offers_for(rollout_policy.policy_for(user)),
    }
    return render(request, "mfa/rollout/enrol.html", context)


@never_cache
@login_required
@require_POST
def continue_on(request: HttpRequest) -> HttpResponse:
    """Continue: on to where the person was going, once they have a factor if they must."""
    target = flows.continue_url(request)
    if not flows.finish(request):
        messages.error(request, _("Set up one of the methods below before you continue."))
        return redirect(reverse("mfa_rollout:enrol"))
    return redirect(target)
