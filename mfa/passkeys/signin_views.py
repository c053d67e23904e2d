"""Sign in with passkey: username first (Continue) or usernameless, then Confirm and Continue;
and the JSON endpoint of the passkey as a second factor.

The pages of a sign-in under way post back whose sign-in they were shown for (the mark of
accounts.signin.flows, ``PAGE_MARK_FIELD``, in the form or the JSON body), as the challenge
pages do: a tab left open at one person's passkey step, while another person's sign-in began
in the browser, neither asks for, answers nor confirms the other one's. The username page's
own passkey (its button and autofill) posts the mark of the sign-in under way when the page
was shown ('' before any): step 1 may begin another sign-in than that one, as a name typed
there does, but a request it opened before another sign-in began is not answered for that
one."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts import audit
from accounts.signin import flows
from mfa.challenge import pending as pending_state
from mfa.passkeys import authentication, signin
from mfa.passkeys.errors import ANOTHER_SIGNIN, NO_CHALLENGE, PasskeyError
from mfa.passkeys.http import BAD_REQUEST_STATUS, json_endpoint, read_json
from mfa.passkeys.models import Challenge
from sso.in_place import in_place_step

USERNAMELESS = "discoverable"


def _from_another_signin(request: HttpRequest, data: dict, mark: str | None) -> JsonResponse | None:
    """None, or the JSON answer to a passkey step whose page was shown for another sign-in
    than ``mark``'s, the one under way (None: there is none, nothing to keep apart): nothing
    is issued, verified or recorded, and the script is sent to the username page, which says
    what the challenge pages say then."""
    if mark is None or not flows.names_another(data.get(flows.PAGE_MARK_FIELD), mark):
        return None
    ended = flows.another_signin_began()
    messages.error(request, ended)
    body = {"error": ANOTHER_SIGNIN, "message": ended, "redirect": reverse("accounts:login")}
    return JsonResponse(body, status=BAD_REQUEST_STATUS)


@in_place_step
@never_cache
@require_http_methods(["GET"])
def signin_page(request: HttpRequest) -> HttpResponse:
    """The page with Continue; the script opens the browser's dialog. Also the answer to the
    username page's passkey choice, shown in place (sso.in_place)."""
    state = flows.current_signin(request)
    if state is None:
        return redirect("accounts:login")
    context = {"username": state.username, "page_mark": flows.name_mark(state.username)}
    return render(request, "passkeys/signin.html", context)


@never_cache
@json_endpoint
def signin_options(request: HttpRequest) -> JsonResponse:
    """Options for the username-first sign-in, or for a usernameless one; neither for a page
    shown for another sign-in than the one under way (``_from_another_signin``)."""
    data = read_json(request)
    purpose = Challenge.Purpose.SIGN_IN
    state = flows.current_signin(request)
    refused = _from_another_signin(request, data, flows.under_way_mark(state))
    if refused is not None:
        return refused  # the challenge of the sign-in under way stays open for its own page
    if data.get("mode") == USERNAMELESS:
        options = authentication.authentication_options(request, purpose, None, usernameless=True)
        return JsonResponse(options)
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
    """Checks the browser's answer (mfa.passkeys.authentication) and keeps the passkey for
    Confirm and Continue, whose address it returns; refused (nothing verified or recorded)
    for a page shown for another sign-in than the one under way."""
    data = read_json(request)
    # Both pages post the mark of the sign-in under way when they were shown: the username
    # page's before any name was typed is '', not that of a sign-in begun since.
    state = flows.current_signin(request)
    refused = _from_another_signin(request, data, flows.under_way_mark(state))
    if refused is not None:
        return refused
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
        if signin.posted_for_another(request):
            # Left as it is: the passkey verified since is another sign-in's to confirm.
            messages.error(request, flows.another_signin_began())
            return redirect("accounts:login")
        try:
            target = signin.confirm_signin(request)
        except flows.SigninAlreadyCompleted:  # by a Confirm and Continue posted with this one
            target = None
        if target is None and not request.user.is_authenticated:
            # Nothing to confirm (any more): told as the challenge's Confirm and Continue
            # tells it. Someone signed in is led Home by the username page, told nothing.
            return redirect(flows.signin_ended(request))
        return redirect(target or "accounts:login")
    passkey = signin.verified_passkey(request)
    if passkey is None:
        return redirect("accounts:login")
    context = {"passkey": passkey, "page_mark": flows.page_mark(passkey.user_id)}
    return render(request, "passkeys/confirm.html", context)


@never_cache
@json_endpoint
def second_factor_options(request: HttpRequest) -> JsonResponse:
    """Options for a passkey as the second factor, for the user whose password was right."""
    data = read_json(request)
    pending = pending_state.current_pending(request)
    if pending is None:
        raise PasskeyError(NO_CHALLENGE)
    refused = _from_another_signin(request, data, pending_state.page_mark(request))
    if refused is not None:
        return refused
    purpose = Challenge.Purpose.SECOND_FACTOR
    return JsonResponse(authentication.authentication_options(request, purpose, pending.user))
