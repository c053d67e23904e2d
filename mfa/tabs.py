"""The tabs of Security Settings, in the INSW manual's order (seeds/000 §4): Email, Passkeys,
Authenticator, then what this portal adds. A tab whose URL is not installed is left out."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Tab:
    slug: str
    label: str | Promise
    url_name: str


TABS = [
    Tab("email", _("Email"), "mfa:email"),
    Tab("passkeys", _("Passkeys"), "passkeys:list"),
    Tab("authenticator", _("Authenticator"), "mfa:authenticator"),
    Tab("sms", _("SMS"), "sms:settings"),
    Tab("recovery", _("Recovery codes"), "mfa:recovery"),
    Tab("devices", _("Trusted devices"), "mfa:trusted_devices"),
    Tab("password", _("Password"), "accounts:password_change"),
    Tab("question", _("Security question"), "accounts:question_settings"),
    Tab("activity", _("Recent activity"), "accounts:activity"),
    Tab("sessions", _("Where you're signed in"), "accounts:sessions"),
    Tab("profile", _("Profile"), "accounts:profile"),
]


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
        tabs.append({"slug": tab.slug, "label": str(tab.label), "url": url})
    return tabs
