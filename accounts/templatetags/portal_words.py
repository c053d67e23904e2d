"""Words people understand for what the portal records in codes: a browser from its
user-agent string ("Chrome on Windows"), a sign-in method from its audit code ("password")."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import parse_user_agent

register = template.Library()

# Browser and system families as user-agents (ua-parser) names them, as people call them.
_FAMILY_NAMES = {
    "Mac OS X": "macOS",
    "HeadlessChrome": "Chrome",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Mobile Safari": "Safari",
    "Firefox Mobile": "Firefox",
    "Samsung Internet": "Samsung Internet",
}
_UNKNOWN = "Other"

# The methods of audit events (accounts.audit.record's ``method``): RFC 8176 ``amr`` values and
# the portal's own codes. A code not listed here is never shown.
METHOD_NAMES = {
    "pwd": gettext_lazy("password"),
    "otp": gettext_lazy("one-time code"),
    "totp": gettext_lazy("authenticator app"),
    "email": gettext_lazy("code by email"),
    "sms": gettext_lazy("code by SMS"),
    "passkey": gettext_lazy("passkey"),
    "hwk": gettext_lazy("passkey"),
    "swk": gettext_lazy("passkey"),
    "recovery": gettext_lazy("recovery code"),
    "kba": gettext_lazy("security question"),
    "reset": gettext_lazy("password reset link"),
    "invitation": gettext_lazy("invitation link"),
}


@register.filter
def device_name(user_agent: str) -> str:
    """'Chrome on Windows' for a user-agent string; 'Unknown browser' when it says nothing."""
    try:
        parsed = parse_user_agent(user_agent or "")
    except Exception:  # a hostile header must never break a page
        return _("Unknown browser")
    browser = _FAMILY_NAMES.get(parsed.browser.family, parsed.browser.family)
    system = _FAMILY_NAMES.get(parsed.os.family, parsed.os.family)
    if browser == _UNKNOWN and system == _UNKNOWN:
        return _("Unknown browser")
    if system == _UNKNOWN:
        return browser
    if browser == _UNKNOWN:
        return _("A browser on %(system)s") % {"system": system}
    return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}


@register.filter
def method_names(method: str) -> str:
    """The readable names of an event's method codes ('pwd,otp' -> 'password, one-time
    code'), without the codes no person would understand; '' when none is known."""
    codes = {code.strip() for code in (method or "").split(",")}
    names: list[str] = []
    for code, name in METHOD_NAMES.items():  # in the order of a sign-in: password first
        if code in codes and str(name) not in names:
            names.append(str(name))
    return ", ".join(names)
