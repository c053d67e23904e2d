"""The tabs of Security Settings, in three groups that stay readable on a phone: sign-in
methods (the INSW manual's order, seeds/000 §4: Email, Passkeys, Authenticator, then what this
portal adds), devices and activity, and the account. A tab whose URL is not installed is left
out."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

METHODS = _("Sign-in methods")
DEVICES = _("Devices and activity")
ACCOUNT = _("Account")


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str | Promise
    url_name: str
    group: str | Promise = METHODS


TABS = [
    Tab("email", _("Email"), "mfa:email"),
    Tab("passkeys", _("Passkeys"), "passkeys:list"),
    Tab("authenticator", _("Authenticator"), "mfa:authenticator"),
    Tab("sms", _("SMS"), "sms:settings"),
    Tab("recovery", _("Recovery codes"), "mfa:recovery"),
    Tab("devices", _("Trusted devices"), "mfa:trusted_devices", DEVICES),
    Tab("sessions", _("Where you're signed in"), "accounts:sessions", DEVICES),
    Tab("activity", _("Recent activity"), "accounts:activity", DEVICES),
    Tab("profile", _("Profile"), "accounts:profile", ACCOUNT),
    Tab("password", _("Password"), "accounts:password_change", ACCOUNT),
    Tab("question", _("Security question"), "accounts:question_settings", ACCOUNT),
]


def tab_url(slug: str) -> str:
    """The address of tab ``slug``'s page (a GET of it shows the page)."""
    return reverse(next(tab.url_name for tab in TABS if tab.slug == slug))


def installed_tabs() -> list[dict[str, str]]:
    """The tabs whose pages exist, as template-ready dicts."""
    tabs = []
    for tab in TABS:
        if tab.slug == "question" and not settings.ACCOUNTS_SECURITY_QUESTION_ENABLED:
            continue
        try:
            url = reverse(tab.url_name)
        except NoReverseMatch:
            continue
        tabs.append(
            {"slug": tab.slug, "label": str(tab.label), "url": url, "group": str(tab.group)}
        )
    return tabs
