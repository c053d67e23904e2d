"""Django's ``LocaleMiddleware`` without the work a portal without ``i18n_patterns`` never needs.

Django's middleware looks for a language prefix in the path twice per request and works out
the visitor's language from the language cookie and ``Accept-Language`` anew each time. The
portal's URLs carry no language prefix (sso/urls.py has no ``i18n_patterns``), so the path is
not looked at, and the language chosen for a (cookie, ``Accept-Language``) pair, by Django's
own ``get_language_from_request``, is remembered for the next request that sends the same
pair. With a language prefix in the URLconf, Django's middleware runs unchanged.
"""

import functools
from types import SimpleNamespace

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers

# Settings the language of a request depends on.
_LANGUAGE_SETTINGS = {"LANGUAGES", "LANGUAGE_CODE", "LANGUAGE_COOKIE_NAME", "LOCALE_PATHS"}


@functools.lru_cache(maxsize=256)  # bounded: the header is the client's to vary
def language_for(cookie: str | None, accept_language: str) -> str:
    """The language Django's ``get_language_from_request`` picks for a request with this
    language cookie (None: none sent) and ``Accept-Language`` header."""
    cookies = {} if cookie is None else {settings.LANGUAGE_COOKIE_NAME: cookie}
    request = SimpleNamespace(COOKIES=cookies, META={"HTTP_ACCEPT_LANGUAGE": accept_language})
    return translation.get_language_from_request(request, check_path=False)


@receiver(setting_changed)
def _forget_languages(*, setting: str, **kwargs: object) -> None:
    if setting in _LANGUAGE_SETTINGS:
        language_for.cache_clear()


def _uses_language_prefix(request: HttpRequest) -> bool:
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    return is_language_prefix_patterns_used(urlconf)[0]  # cached by Django


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Activates the visitor's language; ``Vary: Accept-Language`` and ``Content-Language``
    on the response, as Django's does without language prefixes."""

    def process_request(self, request: HttpRequest) -> None:
        if _uses_language_prefix(request):
            return super().process_request(request)
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        accept_language = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        translation.activate(language_for(cookie, accept_language))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if _uses_language_prefix(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
