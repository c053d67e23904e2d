"""Security Settings (seeds/000 §4.1 step 6: user icon → Security Settings) and its tabs."""

from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import attempts, audit
from accounts.signin import flows as account_flows
from accounts.signin.flows import safe_next_url
from accounts.signin.forms import PasswordForm
from mfa import binding, email_factor, flows, notices, recovery, totp, trust
from mfa.destination import DestinationChange, announce_resend
from mfa.forms import CodeForm, EmailAddressForm, PasswordOrCodeForm
from mfa.models import EmailDevice, TrustedDevice
from mfa.reauth import mark_recent_auth, recent_auth_required
from mfa.tabs import installed_tabs, tab_url

EMAIL_CHANGE = DestinationChange("mfa.email_change", email_factor.ENROL_ATTEMPT_PREFIX)
BAD_REQUEST = 400


def _tab(
    request: HttpRequest, slug: str, template: str, context: dict, status: int = 200
) -> HttpResponse:
    # The tab's address also when its page answers a form posted to another (Verify, Remove,
    # which take only a POST): a reload of the page asks for the tab (templates/base.html).
    context = {
        "tabs": installed_tabs(),
        "active_tab": slug,
        "page_address": tab_url(slug),
        **context,
    }
    return render(request, template, context, status=status)


@never_cache
@login_required
@require_http_methods(["GET"])
def security_settings(request: HttpRequest) -> HttpResponse:
    """The first tab, as in the manual: Email."""
    return redirect("mfa:email")


# --- Email ----------------------------------------------------------------------------------


def _email_context(request: HttpRequest, **extra: object) -> dict:
    change = EMAIL_CHANGE.pending(request)
    return {
        "device": EmailDevice.objects.filter(user=request.user, confirmed=True).first(),
        "pending_email": change.destination if change else "",
        "form": EmailAddressForm(),
        "code_form": CodeForm(),
        **extra,
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
@binding.binding_proof_required()
def email_tab(request: HttpRequest) -> HttpResponse:
    """Set or change the address for codes (self-service); used only once a code sent to it
    has been typed back."""
    if request.method == "GET":
        return _tab(request, "email", "mfa/settings/email.html", _email_context(request))
    form = EmailAddressForm(request.POST)
    if not form.is_valid():
        context = _email_context(request, form=form)
        return _tab(request, "email", "mfa/settings/email.html", context)
    address = form.cleaned_data["email"]
    send = partial(email_factor.send_code, request.user, address)
    error = EMAIL_CHANGE.start(request, address, send)
    if error:
        form.add_error("email", error)
        return _tab(request, "email", "mfa/settings/email.html", _email_context(request, form=form))
    messages.success(request, _("We sent a code to the new address. Type it below to confirm."))
    return redirect("mfa:email")


@never_cache
@login_required
@require_POST
@recent_auth_required
@binding.binding_proof_required(back="mfa:email")
def email_verify(request: HttpRequest) -> HttpResponse:
    change = EMAIL_CHANGE.pending(request)
    if change is None:
        messages.error(request, _("No address is waiting for confirmation."))
        return redirect("mfa:email")
    code_form = CodeForm(request.POST)
    if code_form.is_valid():
        code = code_form.cleaned_data["code"]
        error = EMAIL_CHANGE.confirm(
            request,
            change,
            lambda c: email_factor.confirm_address(
                request.user, c.destination, c.attempt_id, code, request
            ),
        )
        if not error:
            binding.note_bound(request, "email", None)  # confirm_address mailed the notice
            messages.success(
                request,
                _("Saved. Sign-in codes will go to %(email)s.") % {"email": change.destination},
            )
            return redirect("mfa:email")
        code_form.add_error("code", error)
    context = _email_context(request, code_form=code_form)
    return _tab(request, "email", "mfa/settings/email.html", context)


@never_cache
@login_required
@require_POST
@recent_auth_required
@binding.binding_proof_required(back="mfa:email")
def email_resend(request: HttpRequest) -> HttpResponse:
    """A new code to the address waiting for confirmation (the previous one dies)."""
    error = EMAIL_CHANGE.resend(
        request, lambda c: email_factor.send_code(request.user, c.destination, c.attempt_id)
    )
    announce_resend(request, error)
    return redirect("mfa:email")


@never_cache
@login_required
@require_POST
def email_cancel(request: HttpRequest) -> HttpResponse:
    """Forget the address waiting for confirmation; the saved one stays."""
    EMAIL_CHANGE.cancel(request)
    return redirect("mfa:email")


@never_cache
@login_required
@require_POST
@recent_auth_required
def email_remove(request: HttpRequest) -> HttpResponse:
    deleted, _count = EmailDevice.objects.filter(user=request.user).delete()
    if deleted:
        flows.factor_removed(request.user, "email_removed", request)
        messages.success(request, _("Sign-in codes by email are off."))
    return redirect("mfa:email")


# --- Authenticator --------------------------------------------------------------------------


def _authenticator_context(request: HttpRequest, **extra: object) -> dict:
    device = totp.confirmed_device(request.user)
    context: dict = {"device": device, "form": CodeForm(), "remove_form": PasswordOrCodeForm()}
    if device is None:
        setup = totp.setup_device(request.user)
        context.update(qr_svg=totp.qr_svg(setup.config_url), key=totp.readable_key(setup))
    context.update(extra)
    return context


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
@binding.binding_proof_required()
def authenticator_tab(request: HttpRequest) -> HttpResponse:
    """QR code, key as text, a 6-digit field and Verify (seeds/000 §4.3)."""
    template = "mfa/settings/authenticator.html"
    if request.method == "GET":
        return _tab(request, "authenticator", template, _authenticator_context(request))
    if totp.confirmed_device(request.user) is not None:
        return redirect("mfa:authenticator")
    form = CodeForm(request.POST)
    if form.is_valid():
        device, code = totp.setup_device(request.user), form.cleaned_data["code"]
        attempt = flows.check_enrolment_code(
            request, request.user, lambda: totp.confirm(device, code), "authenticator_setup"
        )
        if attempt.ok:
            binding.note_bound(request, "totp", "totp_added")
            messages.success(request, _("Your authenticator app is on."))
            if recovery.remaining(request.user) == 0:
                messages.info(request, _("Now make recovery codes, in case you lose your phone."))
                return redirect("mfa:recovery")
            return redirect("mfa:authenticator")
        wrong = _("That code is not right. Check your app and try again.")
        form.add_error("code", flows.enrolment_code_error(attempt, wrong))
    return _tab(request, "authenticator", template, _authenticator_context(request, form=form))


@never_cache
@login_required
@require_POST
@recent_auth_required
def authenticator_remove(request: HttpRequest) -> HttpResponse:
    """Removing the app asks for the password or a current code."""
    device = totp.confirmed_device(request.user)
    if device is None:
        return redirect("mfa:authenticator")
    form = PasswordOrCodeForm(request.POST)
    if form.is_valid():
        attempt = flows.check_password_or_code(request, device, form.cleaned_data["secret"])
        if attempt.ok:
            device.delete()
            flows.factor_removed(request.user, "totp_removed", request)
            messages.success(request, _("The authenticator app was removed."))
            return redirect("mfa:authenticator")
        if attempt.refusal is not None:
            form.add_error("secret", attempts.refusal_message(attempt.refusal))
        else:
            form.add_error("secret", _("That is neither your password nor a current code."))
    context = _authenticator_context(request, remove_form=form)
    return _tab(request, "authenticator", "mfa/settings/authenticator.html", context)


# --- Recovery codes -------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@recent_auth_required
def recovery_tab(request: HttpRequest) -> HttpResponse:
    """Shows how many codes are left; a POST makes a new set and shows it once."""
    context = {
        "remaining": recovery.remaining(request.user),
        "has_factor": flows.has_second_factor(request.user),
        "codes": [],
    }
    if request.method == "POST":
        if not context["has_factor"]:
            messages.error(request, _("Turn on a second factor first."))
            return redirect("mfa:recovery")
        context["codes"] = recovery.generate(request.user)
        context["remaining"] = len(context["codes"])
        binding.note_bound(request, "recovery", "recovery_generated")
    return _tab(request, "recovery", "mfa/settings/recovery.html", context)


@never_cache
@login_required
@require_POST
def recovery_download(request: HttpRequest) -> HttpResponse:
    """Returns the codes just shown as a text file (they are never stored in plain text)."""
    lines = [recovery.format_code(recovery.normalize(c)) for c in request.POST.getlist("code")[:20]]
    lines = [line for line in lines if len(line) == recovery.CODE_LENGTH + 1]
    body = "\n".join(
        [_("Recovery codes for %(user)s") % {"user": request.user.username}, "", *lines, ""]
    )
    response = HttpResponse(body, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    return response


# --- Trusted devices ------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET"])
def trusted_devices_tab(request: HttpRequest) -> HttpResponse:
    devices = TrustedDevice.objects.filter(user=request.user).order_by("-created_at")
    current = trust.trusted_device_for(request, request.user)
    context = {"devices": devices, "current_id": current.pk if current else None}
    return _tab(request, "devices", "mfa/settings/trusted_devices.html", context)


@never_cache
@login_required
@require_POST
def trusted_device_revoke(request: HttpRequest, device_id: int) -> HttpResponse:
    if trust.revoke(request.user, device_id):
        audit.record(request, audit.TRUSTED_DEVICE_REVOKED, user=request.user, device_id=device_id)
        notices.notify_change(request.user, "trusted_revoked", request)
        messages.success(request, _("That device will be asked for a second factor again."))
    return redirect("mfa:trusted_devices")


@never_cache
@login_required
@require_POST
def trusted_device_revoke_all(request: HttpRequest) -> HttpResponse:
    if trust.revoke_all(request.user):
        audit.record(request, audit.TRUSTED_DEVICE_REVOKED, user=request.user, device_id="all")
        notices.notify_change(request.user, "trusted_revoked", request)
    messages.success(request, _("No device is trusted any more."))
    return redirect("mfa:trusted_devices")


# --- Fresh proof ----------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reauth(request: HttpRequest) -> HttpResponse:
    """Type the password again before a sensitive change (counts toward the lockout)."""
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    form = PasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]
        result = account_flows.verify_password(request, request.user, password, "reauth")
        if result.user is not None:
            mark_recent_auth(request)
            return redirect(next_url or "mfa:settings")
        error = account_flows.password_error(result) if result.refusal else _("Wrong password.")
        form.add_error("password", error)
    return render(request, "mfa/reauth.html", {"form": form, "next": next_url})
