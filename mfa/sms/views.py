"""The SMS tab of Security Settings: add or change the number (confirmed by a code sent to
it), switch codes by SMS on or off, remove the number. Thin: rules live in mfa.sms.flows."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mfa import binding
from mfa.destination import DestinationChange, announce_resend
from mfa.forms import CodeForm
from mfa.models import CodeChallenge
from mfa.reauth import recent_auth_required
from mfa.sms import flows, phone
from mfa.sms.forms import PhoneNumberForm
from mfa.tabs import installed_tabs, tab_url

# The number (E.164) waiting for its code.
NUMBER_CHANGE_SESSION_KEY = "sms.number_change"
NUMBER_CHANGE = DestinationChange(NUMBER_CHANGE_SESSION_KEY, flows.ENROL_ATTEMPT_PREFIX)
TEMPLATE = "sms/settings.html"


def _render(request: HttpRequest, **extra: object) -> HttpResponse:
    change = NUMBER_CHANGE.pending(request)
    device = flows.device(request.user)
    context = {
        "tabs": installed_tabs(),
        "active_tab": "sms",
        "page_address": tab_url("sms"),  # also the page of Verify (mfa.views._tab)
        "device": device,
        "number": phone.display(device.number) if device else "",
        "pending_number": phone.display(change.destination) if change else "",
        "form": PhoneNumberForm(),
        "code_form": CodeForm(),
        **extra,
    }
    return render(request, TEMPLATE, context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
@binding.binding_proof_required()
def settings_tab(request: HttpRequest) -> HttpResponse:
    """Shows the phone; a POST sends a code to a new number (it is saved once typed back)."""
    if request.method == "GET":
        return _render(request)
    form = PhoneNumberForm(request.POST)
    if not form.is_valid():
        return _render(request, form=form)
    number = form.cleaned_data["number"]
    error = NUMBER_CHANGE.start(request, number, partial(_send, request, number))
    if error:
        form.add_error("number", error)
        return _render(request, form=form)
    messages.success(request, _("We sent a code to the new number. Type it below to confirm."))
    return redirect("sms:settings")


@never_cache
@login_required
@require_POST
@recent_auth_required
@binding.binding_proof_required(back="sms:settings")
def verify(request: HttpRequest) -> HttpResponse:
    change = NUMBER_CHANGE.pending(request)
    if change is None:
        messages.error(request, _("No number is waiting for confirmation."))
        return redirect("sms:settings")
    code_form = CodeForm(request.POST)
    if code_form.is_valid():
        code = code_form.cleaned_data["code"]
        error = NUMBER_CHANGE.confirm(
            request,
            change,
            lambda c: flows.confirm_number(request.user, c.destination, c.attempt_id, code),
        )
        if not error:
            binding.note_bound(request, "sms", None)  # confirm_number mailed the notice
            messages.success(
                request,
                _("Saved. Sign-in codes will go by SMS to %(number)s.")
                % {"number": phone.display(change.destination)},
            )
            return redirect("sms:settings")
        code_form.add_error("code", error)
    return _render(request, code_form=code_form)


@never_cache
@login_required
@require_POST
@recent_auth_required
@binding.binding_proof_required(back="sms:settings")
def resend(request: HttpRequest) -> HttpResponse:
    """A new code to the number waiting for confirmation (the previous one dies)."""
    error = NUMBER_CHANGE.resend(request, lambda c: _send(request, c.destination, c.attempt_id))
    announce_resend(request, error)
    return redirect("sms:settings")


@never_cache
@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """Forget the number waiting for confirmation; the saved one stays."""
    NUMBER_CHANGE.cancel(request)
    return redirect("sms:settings")


def _send(request: HttpRequest, number: str, attempt_id: str) -> str:
    return flows.send_code(request, request.user, number, attempt_id, CodeChallenge.Purpose.ENROL)


@never_cache
@login_required
@require_POST
@recent_auth_required
@binding.binding_proof_required(back="sms:settings")
def switch(request: HttpRequest) -> HttpResponse:
    """Turns codes by SMS on or off (the number is kept)."""
    enabled = request.POST.get("enabled") == "on"
    if flows.set_enabled(request.user, enabled):
        if enabled:
            binding.note_bound(request, "sms", None)  # set_enabled mailed the notice
            messages.success(request, _("Sign-in codes by SMS are on."))
        else:
            messages.success(request, _("Sign-in codes by SMS are off."))
    return redirect("sms:settings")


@never_cache
@login_required
@require_POST
@recent_auth_required
def remove(request: HttpRequest) -> HttpResponse:
    if flows.remove(request.user):
        messages.success(request, _("Your phone number was removed."))
    return redirect("sms:settings")
