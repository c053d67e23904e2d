"""Tags of the base layout. ``constant`` ones are rendered once per language when the template
is compiled (sso.templating)."""

from django import template
from django.conf import settings
from django.utils import translation
from django.utils.html import format_html_join

from sso.templating import constant

register = template.Library()


@register.simple_tag
@constant
def language_code() -> str:
    """The active language's code, for ``<html lang>``."""
    return translation.get_language()


@register.simple_tag
@constant
def language_options() -> str:
    """The ``<option>`` of each language of the language menu, the active one selected (names
    as ``{% get_available_languages %}`` gives them)."""
    current = translation.get_language()
    return format_html_join(
        "\n",
        '<option value="{}"{}>{}</option>',
        (
            (code, " selected" if code == current else "", translation.gettext(name))
            for code, name in settings.LANGUAGES
        ),
    )
