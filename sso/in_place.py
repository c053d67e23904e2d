"""A sign-in step's page as the answer to the previous step's form, instead of a redirect to it.

Post/Redirect/Get costs a browser one more round trip per step, and the portal one more
request (middleware, session read, routing) to show a page it could have rendered already.
Keycloak's login actions answer a step's POST with the next step's page the same way. The page
is the one its own URL shows (the view for that URL renders it, as for a GET of it), and it
carries that URL (``data-address`` on ``<body>``, templates/base.html): portal.js puts it in the
address bar with ``history.replaceState``, so a reload or a bookmark asks for the page itself by
GET and never posts the form again. (Without script a reload posts the form again, and
the step answers it as any second submission: the username again, a code already used refused,
Confirm and Continue of a finished sign-in leads Home.) The last step, Confirm and Continue (or
Sign in, without a second factor), is answered with Home the same way; a relying app's
authorize is still a redirect.
"""

import copy
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import Resolver404, ResolverMatch, get_script_prefix, resolve
from django.utils.datastructures import MultiValueDict

# What the page's request has of its own; any other attribute its view sets (a cookie to send,
# a memo of what it read) is carried back to the request the middleware answers.
_OWN_ATTRIBUTES = frozenset(
    {"method", "META", "path", "path_info", "GET", "_post", "_files", "resolver_match"}
    | {"shown_in_place"}
)
# What a page meets before its view in the middleware besides CSRF protection (the password
# change and MFA rollout gates of a signed-in person: accounts.middleware.page_gates), added
# by the app that has them in AppConfig.ready. A page shown in place meets them too: each
# takes the page's request and returns None to go on, or the response that answers instead.
PAGE_GATES: list[Callable[[HttpRequest], HttpResponse | None]] = []
# What CSRF protection records in META while a page is rendered (a token was handed out: the
# cookie is set or renewed by CsrfViewMiddleware's response half, which sees the outer request).
_CSRF_META = ("CSRF_COOKIE", "CSRF_COOKIE_NEEDS_UPDATE")


def in_place_step(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Marks ``view`` as a step's page that ``show_in_place`` may render to answer the previous
    step's POST (its GET must change nothing the POST has not). Returns ``view``."""
    view.in_place_step = True  # type: ignore[attr-defined]
    return view


def is_shown_in_place(request: HttpRequest) -> bool:
    """Whether ``request`` is the GET of a page that ``show_in_place`` renders to answer a
    step's POST (templates/base.html then gives the page its address)."""
    return getattr(request, "shown_in_place", False)


def show_in_place(request: HttpRequest, url: str) -> HttpResponse:
    """Answers ``request`` (a step's POST) with the page at ``url`` (a path of this portal, as
    ``reverse`` gives it), rendered by the view of that path as a GET of it would be; a
    redirect to ``url`` when its view is not marked with ``in_place_step`` (a relying app's
    authorize, anything else but the sign-in's pages and Home).

    The page shares the request's session, user and messages, so what the POST changed is what
    the page shows, and the session is saved once. It meets the gates a GET of it would meet
    (``PAGE_GATES``): a person who must change their password or set up a second factor is
    sent there, not shown Home. Returns whatever the view returns: a
    redirect it answers with (a step that does not apply) is passed on as it is. Raises what
    the view raises.
    """
    path, _, query = url.partition("?")
    prefix = get_script_prefix()
    if not path.startswith(prefix):
        return redirect(url)
    path_info = "/" + path[len(prefix) :]
    try:
        match = resolve(path_info)
    except Resolver404:
        return redirect(url)
    if not getattr(match.func, "in_place_step", False):
        return redirect(url)
    page = _get_request_for(request, path, path_info, query, match)
    response = _gated(page) or match.func(page, *match.args, **match.kwargs)
    _carry_back(page, request)
    return response


def _gated(page: HttpRequest) -> HttpResponse | None:
    for gate in PAGE_GATES:
        refused = gate(page)
        if refused is not None:
            return refused
    return None


def _get_request_for(
    request: HttpRequest, path: str, path_info: str, query: str, match: ResolverMatch
) -> HttpRequest:
    """A copy of ``request`` that asks for ``path?query`` (``path_info`` within the script
    prefix) by GET, without a body."""
    page = copy.copy(request)
    page.method = "GET"
    page.path = path
    page.path_info = path_info
    page.META = {**request.META, "REQUEST_METHOD": "GET", "PATH_INFO": path_info}
    page.META["QUERY_STRING"] = query
    page.GET = QueryDict(query)
    page.POST = QueryDict()
    page._files = MultiValueDict()
    page.resolver_match = match
    page.shown_in_place = True
    return page


def _carry_back(page: HttpRequest, request: HttpRequest) -> None:
    for name, value in vars(page).items():
        if name not in _OWN_ATTRIBUTES:
            setattr(request, name, value)
    for key in _CSRF_META:
        if key in page.META:
            request.META[key] = page.META[key]
