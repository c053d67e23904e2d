"""django-oauth-toolkit's endpoints with the portal's rules on top.

Each view keeps DOT's protocol handling and adds one thing: the authorize endpoint asks the
portal session for a fresh sign-in or a step-up when the app demands it (flows.py), discovery
tells apps about ``acr``/``amr`` and back-channel logout, logout refuses bad input with a page
instead of an error 500, and introspection serves confidential clients about their own tokens.
"""

import hashlib
import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import (
    ClientIdMissmatch,
    InvalidOIDCClientError,
    OAuthToolkitError,
    OIDCError,
)
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_backends import _add_iss_to_redirect
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749.errors import ConsentRequired, LoginRequired

from sso.oidc import claims, flows, params, server
from sso.oidc.flows import Need
from sso.oidc.logout import LogoutHint, read_hint
from sso.oidc.models import Application
from sso.request_input import repeated_parameters


def _invalid_request(description: str) -> JsonResponse:
    """RFC 6749 §5.2 (and RFC 7009 §2.2.1, RFC 7662 §2.3): HTTP 400, ``invalid_request``."""
    return JsonResponse({"error": "invalid_request", "error_description": description}, status=400)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """``invalid_request`` for a request with a parameter given twice, or one that holds a NUL
    or other control character or an overlong value (sso/oidc/params.py); None when its
    parameters are acceptable."""
    reason = params.refused_parameters(request)
    return None if reason is None else _invalid_request(reason)


def _bad_consent(request: HttpRequest) -> HttpResponse:
    reason = _("This consent form did not come from this portal's consent page.")
    return render(request, "400.html", {"reason": reason}, status=400)


def _validated_client(credentials: dict) -> Application | None:
    """The client oauthlib loaded while validating the authorization request (the
    ``request`` of its answer), or None when the credentials came from elsewhere (the consent
    form)."""
    validated = credentials.get("request")
    client = getattr(validated, "client", None)
    if isinstance(client, Application) and client.client_id == credentials.get("client_id"):
        return client
    return None


class ParameterCheckMixin:
    """Runs ``_refusal`` before DOT reads the request."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return _refusal(request) or super().dispatch(request, *args, **kwargs)


@method_decorator(never_cache, name="dispatch")
class AuthorizationView(dot_views.AuthorizationView):
    """The authorize endpoint: single sign-on through the portal session, with its demands."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """A parameter given twice is refused before anything reads one (RFC 6749 §3.1)."""
        if repeated_parameters(request):
            return self._refuse_repeated(request)
        return super().dispatch(request, *args, **kwargs)

    def _refuse_repeated(self, request: HttpRequest) -> HttpResponse:
        """An ``invalid_request`` sent back to the client once oauthlib found it and its
        redirect URI genuine (the portal's pre-authorization check, sso/oidc/params.py), else
        the error page (a repeated client_id or redirect_uri, an unknown client: RFC 6749
        §4.1.2.1). A consent form with a field twice did not come from the consent page."""
        if request.method == "GET":
            try:
                self.validate_authorization_request(request)
            except OAuthToolkitError as error:
                return self.error_response(error, application=None)
        # The consent form, or a query oauthlib read otherwise than Django: the page.
        reason = _("A parameter of this request is given more than once.")
        return render(request, "400.html", {"reason": reason}, status=400)

    def handle_no_permission(self) -> HttpResponse:
        """Not signed in: check the request first, then sign in and come back.

        ``prompt=none`` gets DOT's ``login_required`` redirect. Otherwise the sign-in about to
        happen is fresh: it meets ``prompt=login`` and ``max_age`` of this request.
        """
        prompt = set(self.request.GET.get("prompt", "").split())
        if "none" in prompt or "create" in prompt:
            return super().handle_no_permission()
        try:
            self.validate_authorization_request(self.request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        return redirect(flows.fresh_sign_in_url(self.request))

    _validated: tuple[str, tuple] | None = None

    def validate_authorization_request(self, request: HttpRequest):
        """oauthlib's validation of this request, run once: this view's ``get`` validates
        before DOT's ``get`` does. DOT hands oauthlib the request's path and query string as
        they arrived (``get_full_path``), not ``request.GET`` (from which ``prompt=login`` may
        have been taken out in between), so the answer is kept for that URI."""
        uri = request.get_full_path()
        if self._validated is not None and self._validated[0] == uri:
            return self._validated[1]
        result = super().validate_authorization_request(request)
        self._validated = (uri, result)
        return result

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = _validated_client(credentials) or Application.objects.get(
            client_id=credentials["client_id"]
        )
        need = flows.authentication_needed(request, request.GET)
        if "none" in set(request.GET.get("prompt", "").split()):
            # OpenID Connect Core §3.1.2.6: no page may be shown, so answer the app.
            if need is not Need.NOTHING:
                return self._silent_error(LoginRequired, credentials, application)
            if not flows.has_consent(request.user, application, scopes):
                return self._silent_error(ConsentRequired, credentials, application)
        elif need is Need.FRESH_SIGN_IN:
            # OpenID Connect Core §3.1.2.1; the session ends only when a new one replaces it.
            return redirect(flows.fresh_sign_in_url(request))
        elif need is Need.STEP_UP:
            step_up = flows.step_up_url(request)
            if step_up:
                return redirect(step_up)
        # prompt=login is met by now (flows.authentication_needed); DOT would ask again.
        request.GET = flows.without_prompt_login(request.GET)
        request.GET = flows.with_consent_asked(request.GET, application)
        if self._answers_at_once(request, application, scopes):
            return self._authorize(request, application, scopes, credentials)
        return super().get(request, *args, **kwargs)

    @staticmethod
    def _answers_at_once(request: HttpRequest, application: Application, scopes) -> bool:
        """Whether DOT's ``get`` would make the code without a page: a first-party app, or
        consent given earlier under ``approval_prompt=auto`` (flows.has_consent, DOT's rule).

        Then the code is made here, with the application read once: DOT's ``get`` reads it
        again and builds the consent form only to skip it. Requests that DOT checks further
        (``prompt=create``, RFC 8707 ``resource``) and consent pages still go through DOT.
        """
        if "create" in request.GET.get("prompt", "").split() or "resource" in request.GET:
            return False
        if application.skip_authorization:
            return True
        approval = request.GET.get("approval_prompt", oauth2_settings.REQUEST_APPROVAL_PROMPT)
        return approval == "auto" and flows.has_consent(request.user, application, scopes)

    def _authorize(self, request: HttpRequest, application, scopes, credentials) -> HttpResponse:
        """DOT's answer once consent is known (its ``get``, without the page)."""
        if isinstance(credentials.get("ui_locales"), list):
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(scopes), credentials=credentials, allow=True
            )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        if oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS:
            # DOT named the issuer in its answer already (RFC 9207), as ``redirect`` would.
            return super().redirect(uri, application)
        return self.redirect(uri, application)

    def redirect(self, redirect_to: str, application) -> HttpResponse:
        """Every authorization response names the issuer, errors included (RFC 9207 §2):
        DOT adds ``iss`` to a code only; ``login_required``, ``consent_required``,
        ``access_denied`` and ``invalid_request`` go through here as well."""
        issuer = oauth2_settings.oauth2_authorization_server_issuer(self.request)
        return super().redirect(_add_iss_to_redirect(redirect_to, issuer), application)

    def _silent_error(self, error_class, credentials: dict, application) -> HttpResponse:
        error = error_class(state=credentials.get("state"))
        return self.error_response(
            OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"]), application
        )

    def form_invalid(self, form) -> HttpResponse:
        """A consent form that the consent page did not send (a field missing or altered):
        there is no checked redirect URI to answer at (RFC 6749 §4.1.2.1), so a 400 page."""
        return _bad_consent(self.request)

    def form_valid(self, form) -> HttpResponse:
        if not Application.objects.filter(client_id=form.cleaned_data["client_id"]).exists():
            return _bad_consent(self.request)
        return super().form_valid(form)

    def create_authorization_response(self, request, scopes, credentials, allow):
        """Hands the session's sign-in context to the validator, which keeps it with the code."""
        credentials = {**credentials, "portal_session": flows.portal_session(request)}
        client = _validated_client(credentials)
        if client is not None:
            # oauthlib validates the request once more before it makes the code; the client
            # it found a moment ago is handed over (DOT still checks it is usable).
            credentials["client"] = client
        return super().create_authorization_response(request, scopes, credentials, allow)


class ConnectDiscoveryInfoView(dot_views.ConnectDiscoveryInfoView):
    """OpenID Provider metadata, with what the portal adds to DOT's."""

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data.update(
            {
                "acr_values_supported": list(claims.ACR_LEVELS),
                "claims_supported": sorted(
                    {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid"}
                    | {"name", "preferred_username", "email"}
                ),
                "grant_types_supported": list(server.GRANT_TYPES),
                "response_types_supported": list(server.RESPONSE_TYPES),
                "response_modes_supported": ["query"],
                # Request objects are not taken (sso/oidc/params.py answers with
                # request_not_supported / request_uri_not_supported). Omitted, the second
                # would mean true (OpenID Connect Discovery 1.0 §3).
                "request_parameter_supported": False,
                "request_uri_parameter_supported": False,
                "claims_parameter_supported": False,
                "revocation_endpoint": request.build_absolute_uri(
                    self._url("revoke-token", request)
                ),
                "introspection_endpoint": request.build_absolute_uri(
                    self._url("introspect", request)
                ),
                "backchannel_logout_supported": True,
                "backchannel_logout_session_supported": True,
            }
        )
        new = JsonResponse(data)
        new["Access-Control-Allow-Origin"] = "*"
        return new

    def _url(self, name: str, request: HttpRequest) -> str:
        return self._get_endpoint_url(request, name, required=True)


class MalformedLogoutRequest(OIDCError):
    """A logout parameter given twice, or with a control character or an overlong value."""

    error = "invalid_request"
    description = "A parameter is given twice, or holds characters or a length not allowed."


@method_decorator(never_cache, name="dispatch")  # the signed-in person's prompt: never stored
class RPInitiatedLogoutView(dot_views.RPInitiatedLogoutView):
    """RP-initiated logout, the same answer however often an app asks (sso/oidc/logout.py);
    a malformed request, hint or client gets the error page."""

    hint: LogoutHint | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if params.refused_parameters(request) is not None:
            self.oidc_data = {}
            return self.error_response(MalformedLogoutRequest())
        return super().dispatch(request, *args, **kwargs)

    def validate_logout_request(self, id_token_hint, client_id, post_logout_redirect_uri):
        """(application, the hint's user or None); raises DOT's OIDCError subclasses."""
        self.hint = read_hint(self.request, id_token_hint) if id_token_hint else None
        if self.hint is not None and client_id and self.hint.application.client_id != client_id:
            raise ClientIdMissmatch()
        application = self.get_request_application(self.hint, client_id)
        self.validate_post_logout_redirect_uri(application, post_logout_redirect_uri)
        return application, self.hint.user if self.hint else None

    def get_request_application(self, hint: LogoutHint | None, client_id: str | None):
        if client_id:
            application = Application.objects.filter(client_id=client_id).first()
            if application is None:
                raise InvalidOIDCClientError()
            return application
        return hint.application if hint else None

    def must_prompt(self, token_user) -> bool:
        """DOT's rules, and (§2) the hint must belong to *this* portal session: an old ID
        token from another session does not sign this one out without asking."""
        if super().must_prompt(token_user):
            return True
        if not self.request.user.is_authenticated or self.hint is None:
            return False
        return self.hint.sid != self.request.session.get(flows.SID_SESSION_KEY)

    def do_logout(
        self, application=None, post_logout_redirect_uri=None, state=None, token_user=None
    ):
        # The current portal session ends with logout() (sso/oidc/signals.py); a hint for a
        # session already gone (signed out, expired) still ends what that session gave apps.
        if self.hint is not None and self.hint.sid:
            flows.sign_out_of_apps(self.hint.user, self.hint.sid)
        return super().do_logout(application, post_logout_redirect_uri, state, token_user)


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectTokenView(dot_views.IntrospectTokenView):
    """RFC 7662 for confidential clients, about their own access tokens only.

    DOT's view also accepts public clients and any client's tokens; a relying app has no
    business probing another app's tokens.
    """

    client: Application | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refusal = _refusal(request)
        if refusal is not None:
            return refusal
        self.client = self._confidential_client(request)
        if self.client is None:
            response = JsonResponse({"error": "invalid_client"}, status=401)
            response["WWW-Authenticate"] = 'Basic realm="introspection"'
            return response
        return View.dispatch(self, request, *args, **kwargs)

    def _confidential_client(self, request: HttpRequest) -> Application | None:
        core = self.get_oauthlib_core()
        uri, http_method, body, headers = core._extract_params(request)
        oauthlib_request = OAuthlibRequest(uri, http_method, body, headers)
        if not core.server.request_validator.authenticate_client(oauthlib_request):
            return None
        client = getattr(oauthlib_request, "client", None)
        if client is None or client.client_type != Application.CLIENT_CONFIDENTIAL:
            return None
        return client

    def get_token_response(self, token_value=None):
        if token_value:
            checksum = hashlib.sha256(token_value.encode()).hexdigest()
            owned = get_access_token_model().objects.filter(
                token_checksum=checksum, application=self.client
            )
            if not owned.exists():
                return JsonResponse({"active": False})
        return super().get_token_response(token_value)


TOKEN_RESPONSE_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
}


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(ParameterCheckMixin, dot_views.TokenView):
    """The token endpoint; grant types other than the code and refresh tokens are
    ``unsupported_grant_type`` (sso/oidc/server.py)."""

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # DOT sends the device code grant to its own lookup first (HTTP 404, or a KeyError
        # without device_code); the portal offers no device flow, so oauthlib answers.
        if app_authorized.has_listeners(self):
            return self.authorization_flow_token_response(request)
        # DOT reads the new access token back only to send it with app_authorized; nothing
        # listens, so the answer goes out as oauthlib made it.
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        # RFC 6749 §5.1, §5.2: JSON, never cached; oauthlib leaves these out of an error
        # raised after validation (a code whose concurrent exchange won, validators.py).
        for name, value in {**TOKEN_RESPONSE_HEADERS, **headers}.items():
            response[name] = value
        return response


@method_decorator(csrf_exempt, name="dispatch")
class RevokeTokenView(ParameterCheckMixin, dot_views.RevokeTokenView):
    """RFC 7009 token revocation."""


# OpenID Connect Core §5.3: UserInfo SHOULD support CORS, as discovery and the JWKS do; the
# token travels in the Authorization header, so browsers send a preflight first.
USERINFO_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": "Authorization",
    "Access-Control-Expose-Headers": "WWW-Authenticate",
    "Access-Control-Max-Age": "600",
}


@method_decorator(csrf_exempt, name="dispatch")
class UserInfoView(dot_views.UserInfoView):
    """UserInfo with the access token in the Authorization header only.

    RFC 9700 §2.4.1 and §4.3.2: a token in the query string lands in access logs, browser
    history and Referer headers; RFC 6750 §2 allows one method per request, and the portal
    accepts the header alone. A token elsewhere is not read: 401 as for no token (RFC 6750
    §3.1), with a description saying where it belongs.
    """

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        refusal = None if request.method == "OPTIONS" else _refusal(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
        elif refusal is not None:
            # RFC 6750 §3.1: invalid_request is HTTP 400, with the challenge.
            response = refusal
            response["WWW-Authenticate"] = 'Bearer error="invalid_request"'
        elif "access_token" in request.GET or (
            request.method == "POST" and "access_token" in request.POST
        ):
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Send the access token in the Authorization header.",
                },
                status=401,
            )
            response["WWW-Authenticate"] = (
                'Bearer error="invalid_request", '
                'error_description="Send the access token in the Authorization header"'
            )
        else:
            response = super().dispatch(request, *args, **kwargs)
            if response.status_code >= 400 and response.content:
                # oauthlib's error body is JSON (RFC 6750 §3) but comes without a type.
                response["Content-Type"] = "application/json"
        for header, value in USERINFO_CORS.items():
            response[header] = value
        return response
