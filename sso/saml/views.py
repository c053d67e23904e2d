"""The SAML endpoints: metadata, single sign-on (Redirect and POST bindings, SP- and
IdP-initiated) and the steps between. Each view parses, calls sso.saml.flows, renders."""

import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

from accounts.signin.flows import request_fresh_signin
from sso.next_param import url_with_next
from sso.oidc.flows import STEP_UP_URL_NAME
from sso.saml import flows, idp, logout
from sso.saml.flows import Refused, Step
from sso.saml.models import ServiceProvider

log = logging.getLogger(__name__)
BAD_REQUEST = 400


def refused(request: HttpRequest, error: Refused) -> HttpResponse:
    """The error page for a request that gets no SAML answer (status 400)."""
    log.warning("SAML request refused: %s", error.reason)
    return render(request, "saml/error.html", {"message": error.message}, status=BAD_REQUEST)


def post_to(request: HttpRequest, form: flows.PostForm) -> HttpResponse:
    """The page that POSTs a SAML message to the service provider (SAML Bindings §3.5.4).

    Its CSP lets the one form go to the service provider's origin, nowhere else.
    """
    response = render(request, "saml/post.html", {"form": form})
    parts = urlsplit(form.url)
    origin = f"{parts.scheme}://{parts.netloc}"
    policy = settings.SSO_CONTENT_SECURITY_POLICY
    response["Content-Security-Policy"] = policy.replace(
        "form-action 'self'", f"form-action 'self' {origin}", 1
    )
    return response


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """The IdP's metadata (entity ID, endpoints, signing certificates)."""
    return HttpResponse(idp.metadata_xml(request), content_type="application/samlmetadata+xml")


def _receive(request: HttpRequest, binding: str) -> HttpResponse:
    try:
        pending = flows.receive_authn_request(request, binding)
    except Refused as error:
        return refused(request, error)
    query = urlencode({"p": flows.seal(pending)})
    return redirect(f"{reverse('saml:sso_continue')}?{query}")


@never_cache
@require_GET
def sso_redirect(request: HttpRequest) -> HttpResponse:
    """HTTP-Redirect binding: the AuthnRequest in the query string (SAML Bindings §3.4)."""
    return _receive(request, BINDING_HTTP_REDIRECT)


@never_cache
@csrf_exempt  # another site's form by design; the message's own signature and ID protect it
@require_POST
def sso_post(request: HttpRequest) -> HttpResponse:
    """HTTP-POST binding: the AuthnRequest in a form field (SAML Bindings §3.5)."""
    return _receive(request, BINDING_HTTP_POST)


@never_cache
@require_GET
def sso_continue(request: HttpRequest) -> HttpResponse:
    """The accepted request, now with the portal session: keep it and go on."""
    try:
        pending = flows.unseal(request.GET.get("p", ""))
    except Refused as error:
        return refused(request, error)
    return redirect("saml:resume", token=flows.keep(request, pending))


@never_cache
@login_required
@require_GET
def launch(request: HttpRequest, pk: int) -> HttpResponse:
    """IdP-initiated sign-in from Home: an unsolicited response to the app."""
    sp = get_object_or_404(ServiceProvider, pk=pk, is_active=True)
    try:
        token = flows.begin_idp_initiated(request, sp)
    except Refused as error:
        return refused(request, error)
    return redirect("saml:resume", token=token)


def _sign_in_url(back: str) -> str:
    return url_with_next(reverse(settings.LOGIN_URL), back)


@never_cache
@require_http_methods(["GET"])
def resume(request: HttpRequest, token: str) -> HttpResponse:
    """Signs in, steps up or starts afresh as the request needs, then answers the app."""
    pending = flows.pending_request(request, token)
    if pending is None:
        return refused(request, Refused(flows.EXPIRED, "no pending request for this token"))
    step = flows.next_step(request, pending)
    if step == Step.SIGN_IN:
        return redirect(_sign_in_url(request.path))
    if step == Step.FRESH_SIGN_IN:
        # The way back is this very request, met once a sign-in completed after it arrived.
        request_fresh_signin(request)
        return redirect(_sign_in_url(request.path))
    if step == Step.STEP_UP:
        flows.mark_step_up_tried(request, token)
        return redirect(url_with_next(reverse(STEP_UP_URL_NAME), request.path))
    try:
        if step == Step.ANSWER:
            form = flows.answer(request, pending)
        else:
            form = flows.no_authn_context(request, pending)
    except Refused as error:
        return refused(request, error)
    flows.forget(request, token)
    return post_to(request, form)


# --- Single Logout ---------------------------------------------------------------------------


def _hop(request: HttpRequest, hop: logout.Hop) -> HttpResponse:
    return post_to(request, hop.form) if hop.form else redirect(hop.url)


def _slo(request: HttpRequest, binding: str) -> HttpResponse:
    params = request.GET if request.method == "GET" else request.POST
    try:
        if "SAMLResponse" in params:
            in_response_to = logout.answer_received(request, binding)
            if binding == BINDING_HTTP_POST:  # no session cookie on another site's POST
                sealed = logout.seal({"in_response_to": in_response_to})
                return redirect(f"{reverse('saml:slo_continue')}?{urlencode({'p': sealed})}")
            return _after_answer(request, in_response_to)
        asked = logout.receive_logout_request(request, binding)
        if binding == BINDING_HTTP_POST:
            sealed = logout.seal(asked)
            return redirect(f"{reverse('saml:slo_continue')}?{urlencode({'p': sealed})}")
    except Refused as error:
        return refused(request, error)
    logout.begin_sp_logout(request, asked)
    return redirect("saml:slo_next")


def _after_answer(request: HttpRequest, in_response_to: str) -> HttpResponse:
    if not logout.matches_current(request, in_response_to):
        return refused(request, Refused(flows.EXPIRED, "logout answer to no request of ours"))
    return redirect("saml:slo_next")


@never_cache
@require_GET
def slo_redirect(request: HttpRequest) -> HttpResponse:
    """Single Logout, HTTP-Redirect binding: an SP's LogoutRequest or its LogoutResponse."""
    return _slo(request, BINDING_HTTP_REDIRECT)


@never_cache
@csrf_exempt  # another site's form by design; the message's own signature and ID protect it
@require_POST
def slo_post(request: HttpRequest) -> HttpResponse:
    """Single Logout, HTTP-POST binding."""
    return _slo(request, BINDING_HTTP_POST)


@never_cache
@require_GET
def slo_continue(request: HttpRequest) -> HttpResponse:
    """A POSTed logout message, now with the portal session."""
    try:
        data = logout.unseal(request.GET.get("p", ""))
    except Refused as error:
        return refused(request, error)
    if "in_response_to" in data:
        return _after_answer(request, data["in_response_to"])
    logout.begin_sp_logout(request, data)
    return redirect("saml:slo_next")


@never_cache
@require_GET
def slo_next(request: HttpRequest) -> HttpResponse:
    """The next service provider to tell, or the end of the logout chain."""
    return _hop(request, logout.next_hop(request))
