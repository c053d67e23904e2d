"""Plain-language reasons for the protocol errors the portal shows instead of redirecting."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


def _messages() -> dict[str, str]:
    unknown_client = _("The application is not registered with this portal.")
    bad_redirect = _("The application asked to return to an address that is not registered for it.")
    return {
        # oauthlib: the authorize request cannot be trusted enough to redirect (RFC 6749 §4.1.2.1)
        "InvalidClientIdError": unknown_client,
        "MissingClientIdError": unknown_client,
        "InvalidOIDCClientError": unknown_client,
        "MismatchingRedirectURIError": bad_redirect,
        "InvalidRedirectURIError": bad_redirect,
        "MissingRedirectURIError": bad_redirect,
        "InvalidOIDCRedirectURIError": bad_redirect,
        # DOT: RP-initiated logout
        "InvalidIDTokenError": _(
            "The request carries a sign-in token that this portal did not issue, "
            "or that was altered."
        ),
        "ClientIdMissmatch": _("The sign-in token was issued to another application."),
        "LogoutDenied": _("You stayed signed in."),
    }


@register.simple_tag
def oidc_error_message(error) -> str:
    return _messages().get(
        type(error).__name__, _("The application sent a request this portal cannot accept.")
    )
