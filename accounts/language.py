"""A person's preferred language (the Profile tab): the pages after sign-in and every mail to
them speak it.

The preference is a column of the account, so nothing is read per request: at sign-in (and
when the Profile tab changes it) the response sets Django's language cookie, which
``LocaleMiddleware`` reads on every later request as it does for the language switcher. Mails
are rendered in :func:`mail_language` of their recipient, whatever language the page that
caused them was in (a reminder from a Celery worker, an invitation an admin sent).
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views.i18n import set_language as django_set_language

# The request attribute that asks the response to set the language cookie.
_COOKIE_REQUEST_ATTR = "portal_language_cookie"


def is_supported(language: str) -> bool:
    return language in dict(settings.LANGUAGES)


def spoken_language(value: str) -> str:
    """The first language of ``value`` (an Accept-Language value, RFC 7643 §4.1.1
    ``preferredLanguage``) that the portal speaks (``LANGUAGES``), or ""."""
    for tag, _quality in parse_accept_lang_header(value[:100]):
        try:
            return get_supported_language_variant(tag)
        except LookupError:
            continue
    return ""


def mail_language(user: object, asked_in: str | None = None) -> str:
    """The language to write to ``user`` in: the one they chose on their Profile, else
    ``asked_in`` (the language of the page that caused the mail), else the active one, else
    ``LANGUAGE_CODE``."""
    preferred = getattr(user, "preferred_language", "")
    if preferred and is_supported(preferred):
        return preferred
    return asked_in or translation.get_language() or settings.LANGUAGE_CODE


def use_language(request: HttpRequest, language: str) -> None:
    """Speaks ``language`` for the rest of this request and, through the cookie the response
    sets, on every later page of this browser."""
    if not is_supported(language):
        return
    translation.activate(language)
    request.LANGUAGE_CODE = language
    setattr(request, _COOKIE_REQUEST_ATTR, language)


@receiver(user_logged_in)
def _use_preferred_language(
    sender: type, request: HttpRequest | None, user: object, **kwargs: object
) -> None:
    preferred = getattr(user, "preferred_language", "")
    if request is not None and preferred:
        use_language(request, preferred)


def set_language_cookie(request: HttpRequest, response: HttpResponse) -> None:
    """Sets the language cookie when :func:`use_language` asked for it; costs nothing otherwise
    (run on every response by ``accounts.middleware.AccountMiddleware``)."""
    language = getattr(request, _COOKIE_REQUEST_ATTR, None)
    if language:
        # As django.views.i18n.set_language sets it.
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )


def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: Django's ``set_language`` (the cookie, the way back),
    and for a signed-in person their Profile's preferred language too, so that the next
    sign-in and every mail speak the language they chose here (as Keycloak's locale selector
    stores the account's locale). Returns Django's answer."""
    response = django_set_language(request)
    user = request.user
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if not user.is_authenticated or cookie is None:
        return response
    try:
        # What LocaleMiddleware speaks from that cookie: a variant (id-ID) is its language.
        language = get_supported_language_variant(cookie.value)
    except LookupError:
        return response  # a language the portal does not speak (Django checks its own files)
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return response
