"""django-oauth-toolkit's endpoints with the portal's rules on top.

Each view keeps DOT's protocol handling and adds one thing: the authorize endpoint asks the
portal session for a fresh sign-in or a step-up when the app demands it (flows.py), discovery
tells apps about ``acr``/``amr`` and back-channel logout, logout refuses bad input with a page
instead of an error 500, and introspection serves confidential clients about their own tokens.
"""

import hashlib
import json

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import View
from jwcrypto.common import JWException
from oauth2_provider import views as dot_views
from oauth2_provider.exceptions import (
    InvalidIDTokenError,
    InvalidOIDCClientError,
    OAuthToolkitError,
)
from oauth2_provider.models import get_access_token_model
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749.errors import ConsentRequired, LoginRequired

from sso.oidc import claims, flows
from sso.oidc.flows import Need
from sso.oidc.models import Application


@method_decorator(never_cache, name="dispatch")
class AuthorizationView(dot_views.AuthorizationView):
    """The authorize endpoint: single sign-on through the portal session, with its demands."""

    def handle_no_permission(self) -> HttpResponse:
        """Not signed in: check the request first, then sign in and come back.

        ``prompt=none`` gets DOT's ``login_required`` redirect. Otherwise the way back drops
        ``prompt=login`` and ``max_age``: the sign-in about to happen is fresh.
        """
        prompt = set(self.request.GET.get("prompt", "").split())
        if "none" in prompt or "create" in prompt:
            return super().handle_no_permission()
        try:
            self.validate_authorization_request(self.request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        return redirect(flows.fresh_sign_in_url(self.request))

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        application = Application.objects.get(client_id=credentials["client_id"])
        need = flows.authentication_needed(request, request.GET)
        if "none" in set(request.GET.get("prompt", "").split()):
            # OpenID Connect Core §3.1.2.6: no page may be shown, so answer the app.
            if need is not Need.NOTHING:
                return self._silent_error(LoginRequired, credentials, application)
            if not flows.has_consent(request.user, application, scopes):
                return self._silent_error(ConsentRequired, credentials, application)
        elif need is Need.FRESH_SIGN_IN:
            sign_in = flows.fresh_sign_in_url(request)
            logout(request)
            return redirect(sign_in)
        elif need is Need.STEP_UP:
            step_up = flows.step_up_url(request)
            if step_up:
                return redirect(step_up)
        return super().get(request, *args, **kwargs)

    def _silent_error(self, error_class, credentials: dict, application) -> HttpResponse:
        error = error_class(state=credentials.get("state"))
        return self.error_response(
            OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"]), application
        )

    def create_authorization_response(self, request, scopes, credentials, allow):
        """Hands the session's sign-in context to the validator, which keeps it with the code."""
        credentials = {**credentials, "portal_session": flows.portal_session(request)}
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
                "grant_types_supported": ["authorization_code", "refresh_token"],
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


class RPInitiatedLogoutView(dot_views.RPInitiatedLogoutView):
    """RP-initiated logout; a malformed hint or an unknown client gets the error page."""

    def validate_logout_request_user(self, id_token_hint, client_id):
        try:
            return super().validate_logout_request_user(id_token_hint, client_id)
        except (JWException, ValueError, TypeError, KeyError, UnicodeError) as exc:
            # A hint that is not even a JWT of ours (DOT parses it before checking it).
            raise InvalidIDTokenError() from exc

    def get_request_application(self, id_token, client_id):
        try:
            return super().get_request_application(id_token, client_id)
        except Application.DoesNotExist as exc:
            raise InvalidOIDCClientError() from exc


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectTokenView(dot_views.IntrospectTokenView):
    """RFC 7662 for confidential clients, about their own access tokens only.

    DOT's view also accepts public clients and any client's tokens; a relying app has no
    business probing another app's tokens.
    """

    client: Application | None = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
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
