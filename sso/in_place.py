"""A sign-in step's page as the answer to the previous step's form, instead of a redirect to it.

Post/Redirect/Get costs a browser one more round trip per step, and the portal one more
request (middleware, session read, routing) to show a page it could have rendered already.
Keycloak's login actions answer a step's POST with the next step's page the same way. The page
is the one its own URL shows (the view for that URL renders it, as for a GET of it), and it
carries that URL (``data-address`` on ``<body>``, templates/base.html): portal.js puts it in the
address bar with ``history.replaceState``, so a reload or a bookmark asks for the page itself by
GET and never posts the form again. (Without script a reload posts the form again, and
the step answers it as any second submission: the username again, a code already used refused.)
"""

import copy

from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import get_script_prefix, resolve, reverse
from django.utils.datastructures import MultiValueDict

# What the page's request has of its own; any other attribute its view sets (a cookie to send,
# a memo of what it read) is carried back to the request the middleware answers.
_OWN_ATTRIBUTES = frozenset(
    {"method", "META", "path", "path_info", "GET", "_post", "_files", "resolver_match"}
    | {"shown_in_place"}
)
# What CSRF protection records in META while a page is rendered (a token was handed out: the
# cookie is set or renewed by CsrfViewMiddleware's response half, which sees the outer request).
_CSRF_META = ("CSRF_COOKIE", "CSRF_COOKIE_NEEDS_UPDATE")


def show_in_place(request: HttpRequest, url_name: str, **kwargs: object) -> HttpResponse:
    """The page at ``reverse(url_name, kwargs=kwargs)``, rendered by the view of that URL for
    ``request`` as a GET of it would be, to answer ``request`` (a step's POST) with.

    The page shares the request's session, user and messages, so what the POST changed is what
    the page shows, and the session is saved once. Returns whatever the view returns: a
    redirect it answers with (a step that does not apply) is passed on as it is. Raises what
    the view raises, and ``NoReverseMatch`` for an unknown ``url_name``.
    """
    page = _get_request_for(request, reverse(url_name, kwargs=kwargs))
    match = page.resolver_match
    response = match.func(page, *match.args, **match.kwargs)
    _carry_back(page, request)
    return response


def _get_request_for(request: HttpRequest, path: str) -> HttpRequest:
    """A copy of ``request`` that asks for ``path`` by GET, without a query or a body."""
    page = copy.copy(request)
    prefix = get_script_prefix()
    path_info = "/" + path[len(prefix) :] if path.startswith(prefix) else path
    page.method = "GET"
    page.path = path
    page.path_info = path_info
    page.META = {**request.META, "REQUEST_METHOD": "GET", "PATH_INFO": path_info}
    page.META["QUERY_STRING"] = ""
    page.GET = QueryDict()
    page.POST = QueryDict()
    page._files = MultiValueDict()
    page.resolver_match = resolve(path_info)
    page.shown_in_place = True
    return page


def _carry_back(page: HttpRequest, request: HttpRequest) -> None:
    for name, value in vars(page).items():
        if name not in _OWN_ATTRIBUTES:
            setattr(request, name, value)
    for key in _CSRF_META:
        if key in page.META:
            request.META[key] = page.META[key]
