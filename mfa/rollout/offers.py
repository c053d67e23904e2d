"""What the enrolment page offers: one entry per factor kind the policy allows, in order
(passkey first where the browser can make one, then authenticator app, e-mail, SMS)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mfa.rollout.models import Factor
from mfa.rollout.policy import Policy

# Factor kind -> (Security Settings page that sets it up, label, one line about it).
_PAGES = {
    Factor.PASSKEY: ("passkeys:list", _("Passkey"),
                     _("Your fingerprint, face or screen lock, or a security key. The safest "
                       "choice, and nothing to type.")),
    Factor.TOTP: ("mfa:authenticator", _("Authenticator app"),
                  _("A 6-digit code from an app on your phone, such as Google or Microsoft "
                    "Authenticator.")),
    Factor.EMAIL: ("mfa:email", _("Email"), _("A 6-digit code sent to your email address.")),
    Factor.SMS: ("sms:settings", _("SMS"), _("A 6-digit code sent by text message to your phone.")),
}  # fmt: skip


@dataclass(frozen=True)
class Offer:
    factor: str
    label: str | Promise
    description: str | Promise
    url: str
    needs_webauthn: bool


def offers_for(policy: Policy) -> list[Offer]:
    """The factor kinds ``policy`` allows whose pages are installed, in enrolment order."""
    offers = []
    for factor in policy.factors:
        url_name, label, description = _PAGES[Factor(factor)]
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        offers.append(Offer(factor, label, description, url, factor == Factor.PASSKEY))
    return offers
