"""Views imported at their first request, for the URL maps of protocols with heavy libraries.

A gunicorn worker imports the whole URL map when it starts. A view module that imports pysaml2
at the top would cost every worker that library's memory, although most workers serve sign-ins
and never a SAML message. ``lazy_view("sso.saml.views.sso_post")`` stands in for the view: the
URL map and ``reverse()`` work without importing it, and its first request (or the first look at
one of its markers, such as ``csrf_exempt`` by CsrfViewMiddleware) imports it. The path names
a view function, or a class-based view with the arguments of its ``as_view()``; synchronous
views only (Django tells a coroutine view by the function itself, which this stand-in hides).

(A dotted module name in place of include() is not lazy enough: the first reverse() of any name
populates every included URL map, namespaced or not.)
"""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string


class LazyView:
    """A view known by its dotted path until it is needed."""

    def __init__(self, dotted_path: str, initkwargs: dict[str, Any] | None = None) -> None:
        module, _, name = dotted_path.rpartition(".")
        # What the URL resolver reads to name a view (URLPattern.lookup_str, ResolverMatch).
        self.__module__ = module
        self.__name__ = self.__qualname__ = name
        self._dotted_path = dotted_path
        self._initkwargs = initkwargs or {}
        self._view: Callable[..., HttpResponse] | None = None

    def _load(self) -> Callable[..., HttpResponse]:
        if self._view is None:
            view = import_string(self._dotted_path)
            self._view = view.as_view(**self._initkwargs) if isinstance(view, type) else view
        return self._view

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._load()(request, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # Only what the instance lacks: the markers decorators set on the view (csrf_exempt,
        # _non_atomic_requests ...), read when a request reaches it. The resolver asks every
        # view for ``view_class`` when it first reverses a name: answering without the import
        # keeps the module unloaded, and the resolver then names the view by its dotted path.
        if name == "view_class" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._load(), name)


def lazy_view(dotted_path: str, **initkwargs: Any) -> LazyView:
    """The view at ``dotted_path`` (a class-based one made with ``as_view(**initkwargs)``),
    imported at its first request."""
    return LazyView(dotted_path, initkwargs)
