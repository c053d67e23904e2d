"""The challenge pages (seeds/000 §4: pick a method, enter the code, Validate, Confirm and
Continue). Thin: the rules live in mfa.flows and the methods."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.signin.flows import another_signin_began, safe_next_url, signin_ended
from mfa import binding, flows, totp
from mfa.challenge import pending as pending_state
from mfa.forms import CodeForm, TrustForm
from sso.in_place import in_place_step, show_in_place

BAD_REQUEST = 400


def _expired(request: HttpRequest) -> HttpResponse:
    """No challenge under way. Signed in (Back from Home to a page of the finished challenge),
    Home, without telling a signed-in person that their sign-in expired; else the username."""
    if request.user.is_authenticated:
        return redirect("home")
    return redirect(signin_ended(request))


def _from_another_signin(request: HttpRequest) -> HttpResponse | None:
    """None, or the answer to a form posted from the page of another sign-in than the one
    under way (pending.posted_for_another): nothing is checked, counted, sent or confirmed, and
    the person is told to sign in again."""
    if request.method != "POST" or not pending_state.posted_for_another(request):
        return None
    messages.error(request, another_signin_began())
    return redirect("accounts:login")


def _render_picker(request, pending, error: str = "", status: int = 200) -> HttpResponse:  # type: ignore[no-untyped-def]
    methods = [
        {
            "slug": m.slug,
            "label": m.label,
            "hint": m.describe(pending.user),
            "sends_message": m.sends_message,
            "blocked_for": (blocked := m.blocked_seconds(pending.user)),
            "available_at": timezone.now() + timedelta(seconds=blocked) if blocked else None,
        }
        for m in flows.challenge_methods(request, pending.user)
    ]
    context = {"methods": methods, "error": error, "page_mark": pending_state.page_mark(request)}
    return render(request, "mfa/challenge/picker.html", context, status=status)


@in_place_step
@never_cache
@require_http_methods(["GET", "POST"])
def picker(request: HttpRequest) -> HttpResponse:
    """The MFA pop-up of seeds/000: choose among the enrolled methods (someone with one factor
    comes here only by "Choose another method", or when its code could not be sent:
    mfa.flows.step_after_password)."""
    pending = pending_state.current_pending(request)
    if pending is None:
        return _expired(request)
    if (refused := _from_another_signin(request)) is not None:
        return refused
    if pending_state.pending_flag(request, "enrol"):
        return redirect("mfa:enrol")
    if request.method == "GET":
        return _render_picker(request, pending)
    method = flows.challenge_method(request, pending.user, request.POST.get("method", ""))
    if method is None:
        return _render_picker(request, pending, _("Choose one of the methods shown."), BAD_REQUEST)
    error = method.start(request, pending)
    if error:
        return _render_picker(request, pending, error)
    return show_in_place(request, reverse("mfa:challenge_method", kwargs={"slug": method.slug}))


def _pending_method(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    """(pending, method, None) for a live attempt and an enrolled method, else (.., .., page)."""
    pending = pending_state.current_pending(request)
    if pending is None:
        return None, None, _expired(request)
    if (refused := _from_another_signin(request)) is not None:
        return pending, None, refused
    method = flows.challenge_method(request, pending.user, slug)
    if method is None:
        error = _("Choose one of the methods shown.")
        return pending, None, _render_picker(request, pending, error, BAD_REQUEST)
    return pending, method, None


@in_place_step
@never_cache
@require_http_methods(["GET", "POST"])
def method_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Enter the code (or use the passkey) and Validate; a right answer is answered with
    Trust this device / Confirm and Continue in place (sso.in_place), as the INSW manual's
    pop-up after Validate."""
    pending, method, refusal = _pending_method(request, slug)
    if refusal is not None:
        return refusal
    if request.method == "POST" and pending_state.pending_flag(request, "verified"):
        # Validate posted again once an answer was accepted: a reload of the Verified page
        # shown in place before portal.js gave it its address (sso.in_place). Its answer is
        # that page again; the used code, checked once more, would count as a wrong one.
        return show_in_place(request, reverse("mfa:challenge_confirm"))
    form_class = method.form_class or CodeForm
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        answer = flows.answer_challenge(request, method, form.cleaned_data)
        if answer.ok:
            return show_in_place(request, reverse("mfa:challenge_confirm"))
        if answer.signed_out:
            messages.error(request, answer.error)
            return redirect("accounts:login")
        form.add_error(None if "code" not in form.fields else "code", answer.error)
    context = {
        "method": method,
        "hint": method.describe(pending.user),
        "form": form,
        "page_mark": pending_state.page_mark(request),
        **method.context(request, pending),
    }
    return render(request, "mfa/challenge/method.html", context)


@never_cache
@require_POST
def resend(request: HttpRequest, slug: str) -> HttpResponse:
    """Send a new code; the old one dies (seeds/003 Table 2)."""
    pending, method, refusal = _pending_method(request, slug)
    if refusal is not None:
        return refusal
    error = method.start(request, pending)
    if error and not method.blocked_seconds(pending.user):
        messages.error(request, error)
    elif not error:
        messages.success(request, _("A new code is on its way. The previous code no longer works."))
    return redirect("mfa:challenge_method", slug=slug)


@in_place_step
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Trust this device (checked by default), then Confirm and Continue."""
    # The user is read by finish_challenge, when the POST signs them in; the page needs none.
    if not pending_state.is_pending(request):
        return _expired(request)
    if (refused := _from_another_signin(request)) is not None:
        return refused
    if not pending_state.pending_flag(request, "verified"):
        return redirect("mfa:challenge")
    form = TrustForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        response = flows.finish_challenge(request, remember=form.cleaned_data["remember"])
        if response is not None:
            return response
        return _expired(request)
    step_up = bool(pending_state.pending_flag(request, "step_up"))
    verified = pending_state.pending_flag(request, "verified") or {}
    context = {
        "form": form,
        "step_up": step_up,
        "trust_days": settings.MFA_TRUST_DAYS,
        "used_passkey": verified.get("method") == "passkey",
        "page_mark": pending_state.page_mark(request),
    }
    return render(request, "mfa/challenge/confirm.html", context)


@never_cache
@login_required
@require_http_methods(["GET"])
def step_up(request: HttpRequest) -> HttpResponse:
    """A relying app asked for a second factor: prove it again, then go back."""
    next_url = safe_next_url(request, request.GET.get("next")) or ""
    return redirect(flows.begin_step_up(request, next_url))


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """No factor yet and one is needed (an app asked for MFA): after the account e-mail proof
    (mfa.binding), the authenticator app's QR code and a code from it."""
    pending = pending_state.current_pending(request)
    if pending is None or not pending_state.pending_flag(request, "enrol"):
        return _expired(request)
    if not request.user.is_authenticated or not binding.binding_allowed(request):
        return redirect(binding.proof_url(request.get_full_path()))
    device = totp.setup_device(pending.user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        attempt = flows.check_enrolment_code(
            request, pending.user, lambda: totp.confirm(device, code), "authenticator_setup"
        )
        if attempt.ok:
            messages.success(
                request,
                _(
                    "Your authenticator app is set up. It counts as your second factor from "
                    "your next sign-in."
                ),
            )
            return redirect(flows.finish_enrolment(request, pending))
        wrong = _("That code is not right. Check your app and try again.")
        form.add_error("code", flows.enrolment_code_error(attempt, wrong))
    context = {
        "form": form,
        "qr_svg": totp.qr_svg(device.config_url),
        "key": totp.readable_key(device),
    }
    return render(request, "mfa/challenge/enrol.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def prove_account(request: HttpRequest) -> HttpResponse:
    """Before a first factor is bound: a code to the account's e-mail, typed back."""
    next_url = safe_next_url(request, request.GET.get("next")) or reverse("mfa:settings")
    if binding.binding_allowed(request):
        return redirect(next_url)
    address = binding.account_address(request.user)
    action = request.POST.get("action")
    form = CodeForm(request.POST if action == "verify" else None)
    if request.method == "POST" and address:
        if action == "send":
            error = binding.send_proof_code(request)
            if error:
                messages.error(request, error)
            return redirect(request.get_full_path())
        if form.is_valid():
            error = binding.check_proof_code(request, form.cleaned_data["code"])
            if not error:
                return redirect(next_url)
            form.add_error("code", error)
    context = {
        "form": form,
        "address": binding.masked_address(request.user) if address else "",
        "code_sent": binding.code_sent(request),
        "continue_url": _step_up_return(request),
    }
    return render(request, "mfa/challenge/enrol_prove.html", context)


def _step_up_return(request: HttpRequest) -> str:
    """Where a step-up goes back to without a factor (the app is told the level reached)."""
    if not pending_state.pending_flag(request, "step_up"):
        return ""
    return safe_next_url(request, pending_state.pending_flag(request, "next"))
