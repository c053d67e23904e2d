"""Phone numbers as people type them, read with ``phonenumbers`` (libphonenumber's metadata).

Only mobile numbers of the allowed countries are taken: a landline cannot receive the code,
and a number abroad is how SMS pumping pays (premium-rate ranges).
"""

import re
from dataclasses import dataclass

import phonenumbers
from django.utils import translation
from django.utils.translation import gettext as _

from mfa.sms import conf

# People type spaces, dashes, dots, brackets and a leading +; never letters (libphonenumber
# would read "0812-CALL-ME" as digits, which nobody means on a sign-in form).
TYPED_NUMBER = re.compile(r"^\+?[0-9 ().\-]+$")
MAX_TYPED_LENGTH = 25  # 15 digits (E.164) plus room for separators
SMS_CAPABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,  # e.g. the US: cannot tell, so allow
}


class InvalidNumber(ValueError):
    """A typed number we refuse; ``str(error)`` is the message for the user (translated)."""


@dataclass(frozen=True)
class PhoneNumber:
    e164: str
    region: str


def parse(typed: str) -> PhoneNumber:
    """Reads a typed number into E.164, or raises ``InvalidNumber`` with the reason."""
    typed = (typed or "").strip()
    if not typed:
        raise InvalidNumber(_("Enter your mobile number."))
    if len(typed) > MAX_TYPED_LENGTH:
        raise InvalidNumber(_("That is too long for a phone number."))
    if not TYPED_NUMBER.match(typed):
        raise InvalidNumber(_("Use digits only, for example 0812 3456 7890 or +62 812 3456 7890."))
    try:
        number = phonenumbers.parse(typed, conf.get("SMS_DEFAULT_REGION"))
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(_("That is not a phone number we can read.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidNumber(_("That is not a valid phone number. Check the digits."))
    region = phonenumbers.region_code_for_number(number) or ""
    allowed = conf.allowed_regions()
    if region not in allowed:
        raise InvalidNumber(
            _("We can only send codes to numbers in: %(countries)s.")
            % {"countries": ", ".join(country_name(code) for code in allowed)}
        )
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise InvalidNumber(
            _("That looks like a landline. Enter a mobile number that can receive SMS.")
        )
    return PhoneNumber(
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), region
    )


def country_name(region: str) -> str:
    """Indonesia / Singapura: the country's name in the reader's language, else its code.

    ``phonenumbers.geocoder`` loads libphonenumber's whole geocoding data (about 100 MiB of
    resident memory), so it is imported here, for the one message that names countries, and
    not by every web worker that merely routes to the SMS pages.
    """
    from phonenumbers import geocoder

    example = phonenumbers.example_number(region)
    if example is None:
        return region
    language = (translation.get_language() or "en").split("-")[0]
    return geocoder.country_name_for_number(example, language) or region


def mask(e164: str) -> str:
    """+62 812 •••• 89: enough to recognise one's own number, not to learn someone else's."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "•••• " + e164[-2:]
    national = phonenumbers.national_significant_number(number)
    return f"+{number.country_code} {national[:3]} •••• {national[-2:]}"


def display(e164: str) -> str:
    """The owner's own number, in the international format (+62 812-3456-7890)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
