"""What a relying app may send the provider's endpoints, checked before anything is stored.

django-oauth-toolkit and oauthlib take most parameters as they come; the database then refuses
a NUL byte or a value longer than its column with an error 500. These rules turn such input
into the protocol's own error instead:

- at the authorize endpoint, an ``invalid_request`` (or ``request_not_supported``,
  ``request_uri_not_supported``) sent back to the app's registered redirect URI, run by
  oauthlib as a pre-authorization validator (sso/oidc/server.py), after the client and its
  redirect URI were found genuine;
- a malformed ``client_id`` is an unknown client (PortalOAuth2Validator);
- at the token, revocation, introspection and UserInfo endpoints, ``invalid_request`` with
  HTTP 400 (``refused_parameters`` below); at RP-initiated logout, the error page.

A parameter given twice is refused at every endpoint alike (RFC 6749 §3.1), by the portal's
one rule for it (sso/request_input.py, ``repeated_parameters``).
"""

import json
import re
from collections.abc import Iterable

from django.http import HttpRequest
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749.errors import InvalidRequestError
from oauthlib.openid.connect.core.exceptions import RequestNotSupported, RequestURINotSupported

from sso.request_input import repeated_names, repeated_parameters

# C0 controls and DEL: no OAuth or OpenID Connect parameter carries them (RFC 6749 Appendix A
# allows %x20-7E, or printable Unicode for scope and state).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# RFC 7636 §4.1/§4.2: code_challenge is 43 to 128 unreserved characters (S256 gives 43).
_CODE_CHALLENGE = re.compile(r"[A-Za-z0-9._~-]{43,128}")
# Longest value accepted for any parameter, in characters: generous for state, claims and
# id_token_hint, small enough that nothing is stored or logged unbounded.
MAX_VALUE_LENGTH = 4096
# Limits of the columns the authorize request is stored in (DOT's Grant model).
_COLUMN_LIMITS = {"nonce": 255, "client_id": 100}


def is_clean(value: object, max_length: int = MAX_VALUE_LENGTH) -> bool:
    """Whether ``value`` is a string without control characters and at most ``max_length``
    characters long."""
    return isinstance(value, str) and len(value) <= max_length and not _CONTROL.search(value)


def is_client_id(value: object) -> bool:
    """Whether ``value`` could be a registered client id (else: an unknown client)."""
    return is_clean(value, _COLUMN_LIMITS["client_id"]) and bool(value)


def bad_parameter(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first parameter in ``pairs`` that no endpoint accepts (a control
    character, or longer than MAX_VALUE_LENGTH), or None when all are acceptable."""
    for name, value in pairs:
        if not is_clean(name) or not is_clean(value):
            return name if is_clean(name) else "?"
    return None


def refused_parameters(request: HttpRequest) -> str | None:
    """Why the parameters of ``request`` (query string and form body) are refused, as the
    ``error_description`` of an ``invalid_request``; None when they are acceptable.

    Refused: a parameter given more than once (RFC 6749 §3.1), or one that holds a control
    character or an overlong value (``bad_parameter``).
    """
    repeated = repeated_parameters(request)
    if repeated:
        return _given_twice(repeated)
    pairs = [(k, v) for k in request.GET for v in request.GET.getlist(k)]
    if request.method == "POST":
        pairs += [(k, v) for k in request.POST for v in request.POST.getlist(k)]
    bad = bad_parameter(pairs)
    if bad is not None:
        return f"The {bad} parameter holds characters or a length not allowed."
    return None


def _given_twice(names: list[str]) -> str:
    shown = names[0] if is_clean(names[0], 100) else "?"
    return f"The {shown} parameter is given more than once."


def check_authorization_request(request: OAuthlibRequest) -> dict:
    """oauthlib pre-authorization validator: raises the OAuth error the app should get.

    Runs after oauthlib found the client and its redirect URI genuine, so every error here is
    sent back to the app (RFC 6749 §4.1.2.1) with its ``state``. Returns no extra request
    info (oauthlib's validator contract).
    """
    sent = request.uri_query_params + list(request.decoded_body or [])
    # RFC 6749 §3.1. oauthlib itself refuses a repeated client_id, response_type,
    # redirect_uri, scope or state as a fatal error (no client to answer yet); every other
    # one (nonce, prompt, max_age, code_challenge...) is answered to the client here.
    repeated = repeated_names(name for name, _value in request.uri_query_params)
    if repeated:
        raise InvalidRequestError(description=_given_twice(repeated), request=request)
    names = {name for name, _value in sent}
    if "request_uri" in names:
        # OpenID Connect Core §6.2; discovery says request_uri_parameter_supported false.
        raise RequestURINotSupported(request=request)
    if "request" in names:
        # OpenID Connect Core §6.1; discovery says request_parameter_supported false.
        raise RequestNotSupported(request=request)
    bad = bad_parameter(sent)
    if bad is not None:
        raise InvalidRequestError(
            description=f"The {bad} parameter holds characters or a length not allowed.",
            request=request,
        )
    for name, limit in _COLUMN_LIMITS.items():
        value = getattr(request, name, None)
        if value is not None and len(value) > limit:
            raise InvalidRequestError(
                description=f"The {name} parameter is longer than {limit} characters.",
                request=request,
            )
    challenge = request.code_challenge
    if challenge is not None and not _CODE_CHALLENGE.fullmatch(challenge):
        raise InvalidRequestError(
            description="code_challenge must be 43 to 128 base64url characters (RFC 7636).",
            request=request,
        )
    max_age = request.max_age
    if max_age is not None and not (isinstance(max_age, str) and max_age.isdigit()):
        # OpenID Connect Core §3.1.2.1: a number of seconds, zero or more.
        raise InvalidRequestError(
            description="max_age must be a whole number of seconds.", request=request
        )
    if request.claims is not None and not _is_json_object(request.claims):
        raise InvalidRequestError(
            description="The claims parameter must be a JSON object.", request=request
        )
    return {}


def _is_json_object(value: object) -> bool:
    """A JSON object, or JSON ``null``: DOT's consent form sends back ``null`` for a request
    that had no claims parameter."""
    if isinstance(value, dict):
        return True
    try:
        parsed = json.loads(value)  # type: ignore[arg-type]
        return parsed is None or isinstance(parsed, dict)
    except (TypeError, ValueError):
        return False
