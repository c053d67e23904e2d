"""The mark of a sign-in's "Not you?" and "Cancel sign-in" forms."""

from django import template

from accounts.signin import flows

register = template.Library()


@register.simple_tag(takes_context=True)
def restart_mark(context: template.Context) -> str:
    """The mark of the sign-in under way, as the page's request finds it
    (accounts.signin.flows.restart_mark); '' in a template rendered without a request."""
    request = context.get("request")
    return flows.restart_mark(request) if request is not None else ""
