"""The Passkeys tab of Security Settings: list, Register New Device, rename, delete."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mfa import binding, tabs
from mfa import flows as mfa_flows
from mfa.passkeys import registration
from mfa.passkeys.errors import BAD_REQUEST, PROOF_REQUIRED, REAUTH_REQUIRED, PasskeyError
from mfa.passkeys.forms import DeviceNameForm
from mfa.passkeys.http import error_response, json_endpoint, read_json
from mfa.passkeys.models import Passkey
from mfa.reauth import recent_auth_required, recently_authenticated
from sso.next_param import url_with_next

logger = logging.getLogger(__name__)
FORBIDDEN = 403
UNAUTHORIZED = 401
# The device name typed before Save New Device sent the person to confirm it is them (fresh
# sign-in, account e-mail proof): the name step shows it again, so it is asked once.
NAME_SESSION_KEY = "passkeys.register_name"


def _render_tab(
    request: HttpRequest, template: str, context: dict, status: int = 200
) -> HttpResponse:
    context = {"active_tab": "passkeys", "tabs": tabs.installed_tabs(), **context}
    return render(request, template, context, status=status)


def _fresh_proof_or_error(request: HttpRequest) -> JsonResponse | None:
    """The JSON counterpart of ``recent_auth_required`` and ``binding_proof_required``: a
    redirect for the script to follow."""
    if not request.user.is_authenticated:
        return error_response(PasskeyError(BAD_REQUEST), status=UNAUTHORIZED)
    back = reverse("passkeys:register")
    if not recently_authenticated(request):
        target = url_with_next(reverse("mfa:reauth"), back)
        return error_response(PasskeyError(REAUTH_REQUIRED), status=FORBIDDEN, redirect=target)
    if not binding.binding_allowed(request):
        target = binding.proof_url(back)
        return error_response(PasskeyError(PROOF_REQUIRED), status=FORBIDDEN, redirect=target)
    return None


def _keep_name(request: HttpRequest) -> None:
    """Keeps the device name of a refused Save New Device for the name step it returns to."""
    try:
        form = DeviceNameForm(read_json(request))
    except PasskeyError:
        return
    if form.is_valid():
        request.session[NAME_SESSION_KEY] = form.cleaned_data["name"]


@never_cache
@login_required
@require_http_methods(["GET"])
def passkey_list(request: HttpRequest) -> HttpResponse:
    passkeys = request.user.passkeys.all()
    return _render_tab(request, "passkeys/list.html", {"passkeys": passkeys})


@never_cache
@login_required
@recent_auth_required
@binding.binding_proof_required()
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """The name step; the script then runs the browser's dialog through the JSON endpoints.

    A POST reaches here only without the script (or WebAuthn): say so instead of failing.
    """
    kept = request.session.pop(NAME_SESSION_KEY, "")
    form = DeviceNameForm(
        request.POST if request.method == "POST" else None, initial={"name": kept}
    )
    if request.method == "POST" and form.is_valid():
        form.add_error(
            None, _("Registering a passkey needs a browser with JavaScript and passkeys.")
        )
    return _render_tab(request, "passkeys/register.html", {"form": form})


@never_cache
@json_endpoint
def register_options(request: HttpRequest) -> JsonResponse:
    refusal = _fresh_proof_or_error(request)
    if refusal is not None:
        if request.user.is_authenticated:
            _keep_name(request)
        return refusal
    form = DeviceNameForm(read_json(request))
    if not form.is_valid():
        return JsonResponse({"error": "invalid_name", "errors": form.errors}, status=400)
    return JsonResponse(registration.registration_options(request, request.user))


@never_cache
@json_endpoint
def register_verify(request: HttpRequest) -> JsonResponse:
    refusal = _fresh_proof_or_error(request)
    if refusal is not None:
        return refusal
    data = read_json(request)
    form = DeviceNameForm({"name": data.get("name")})
    if not form.is_valid():
        return JsonResponse({"error": "invalid_name", "errors": form.errors}, status=400)
    name = form.cleaned_data["name"]
    registration.register_passkey(request, request.user, name, data.get("credential"))
    binding.note_bound(request, "passkey", "passkey_added")
    messages.success(request, _("Your new device “%(name)s” is registered.") % {"name": name})
    return JsonResponse({"redirect": reverse("passkeys:list")})


@never_cache
@login_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
def rename(request: HttpRequest, pk: int) -> HttpResponse:
    passkey = get_object_or_404(Passkey, pk=pk, user=request.user)
    form = DeviceNameForm(request.POST or None, initial={"name": passkey.name})
    if request.method == "POST" and form.is_valid():
        passkey.name = form.cleaned_data["name"]
        passkey.save(update_fields=["name"])
        messages.success(
            request, _("The device is renamed to “%(name)s”.") % {"name": passkey.name}
        )
        return redirect("passkeys:list")
    return _render_tab(request, "passkeys/rename.html", {"form": form, "passkey": passkey})


@never_cache
@login_required
@recent_auth_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    passkey = get_object_or_404(Passkey, pk=pk, user=request.user)
    if request.method == "POST":
        name = passkey.name
        passkey.delete()
        # design.md, Trusted devices: a removed factor revokes them, and the user is told.
        mfa_flows.factor_removed(request.user, "passkey_removed", request)
        logger.info("passkey %s of user %s deleted", pk, request.user.pk)
        messages.success(request, _("The device “%(name)s” is deleted.") % {"name": name})
        return redirect("passkeys:list")
    return _render_tab(request, "passkeys/delete.html", {"passkey": passkey})
