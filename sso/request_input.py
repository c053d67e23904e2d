"""Refuses, before any view runs, what a client sends that no view of the portal can read.

Django parses a form body lazily, the first time ``request.POST`` is read, and some of its
refusals are not 400s: a form body declared in another charset than UTF-8 raises
``BadRequest`` from ``CsrfViewMiddleware``, and the 400 handler (``requires_csrf_token``) reads
``request.POST`` again, so the client got a 500 and the log a traceback. Here the body is
parsed once, in one place, and a request that cannot be read gets one clear 400 and one log
line without a traceback (docs/security.md, "Input handling"):

- a declared charset other than UTF-8 (RFC 8259 §8.1 for JSON; the WHATWG URL standard's
  ``application/x-www-form-urlencoded`` is UTF-8 only);
- a form body that Django cannot parse (bad multipart boundary, too large, too many fields);
- a query string longer than ``SSO_MAX_QUERY_CHARS`` (414), or with a ``%`` that starts no
  percent-escape;
- a form field, query parameter or path that is not UTF-8, holds a NUL (no text column of
  PostgreSQL can store one, and no form of the portal asks for one) or is longer than
  ``SSO_MAX_FIELD_CHARS``.

Protocol endpoints (``SSO_PROTOCOL_PATH_PREFIXES``: OpenID Connect, SAML, SCIM) answer bad
parameters with their protocol's own error (RFC 6749 §4.1.2.1 sends an ``invalid_request``
back to the client), so only a body that cannot be parsed at all is refused here for them.
The rule they share on parameters given twice is here too (``repeated_parameters``).
"""

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

BAD_REQUEST = 400
TOO_LARGE = 413
URI_TOO_LONG = 414
URLENCODED = "application/x-www-form-urlencoded"
FORM_TYPES = (URLENCODED, "multipart/form-data")
BODYLESS_METHODS = ("GET", "HEAD", "OPTIONS")
UTF8 = "utf-8"
_BROKEN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
SCIM_PATH_PREFIX = "/scim/"  # sso/urls.py
SCIM_CONTENT_TYPE = "application/scim+json"
SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
# RFC 8707 §2: a client names each resource it wants a token for in a ``resource`` parameter
# of its own, so that one may repeat. No other parameter of the OpenID Connect or SAML
# endpoints may (RFC 6749 §3.1: "MUST NOT be included more than once").
REPEATABLE_PARAMETERS = frozenset({"resource"})


class UnreadableInput(Exception):
    """A request the portal refuses to read; ``reason`` is a short, fixed text for the log."""

    def __init__(self, reason: str, message: str, status: int = BAD_REQUEST) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.status = status


def _bad_charset() -> UnreadableInput:
    return UnreadableInput("charset", _("Send the request encoded as UTF-8."))


def _bad_body() -> UnreadableInput:
    return UnreadableInput("body", _("The form data could not be read."))


def _bad_field() -> UnreadableInput:
    return UnreadableInput("field", _("A field holds characters or a length the portal refuses."))


def is_protocol_path(path: str) -> bool:
    """True for the endpoints of a protocol with its own error answers (OIDC, SAML, SCIM)."""
    return any(path.startswith(prefix) for prefix in settings.SSO_PROTOCOL_PATH_PREFIXES)


def check_charset(request: HttpRequest) -> None:
    """Refuses a body declared in any charset but UTF-8 (absent means UTF-8)."""
    charset = request.content_params.get("charset") if request.content_type else None
    if charset is not None and charset.strip().lower() != UTF8:
        raise _bad_charset()


def check_values(pairs: Iterable[tuple[str, str]]) -> None:
    """Refuses a field name or value with a NUL or longer than ``SSO_MAX_FIELD_CHARS``."""
    limit = settings.SSO_MAX_FIELD_CHARS
    for key, value in pairs:
        for text in (key, value):
            if "\x00" in text or len(text) > limit:
                raise _bad_field()


def strict_pairs(encoded: str) -> list[tuple[str, str]]:
    """The fields of a URL-encoded string, refusing percent-escapes that are not UTF-8.

    Django replaces such bytes with U+FFFD; a username or a code that arrives changed is
    worse than a refusal.
    """
    try:
        return parse_qsl(
            encoded,
            keep_blank_values=True,
            encoding=UTF8,
            errors="strict",
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_field() from exc


def repeated_names(names: Iterable[str]) -> list[str]:
    """The names that occur more than once in ``names`` (one per parameter sent), sorted,
    but for ``REPEATABLE_PARAMETERS``.

    RFC 6749 §3.1 (and OpenID Connect Core, which follows it): request parameters MUST NOT be
    included more than once. A repeated one is ambiguous: Django and oauthlib read the last
    value, a proxy, a signature check (SAML Bindings §3.4.4.1 signs the query as sent) or
    another reader may take the first, so each would act on a request the other never saw.
    """
    counts = Counter(names)
    return sorted(n for n, c in counts.items() if c > 1 and n not in REPEATABLE_PARAMETERS)


def names_sent(params: QueryDict) -> Iterator[str]:
    """Each name of ``params`` (``request.GET`` or ``request.POST``) once per value sent."""
    for name, values in params.lists():
        for _value in values:
            yield name


def repeated_parameters(request: HttpRequest) -> list[str]:
    """The parameters ``request`` gives more than once in its query string, or more than once
    in its form body (``repeated_names``); empty when none is.

    The two are counted apart: a form of the portal posts its hidden fields back to the
    address that carried them (RP-initiated logout's prompt), and each endpoint reads one of
    the two, never both (oauthlib refuses a query string on a POST to the token, revocation
    and introspection endpoints).
    """
    repeated = set(repeated_names(names_sent(request.GET)))
    if request.method == "POST":
        repeated.update(repeated_names(names_sent(request.POST)))
    return sorted(repeated)


def check_length(request: HttpRequest) -> None:
    """Refuses a declared body length that is not a number or above the in-memory limit."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError as exc:
        raise _bad_body() from exc
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length < 0 or (limit is not None and length > limit):
        raise UnreadableInput("size", _("The request is too large."), status=TOO_LARGE)


def read_form(request: HttpRequest) -> list[tuple[str, str]]:
    """Parses a POSTed form body once (``request.POST``, ``request.FILES``), or refuses it.

    Returns the fields as sent (name, value), file names included; empty for other bodies.
    """
    if request.method != "POST" or request.content_type not in FORM_TYPES:
        return []
    try:
        if request.content_type == URLENCODED:
            encoded = request.body.decode(UTF8)
            if _BROKEN_ESCAPE.search(encoded):
                raise _bad_field()
            fields = strict_pairs(encoded)
        request.POST  # noqa: B018 - parse now, where a failure is answered as a 400
        request.FILES  # noqa: B018
    except UnicodeDecodeError as exc:
        raise _bad_field() from exc
    except (BadRequest, MultiPartParserError, SuspiciousOperation, ValueError) as exc:
        # Nothing of a body that could not be parsed may be read later (Django's own rule).
        request._mark_post_parse_error()
        raise _bad_body() from exc
    if request.content_type == URLENCODED:
        return fields
    files = [(name, upload.name or "") for name, upload in request.FILES.items()]
    return list(request.POST.items()) + files


def check_query(query: str, *, protocol: bool) -> None:
    """Refuses a ``%`` that does not start a percent-escape (RFC 3986 §2.1; oauthlib fails on
    it) and, but at a protocol endpoint (a SAML request may be long, and SAML answers it),
    a query string longer than ``SSO_MAX_QUERY_CHARS`` (414, RFC 9110 §15.5.15: the redirect
    to sign-in would carry it, past what Django lets a redirect be)."""
    if not protocol and len(query) > settings.SSO_MAX_QUERY_CHARS:
        raise UnreadableInput("query", _("The address is too long."), status=URI_TOO_LONG)
    if _BROKEN_ESCAPE.search(query):
        raise _bad_field()


def check_request(request: HttpRequest) -> None:
    """Raises UnreadableInput for a request no view of the portal could read correctly."""
    protocol = is_protocol_path(request.path)
    check_query(request.META.get("QUERY_STRING", ""), protocol=protocol)
    has_body = request.method not in BODYLESS_METHODS or request.META.get("CONTENT_LENGTH")
    # A protocol reads its own JSON bodies (and answers in its own shape, e.g. SCIM's 413);
    # a form body is parsed by Django for every view, so it is checked here for all.
    if has_body and (request.content_type in FORM_TYPES or not protocol):
        check_length(request)
        check_charset(request)
    fields = read_form(request)
    if protocol:
        return
    check_values([("path", request.path)])
    check_values(fields)
    query = request.META.get("QUERY_STRING", "")
    if query:
        check_values(strict_pairs(query))


def speaks_json(request: HttpRequest) -> bool:
    """Whether ``request``'s client reads JSON answers: it sent JSON or asked for it (the
    passkey steps' script, an API client)."""
    return "json" in request.headers.get("Accept", "") or "json" in request.content_type


def bad_request_response(request: HttpRequest, error: UnreadableInput) -> HttpResponse:
    """The 400 answer: SCIM's error at a SCIM endpoint (RFC 7644 §3.12, §8.1), a JSON error
    (RFC 6749 §5.2's shape) for another protocol endpoint or a client that speaks JSON, else
    the portal's page."""
    response: HttpResponse
    if request.path_info.startswith(SCIM_PATH_PREFIX):
        body = {
            "schemas": [SCIM_ERROR_SCHEMA],
            "status": str(error.status),
            "detail": error.message,
        }
        response = JsonResponse(body, status=error.status, content_type=SCIM_CONTENT_TYPE)
    elif speaks_json(request) or is_protocol_path(request.path):
        response = JsonResponse(
            {"error": "invalid_request", "error_description": error.message}, status=error.status
        )
    else:
        page = loader.render_to_string("400.html", {"reason": error.message}, request=request)
        response = HttpResponse(page, status=error.status)
    add_never_cache_headers(response)
    return response


class RequestInputMiddleware:
    """Answers 400, before CSRF checks and views, for a request that cannot be read.

    Placed after ``LocaleMiddleware`` so that the page speaks the visitor's language, and
    before ``CsrfViewMiddleware``, the first to read ``request.POST``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_request(request)
        except UnreadableInput as error:
            return self.refuse(request, error)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A filter in the address that names no field of an admin list (Django admin raises
        ``IncorrectLookupParameters`` from every view that builds a change list: its own list
        answers it, an export view built on the list does not) is the client's mistake."""
        if isinstance(exception, IncorrectLookupParameters):
            message = _("The filter in the address is not understood.")
            return self.refuse(request, UnreadableInput("filter", message))
        return None

    @staticmethod
    def refuse(request: HttpRequest, error: UnreadableInput) -> HttpResponse:
        # One line, no traceback: the client's mistake is not the portal's fault.
        logger.warning(
            "%s for %s %r: unreadable %s",
            error.status,
            request.method[:16],
            request.path[:200],
            error.reason,
        )
        return bad_request_response(request, error)


class NoTracebackForClientErrors(logging.Filter):
    """Drops the traceback from log records of requests refused as the client's mistake.

    Django logs a 4xx raised as an exception (``BadRequest``, a ``SuspiciousOperation`` such as
    an admin ``_to_field`` that is not allowed) with its traceback. That is the client's input,
    not a fault of the portal: one line says enough, and a page of traceback per hostile
    request buries the real errors (docs/security.md, "Input handling"). A 5xx keeps it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        client_error = record.name.startswith("django.security") or (
            status is not None and 400 <= status < 500
        )
        if client_error and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
