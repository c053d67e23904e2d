"""The OpenID Connect endpoints that relying apps call server to server, straight to their view.

The token, revocation, introspection and UserInfo endpoints, the JWKS and discovery answer a
program, not a person: they read no session, set no cookie, show no page and take no form
with a CSRF token (the POST endpoints are ``csrf_exempt``; the client authenticates itself,
or the access token does). The rest of the middleware chain (session, locale, CSRF, user,
password change, rollout, messages, SAML logout...) only costs them time: a relying app
that sends the browser's cookies along made every code exchange load the session and the user.

This middleware sits right after the ones every response needs (security headers; the
Content-Security-Policy and the 503 for an unreachable Redis, sso/middleware.py) and sends
exactly these paths to their view, after the same input check the chain makes
(sso/request_input.py). Every other path, the authorize and logout endpoints included, takes
the whole chain.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch, get_script_prefix, resolve, reverse
from django.utils import translation
from django.utils.cache import patch_cache_control

from sso.middleware import unavailable_errors, unavailable_response
from sso.request_input import RequestInputMiddleware, UnreadableInput, check_request

# URL names (sso/oidc/urls.py) of the endpoints that no browser session takes part in.
MACHINE_ENDPOINTS = (
    "token",
    "revoke-token",
    "introspect",
    "user-info",
    "jwks-info",
    "oidc-connect-discovery-info",
)


# Of those, the ones whose answers carry no token nor secret: the others are never stored.
PUBLIC_ENDPOINTS = ("jwks-info", "oidc-connect-discovery-info")


def machine_paths(names: tuple[str, ...] = MACHINE_ENDPOINTS) -> frozenset[str]:
    """The paths of ``MACHINE_ENDPOINTS`` as ``request.path_info`` holds them (what the URLconf
    resolves); discovery's with and without its trailing slash.

    ``reverse()`` puts the script prefix in front (the ``SCRIPT_NAME`` of a portal served
    under a sub-path, or ``FORCE_SCRIPT_NAME``), which ``path_info`` never has: the prefix is
    taken off again, so the set is the same under any prefix and the bypass still fires.
    """
    prefix = get_script_prefix()

    def local(path: str) -> str:
        return "/" + path.removeprefix(prefix) if path.startswith(prefix) else path

    paths = {local(reverse(f"oauth2_provider:{name}")) for name in names}
    if "oidc-connect-discovery-info" in names:
        paths.add(local(reverse("oauth2_provider:oidc-connect-discovery-info")) + "/")
    return frozenset(paths)


def no_store(response: HttpResponse) -> HttpResponse:
    """Marks an answer that carries or refuses a token as never to be stored by any cache
    (RFC 6749 §5.1, RFC 7662 §2.2, RFC 6750 §5.3), whatever produced it: the view, DOT's 405,
    the input check's 400 or the 503."""
    if "no-store" not in response.get("Cache-Control", ""):
        patch_cache_control(response, no_store=True)
        response["Pragma"] = "no-cache"
    return response


class MachineEndpointMiddleware:
    """Serves ``MACHINE_ENDPOINTS`` without the rest of the middleware chain."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.paths: frozenset[str] | None = None  # the URLconf is loaded at the first request
        self.public: frozenset[str] = frozenset()
        # Each path's view, resolved at its first request: the same answer every time for the
        # URLconf these paths came from (about 50 µs of URL matching per request otherwise).
        self.matches: dict[str, ResolverMatch] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.paths is None:
            self.paths, self.public = machine_paths(), machine_paths(PUBLIC_ENDPOINTS)
        if request.path_info not in self.paths:
            return self.get_response(request)
        response = self._serve(request)
        return response if request.path_info in self.public else no_store(response)

    def _serve(self, request: HttpRequest) -> HttpResponse:
        # The Host check CommonMiddleware makes for every other path (ALLOWED_HOSTS): Django
        # answers a DisallowedHost with its 400, as there.
        request.get_host()
        try:
            check_request(request)
        except UnreadableInput as error:
            return RequestInputMiddleware.refuse(request, error)
        match = self.matches.get(request.path_info)
        if match is None:
            match = self.matches[request.path_info] = resolve(request.path_info)
        request.resolver_match = match
        # The language of the protocol's few texts; no Accept-Language of the previous
        # request of this thread (LocaleMiddleware does not run here).
        with translation.override(settings.LANGUAGE_CODE):
            try:
                response = match.func(request, *match.args, **match.kwargs)
            except unavailable_errors() as exc:
                return unavailable_response(request, exc)
        return response
