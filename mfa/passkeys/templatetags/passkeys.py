"""Template tags of the passkeys app."""

from django import template

from mfa.passkeys import conf
from sso.templating import constant

register = template.Library()


@register.simple_tag
@constant
def passkeys_rp_id() -> str:
    """The WebAuthn RP ID (``MFA_PASSKEYS_RP_ID``): passkeys.js names the address that works."""
    return conf.rp_id()
