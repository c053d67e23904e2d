"""The SMS tab of Security Settings: add or change the number (confirmed by a code sent to
it), switch codes by SMS on or off, remove the number. Thin: rules live in mfa.sms.flows."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from mfa.forms import CodeForm
from mfa.models import CodeChallenge
from mfa.reauth import recent_auth_required
from mfa.sms import flows, phone
from mfa.sms.forms import PhoneNumberForm
from mfa.tabs import installed_tabs

# The number waiting for its code: {"number": E.164, "attempt_id": ...}.
NUMBER_CHANGE_SESSION_KEY = "sms.number_change"
TEMPLATE = "sms/settings.html"


def _render(request: HttpRequest, **extra: object) -> HttpResponse:
    change = request.session.get(NUMBER_CHANGE_SESSION_KEY)
    device = flows.device(request.user)
    context = {
        "tabs": installed_tabs(),
        "active_tab": "sms",
        "device": device,
        "number": phone.display(device.number) if device else "",
        "pending_number": phone.display(change["number"]) if change else "",
        "form": PhoneNumberForm(),
        "code_form": CodeForm(),
        **extra,
    }
    return render(request, TEMPLATE, context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
def settings_tab(request: HttpRequest) -> HttpResponse:
    """Shows the phone; a POST sends a code to a new number (it is saved once typed back)."""
    if request.method == "GET":
        return _render(request)
    form = PhoneNumberForm(request.POST)
    if not form.is_valid():
        return _render(request, form=form)
    number = form.cleaned_data["number"]
    attempt_id = flows.new_enrolment_attempt()
    error = flows.send_code(request, request.user, number, attempt_id, CodeChallenge.Purpose.ENROL)
    if error:
        form.add_error("number", error)
        return _render(request, form=form)
    request.session[NUMBER_CHANGE_SESSION_KEY] = {"number": number, "attempt_id": attempt_id}
    messages.success(request, _("We sent a code to the new number. Type it below to confirm."))
    return redirect("sms:settings")


@never_cache
@login_required
@require_POST
@recent_auth_required
def verify(request: HttpRequest) -> HttpResponse:
    change = request.session.get(NUMBER_CHANGE_SESSION_KEY)
    if not change:
        messages.error(request, _("No number is waiting for confirmation."))
        return redirect("sms:settings")
    code_form = CodeForm(request.POST)
    if code_form.is_valid():
        error = flows.confirm_number(
            request.user, change["number"], change["attempt_id"], code_form.cleaned_data["code"]
        )
        if not error:
            request.session.pop(NUMBER_CHANGE_SESSION_KEY, None)
            messages.success(
                request,
                _("Saved. Sign-in codes will go by SMS to %(number)s.")
                % {"number": phone.display(change["number"])},
            )
            return redirect("sms:settings")
        code_form.add_error("code", error)
    return _render(request, code_form=code_form)


@never_cache
@login_required
@require_POST
@recent_auth_required
def resend(request: HttpRequest) -> HttpResponse:
    """A new code to the number waiting for confirmation (the previous one dies)."""
    change = request.session.get(NUMBER_CHANGE_SESSION_KEY)
    if not change:
        return redirect("sms:settings")
    error = flows.send_code(
        request, request.user, change["number"], change["attempt_id"], CodeChallenge.Purpose.ENROL
    )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("A new code is on its way. The previous code no longer works."))
    return redirect("sms:settings")


@never_cache
@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    """Forget the number waiting for confirmation; the saved one stays."""
    request.session.pop(NUMBER_CHANGE_SESSION_KEY, None)
    return redirect("sms:settings")


@never_cache
@login_required
@require_POST
@recent_auth_required
def switch(request: HttpRequest) -> HttpResponse:
    """Turns codes by SMS on or off (the number is kept)."""
    enabled = request.POST.get("enabled") == "on"
    if flows.set_enabled(request.user, enabled):
        if enabled:
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
