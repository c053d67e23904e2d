"""Sign in with passkey: username first (Continue) or usernameless, then Confirm and Continue;
and the JSON endpoint of the passkey as a second factor."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.signin import flows
from mfa.challenge.pending import current_pending
from mfa.passkeys import authentication, signin
from mfa.passkeys.errors import NO_CHALLENGE, PasskeyError
from mfa.passkeys.http import json_endpoint, read_json
from mfa.passkeys.models import Challenge
from sso.in_place import in_place_step

USERNAMELESS = "discoverable"


@in_place_step
@never_cache
@require_http_methods(["GET"])
def signin_page(request: HttpRequest) -> HttpResponse:
    """The page with Continue; the script opens the browser's dialog. Also the answer to the
    username page's passkey choice, shown in place (sso.in_place)."""
    state = flows.current_signin(request)
    if state is None:
        return redirect("accounts:login")
    return render(request, "passkeys/signin.html", {"username": state.username})


@never_cache
@json_endpoint
def signin_options(request: HttpRequest) -> JsonResponse:
    """Options for the username-first sign-in, or for a usernameless one."""
    data = read_json(request)
    purpose = Challenge.Purpose.SIGN_IN
    if data.get("mode") == USERNAMELESS:
        options = authentication.authentication_options(request, purpose, None, usernameless=True)
        return JsonResponse(options)
    state = flows.current_signin(request)
    if state is None:
        raise PasskeyError(NO_CHALLENGE)
    user = authentication.signin_user(state.username)
    options = authentication.authentication_options(
        request, purpose, user, typed_username=state.username
    )
    return JsonResponse(options)


@never_cache
@json_endpoint
def signin_verify(request: HttpRequest) -> JsonResponse:
    data = read_json(request)
    next_url = data.get("next") if isinstance(data.get("next"), str) else ""
    try:
        verified = authentication.verify_passkey(
            request, Challenge.Purpose.SIGN_IN, data.get("credential")
        )
    except PasskeyError as error:
        audit.record(
            request, audit.SIGNIN_PASSKEY, audit.FAILURE, method="passkey", reason=error.code
        )
        raise
    audit.record(request, audit.SIGNIN_PASSKEY, user=verified.passkey.user, method="passkey")
    signin.remember_verified(request, verified, next_url)
    return JsonResponse({"redirect": reverse("passkeys:signin_confirm")})


@never_cache
@require_http_methods(["GET", "POST"])
def signin_confirm(request: HttpRequest) -> HttpResponse:
    """Confirm and Continue: the account the passkey proved, then Home (or the next URL)."""
    if request.method == "POST":
        target = signin.confirm_signin(request)
        return redirect(target or "accounts:login")
    passkey = signin.verified_passkey(request)
    if passkey is None:
        return redirect("accounts:login")
    return render(request, "passkeys/confirm.html", {"passkey": passkey})


@never_cache
@json_endpoint
def second_factor_options(request: HttpRequest) -> JsonResponse:
    """Options for a passkey as the second factor, for the user whose password was right."""
    read_json(request)
    pending = current_pending(request)
    if pending is None:
        raise PasskeyError(NO_CHALLENGE)
    purpose = Challenge.Purpose.SECOND_FACTOR
    return JsonResponse(authentication.authentication_options(request, purpose, pending.user))
