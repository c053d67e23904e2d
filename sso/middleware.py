"""The portal's edge: response headers that Django's SecurityMiddleware does not set, the
503 page shown while Redis or the Celery broker is out of reach, and development's move to
``localhost`` (``PortalMiddleware``); and Django's messages with their storage built only for
a request that uses them (``MessageMiddleware``)."""

import functools
import ipaddress
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.contrib.messages.storage import default_storage
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.request import split_domain_port
from django.template import loader
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject, empty

from sso import csrf
from sso.oidc.csp import with_relying_app_origins

logger = logging.getLogger(__name__)


# The errors of a cache or broker that cannot be reached: Redis (the cache, the rate-limit
# counters, sessions) and kombu (Celery's broker, when a code mail is queued). Imported lazily
# so that a deployment without redis or Celery installed still loads this module.
@functools.cache
def unavailable_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = []
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        pass
    try:
        from kombu.exceptions import OperationalError as BrokerError

        errors.append(BrokerError)
    except ImportError:  # pragma: no cover - kombu comes with Celery
        pass
    return tuple(errors)


RETRY_AFTER_SECONDS = 5
METHOD_NOT_ALLOWED = 405


def unavailable_response(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """The "try again" page (503, ``Retry-After``), and one log line naming the service."""
    logger.warning(
        "503 for %s %s: %s unavailable (%s)",
        request.method,
        request.path,
        type(exception).__module__.split(".")[0],
        type(exception).__name__,
    )
    response = HttpResponse(
        loader.render_to_string("503.html"), status=503, content_type="text/html"
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


class PortalMiddleware:
    """What every answer of the portal gets at its edge, in one middleware (one layer less
    per request for each rule it holds):

    - **Content-Security-Policy.** Django 5.2 has no CSP support of its own (it arrives in
      6.0), and the policy is one fixed string: no inline script or style anywhere, so no
      nonces are needed. Only ``form-action`` grows, by the registered relying apps' origins
      (sso/oidc/csp.py), and only on pages: a redirect or a JSON answer holds no form, so it
      gets the fixed policy without the lookup.
    - **503 "try again"** when Redis or the Celery broker is out of reach. Rate limits live in
      Redis: without them a password step must not run at all, and an error 500 with a stack
      trace in the log for each user helps nobody. The page says to try again and
      ``Retry-After`` tells clients when; once Redis is back the next request simply works
      (redis-py reconnects on its own). Only exceptions raised by views reach
      ``process_exception``, which is where the cache and the broker are used; the session
      middleware (sso/sessions.py) answers the same page for a session it cannot read or save.
    - **Development on ``localhost``.** With ``DEBUG``, a visit by IP address (``127.0.0.1``,
      ``[::1]``) is redirected to the same path and query on ``localhost``: WebAuthn accepts
      only a domain name as the Relying Party ID (WebAuthn L3 §5.1.3, "an IP address is not a
      valid domain"), so passkeys cannot work at ``http://127.0.0.1:8000``; ``http://localhost``
      is a secure context and the development RP ID. Only GET and HEAD are redirected: a form
      posted to the IP address keeps working. Off in production, where ``ALLOWED_HOSTS``
      names the portal's domain.
    """

    RETRY_AFTER_SECONDS = RETRY_AFTER_SECONDS

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.policy = settings.SSO_CONTENT_SECURITY_POLICY
        csrf.install()  # Django's CSRF tokens, drawn in one system call each
        self.errors = unavailable_errors()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Django leaves the last request's language active in the thread: what answers before
        # LocaleMiddleware (the input check at the machine endpoints, the session's 503) would
        # speak the previous person's language.
        translation.activate(settings.LANGUAGE_CODE)
        target = ""
        if settings.DEBUG and request.method in ("GET", "HEAD"):
            target = localhost_address(request)
        # The move to localhost gets the policy too: every answer carries the same headers.
        response = HttpResponseRedirect(target) if target else self.get_response(request)
        if response.status_code == METHOD_NOT_ALLOWED and request.method == "GET":
            response = form_only_page(request, response)
        if self.policy and "Content-Security-Policy" not in response:
            is_page = response.get("Content-Type", "").startswith("text/html") and not (
                300 <= response.status_code < 400
            )
            policy = with_relying_app_origins(self.policy) if is_page else self.policy
            response["Content-Security-Policy"] = policy
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self.errors or not isinstance(exception, self.errors):
            return None
        return unavailable_response(request, exception)


def form_only_page(request: HttpRequest, refused: HttpResponse) -> HttpResponse:
    """A GET of an address that takes only a form, answered by Django's empty 405 (a reload of
    the page that answered a form there, which portal.js makes a GET; a bookmark): the same
    status and ``Allow``, with a page that says so. An answer with a body of its own (the JSON
    endpoints') is kept, and so is the answer of an endpoint that no person's browser session
    takes part in (sso.oidc.middleware: no session, no page)."""
    if refused.content or not hasattr(request, "session"):
        return refused
    response = HttpResponse(
        loader.render_to_string("405.html", request=request),
        status=METHOD_NOT_ALLOWED,
        content_type="text/html",
    )
    response["Allow"] = refused["Allow"]
    add_never_cache_headers(response)
    return response


def localhost_address(request: HttpRequest) -> str:
    """The URL of ``request`` on ``localhost`` (same scheme, port, path and query) when it was
    made to a loopback IP address; '' otherwise."""
    name, port = split_domain_port(request.get_host())
    try:
        loopback = ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return ""
    if not loopback:
        return ""
    netloc = f"localhost:{port}" if port else "localhost"
    return f"{request.scheme}://{netloc}{request.get_full_path()}"


class _LazyMessageStorage(SimpleLazyObject):
    """``request._messages``: Django's message storage, built on first use.

    Listing the messages (base.html does on every page) builds it only when there can be
    some: none was added during this request (that would have built it) and none is stored
    for the browser, in the cookie or the session of Django's default ``FallbackStorage``,
    so the list is empty, as the storage would have found it. Listing an empty storage
    changes nothing for the response either."""

    def __init__(self, request: HttpRequest) -> None:
        self.__dict__["_request"] = request  # beside the wrapped storage, not in it
        super().__init__(lambda: default_storage(request))

    def _none_stored(self) -> bool:
        if self._wrapped is not empty:
            return False
        request = self.__dict__["_request"]
        if settings.MESSAGE_STORAGE != "django.contrib.messages.storage.fallback.FallbackStorage":
            return False
        return CookieStorage.cookie_name not in request.COOKIES and (
            SessionStorage.session_key not in getattr(request, "session", {})
        )

    def __iter__(self) -> Iterator[Any]:
        return iter(()) if self._none_stored() else iter(self._setup_and_get())

    def __len__(self) -> int:
        return 0 if self._none_stored() else len(self._setup_and_get())

    def __bool__(self) -> bool:
        return False if self._none_stored() else bool(self._setup_and_get())

    def _setup_and_get(self) -> Any:
        if self._wrapped is empty:
            self._setup()
        return self._wrapped


class MessageMiddleware(DjangoMessageMiddleware):
    """Django's ``MessageMiddleware``, building the message storage (Django's
    ``MESSAGE_STORAGE``: its cookie signer and its session part) only when the request uses it.

    Most requests never do: a redirect after a form, a JSON answer, a 404. A view that adds a
    message (``messages.success``), and a page whose template lists them (base.html), build it
    on their first touch, and the response then stores what is left exactly as Django's
    middleware does, so a message added before a redirect is shown on the next page. A storage
    never built was never read nor added to, and Django's ``update`` stores nothing for such a
    storage either.
    """

    def process_request(self, request: HttpRequest) -> None:
        request._messages = _LazyMessageStorage(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        storage = getattr(request, "_messages", None)
        if type(storage) is _LazyMessageStorage and storage._wrapped is empty:
            return response  # never used by this request: nothing to store
        return super().process_response(request, response)
