"""Template context every page needs."""

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation

from sso.in_place import is_shown_in_place

# Per active language: what ``django.template.context_processors.i18n`` gives, which depends on
# the language and the settings alone (it costs ~10 µs per page to compute again).
_I18N: dict[str | None, dict[str, Any]] = {}


def portal(request: HttpRequest) -> dict[str, Any]:
    """What templates/base.html asks of every page: the portal's display name (titles, the
    header), whether the page answers another step's POST in place (``shown_in_place``,
    sso/in_place.py), and ``page_address``, the address to reload a POST's page at, "" unless
    the view gives one (a tab whose forms post elsewhere). With defaults here, base.html never
    looks up a name a page does not have (a failed lookup costs a few exceptions and is
    written as ``string_if_invalid``)."""
    return {
        "site_name": settings.SSO_SITE_NAME,
        "shown_in_place": is_shown_in_place(request),
        "page_address": "",
    }


def i18n(request: HttpRequest) -> dict[str, Any]:
    """``LANGUAGES``, ``LANGUAGE_CODE`` and ``LANGUAGE_BIDI`` as Django's ``i18n`` context
    processor gives them, computed once per language. The context copies the dict."""
    language = translation.get_language()
    found = _I18N.get(language)
    if found is None:
        found = _I18N[language] = {
            "LANGUAGES": settings.LANGUAGES,
            "LANGUAGE_CODE": language,
            "LANGUAGE_BIDI": translation.get_language_bidi(),
        }
    return found


@receiver(setting_changed)
def _forget_languages(**kwargs: Any) -> None:
    """``LANGUAGES`` and ``LANGUAGES_BIDI`` may change in tests."""
    _I18N.clear()
