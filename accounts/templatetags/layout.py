"""Tags of the base layout. ``constant`` ones are rendered once per language when the template
is compiled (sso.templating)."""

from django import template
from django.conf import settings
from django.forms import BoundField
from django.utils import translation
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import mark_safe

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


@register.simple_tag
def field(bound: BoundField) -> str:
    """``{% include "field.html" with field=bound %}`` written in Python, the same HTML: the
    include and its nine lookups cost about 50 µs per field on every sign-in page. Keep both
    in step (tests/test_templating.py compares them)."""
    errors = bound.errors
    auto_id = _text(bound.auto_id)
    parts = [
        f'\n<div class="field{" field-invalid" if errors else ""}">\n',
        f'  <label for="{_text(bound.id_for_label)}">{_text(bound.label)}</label>\n',
        f"  {conditional_escape(bound)}\n  ",
    ]
    if bound.help_text:
        parts.append(f'<div class="help" id="{auto_id}_helptext">{bound.help_text}</div>')
    parts.append(f'\n  <div class="field-errors" id="{auto_id}_errors"')
    parts.append(' role="alert">' if errors else ">")
    parts.extend(f'<p class="field-error">{_text(error)}</p>' for error in errors)
    parts.append("</div>\n</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _text(value: object) -> str:
    """``{{ value }}``."""
    return conditional_escape(localize(value))
