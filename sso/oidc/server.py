"""The oauthlib server behind django-oauth-toolkit, cut down to what the portal offers.

oauthlib's OpenID Connect server knows every grant and response type; a relying app that
names one the portal does not offer (the device code grant, the password grant, the implicit
flow...) must get ``unsupported_grant_type`` or ``unsupported_response_type`` (RFC 6749 §5.2,
§4.1.2.1), not the half-answer of a grant that is wired in but never configured. Discovery
says the same (sso/oidc/views.py).
"""

import secrets
from functools import partial
from urllib.parse import urlparse, urlunparse

from django.http import HttpRequest
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauthlib.common import Request, quote, urlencoded
from oauthlib.oauth2.rfc6749 import utils
from oauthlib.oauth2.rfc6749.endpoints.base import catch_errors_and_unavailability
from oauthlib.openid import Server

from sso.oidc.params import check_authorization_request

GRANT_TYPES = ("authorization_code", "refresh_token")
RESPONSE_TYPES = ("code",)


class PortalRequest(Request):
    """oauthlib's request with its query string parsed once.

    oauthlib parses the URI's query anew each time ``uri_query_params`` or
    ``duplicate_params`` is asked for: five times in one validation of an authorization
    request (once per parameter that must not be repeated), and again in the portal's own
    check (sso/oidc/params.py). Each answer is kept with the URI and body it was computed
    from, and computed again should either change.
    """

    @property
    def uri_query_params(self) -> list[tuple[str, str]]:
        kept = self.__dict__.get("_portal_query")
        if kept is None or kept[0] != self.uri:
            kept = self.__dict__["_portal_query"] = (self.uri, Request.uri_query_params.fget(self))
        return list(kept[1])

    @property
    def duplicate_params(self) -> list[str]:
        kept = self.__dict__.get("_portal_duplicates")
        if kept is None or kept[0] != (self.uri, self.body):
            duplicates = Request.duplicate_params.fget(self)
            kept = self.__dict__["_portal_duplicates"] = ((self.uri, self.body), duplicates)
        return list(kept[1])


def create_authorization_code(request: Request) -> dict:
    """oauthlib's ``create_authorization_code``, the code drawn by one ``secrets`` call: 256
    random bits, URL-safe (43 characters). oauthlib draws 30 characters one by one from
    ``SystemRandom`` (about 180 bits, some 35 µs); the access and refresh tokens are drawn the
    same way already (code_exchange.random_token)."""
    grant = {"code": secrets.token_urlsafe(32)}
    if getattr(request, "state", None):
        grant["state"] = request.state
    return grant


# Where a PortalRequest keeps the answer of its successful validation: (scopes, answer).
_VALIDATED = "_portal_validated"


def _validate_once(validate, request: Request):
    """oauthlib's ``validate_authorization_request`` of a grant, run once per request object.

    oauthlib validates an authorization request again inside ``create_authorization_response``
    (every check, the client's included). When the portal makes the code for the very request
    object this server validated a moment ago, in the same HTTP request, for the same URI and
    with the scopes it was validated for (``PortalServer.create_authorization_response``), the
    answer of that validation stands; anything else is validated as oauthlib does.
    """
    kept = request.__dict__.get(_VALIDATED)
    if kept is not None and kept[0] == list(request.scopes or ()):
        return kept[1]
    answer = validate(request)
    request.__dict__[_VALIDATED] = (list(request.scopes or ()), answer)
    return answer


class PortalServer(Server):
    """oauthlib's OpenID Connect server with only the code flow and refresh tokens."""

    def __init__(self, request_validator, *args, **kwargs) -> None:
        super().__init__(request_validator, *args, **kwargs)
        self._grant_types = {name: self._grant_types[name] for name in GRANT_TYPES}
        self._response_types = {name: self._response_types[name] for name in RESPONSE_TYPES}
        # The OpenID Connect grant proxies its validators to the OAuth 2.0 one it wraps; the
        # plain OAuth 2.0 grant (no openid scope) has its own list.
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            if check_authorization_request not in grant.custom_validators.pre_auth:
                grant.custom_validators.pre_auth.append(check_authorization_request)
            grant.validate_authorization_request = partial(
                _validate_once, grant.validate_authorization_request
            )
            grant.create_authorization_code = create_authorization_code

    # oauthlib's three endpoint methods that the portal calls, as oauthlib writes them
    # (AuthorizationEndpoint, TokenEndpoint), with PortalRequest in place of its Request.

    @catch_errors_and_unavailability
    def create_authorization_response(
        self, uri, http_method="GET", body=None, headers=None, scopes=None, credentials=None
    ):
        credentials = credentials or {}
        validated = credentials.get("request")  # DOT hands back what validation answered
        if (
            isinstance(validated, PortalRequest)
            and _VALIDATED in validated.__dict__
            and (validated.uri, validated.http_method) == (uri, http_method)
            and not validated.body  # DOT validates a GET with an empty body, then passes none
            and not body
        ):
            # The request this server validated for this URI (the authorize view's, moments
            # ago): made into the code as it stands, not parsed and validated a second time
            # (_validate_once), unless the scopes differ from those it was validated for.
            request = validated
        else:
            request = PortalRequest(uri, http_method=http_method, body=body, headers=headers)
        request.scopes = scopes
        request.user = None
        for name, value in credentials.items():
            if value is not request:
                setattr(request, name, value)
        handler = self.response_types.get(request.response_type, self.default_response_type_handler)
        return handler.create_authorization_response(request, self.default_token_type)

    @catch_errors_and_unavailability
    def validate_authorization_request(self, uri, http_method="GET", body=None, headers=None):
        request = PortalRequest(uri, http_method=http_method, body=body, headers=headers)
        request.scopes = utils.scope_to_list(request.scope)
        handler = self.response_types.get(request.response_type, self.default_response_type_handler)
        return handler.validate_authorization_request(request)

    @catch_errors_and_unavailability
    def create_token_response(
        self,
        uri,
        http_method="POST",
        body=None,
        headers=None,
        credentials=None,
        grant_type_for_scope=None,
        claims=None,
    ):
        request = PortalRequest(uri, http_method=http_method, body=body, headers=headers)
        self.validate_token_request(request)
        request.scopes = utils.scope_to_list(request.scope)
        request.extra_credentials = credentials
        if grant_type_for_scope:
            request.grant_type = grant_type_for_scope
        if claims:
            request.claims = claims
        handler = self.grant_types.get(request.grant_type, self.default_grant_type_handler)
        return handler.create_token_response(request, self.default_token_type)


# Where PortalOAuthLibCore keeps a request's escaped URI: ((path, query string), URI).
_ESCAPED_URI = "_portal_escaped_uri"


class PortalOAuthLibCore(OAuthLibCore):
    """DOT's bridge from Django to oauthlib (``OAUTH2_BACKEND_CLASS``), with the URI it hands
    oauthlib worked out once per request.

    DOT escapes, in the query string, the characters Django leaves as they are and oauthlib
    refuses, by a scan of the query one character at a time, each time it hands a request to
    oauthlib: twice for an authorize request (validation, then the code), once for a token
    request. The URI is the same text as DOT's (tests/oidc/test_oauthlib_core.py): a set of
    the query's characters does the scan, and the answer is kept with the path and query
    string it came from for the rest of the request.
    """

    def _get_escaped_full_path(self, request: HttpRequest) -> str:
        key = (request.path, request.META.get("QUERY_STRING", ""))
        kept = request.__dict__.get(_ESCAPED_URI)
        if kept is not None and kept[0] == key:
            return kept[1]
        parsed = list(urlparse(request.get_full_path()))
        for character in set(parsed[4]).difference(urlencoded):
            parsed[4] = parsed[4].replace(character, quote(character, safe=b""))
        uri = urlunparse(parsed)
        request.__dict__[_ESCAPED_URI] = (key, uri)
        return uri
