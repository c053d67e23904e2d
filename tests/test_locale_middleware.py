"""sso.locale.LocaleMiddleware chooses the language and sets the headers exactly as Django's
LocaleMiddleware does, for every combination of language cookie and Accept-Language."""

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory, override_settings
from django.utils import translation

from sso.locale import LocaleMiddleware, language_for

COOKIES = [None, "id", "en", "fr", "id-ID", ""]
ACCEPT_LANGUAGES = [
    "",
    "id",
    "id-ID,id;q=0.9,en;q=0.8",
    "en-US,en;q=0.9",
    "fr, de",
    "*",
    "xx;q=abc",
]


def answer(middleware_class: type, cookie: str | None, accept: str) -> tuple:
    request = RequestFactory().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE=accept)
    if cookie is not None:
        request.COOKIES[settings.LANGUAGE_COOKIE_NAME] = cookie
    response = middleware_class(lambda request: HttpResponse("page"))(request)
    translation.activate(settings.LANGUAGE_CODE)
    return request.LANGUAGE_CODE, response.get("Vary"), response.get("Content-Language")


@pytest.mark.parametrize("cookie", COOKIES)
@pytest.mark.parametrize("accept", ACCEPT_LANGUAGES)
def test_same_language_and_headers_as_djangos(cookie, accept):
    assert answer(LocaleMiddleware, cookie, accept) == answer(
        DjangoLocaleMiddleware, cookie, accept
    )


def test_indonesian_is_chosen_from_the_header_and_the_cookie():
    assert answer(LocaleMiddleware, None, "id-ID,id;q=0.9") == ("id", "Accept-Language", "id")
    assert answer(LocaleMiddleware, "id", "en-US") == ("id", "Accept-Language", "id")


def test_a_change_of_languages_is_not_answered_from_memory():
    assert language_for(None, "id") == "id"
    with override_settings(LANGUAGES=[("en", "English")]):
        assert language_for(None, "id") == "en"
    assert language_for(None, "id") == "id"
