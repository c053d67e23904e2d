"""The text of the code message: translated, names the portal, the code and its lifetime.

It carries no link (a link in an SMS is what phishing looks like) and stays within one
160-character SMS with a short portal name.
"""

from django.conf import settings
from django.utils import translation
from django.utils.translation import ngettext

from mfa.models import CodeChallenge


def code_text(challenge: CodeChallenge, code: str) -> str:
    """The message for ``code``, in the language the user was reading when asking for it."""
    minutes = max(1, settings.MFA_CODE_TTL_SECONDS // 60)
    values = {"site": settings.SSO_SITE_NAME, "code": code, "minutes": minutes}
    with translation.override(challenge.language or settings.LANGUAGE_CODE):
        if challenge.purpose == CodeChallenge.Purpose.ENROL:
            text = ngettext(
                "%(site)s: %(code)s is your code to confirm this phone number. "
                "It expires in %(minutes)d minute. Do not share it.",
                "%(site)s: %(code)s is your code to confirm this phone number. "
                "It expires in %(minutes)d minutes. Do not share it.",
                minutes,
            )
        else:
            text = ngettext(
                "%(site)s: %(code)s is your sign-in code. It expires in %(minutes)d minute. "
                "Never share it with anyone.",
                "%(site)s: %(code)s is your sign-in code. It expires in %(minutes)d minutes. "
                "Never share it with anyone.",
                minutes,
            )
    return text % values
