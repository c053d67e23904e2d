"""Numbers as people type them: E.164 out, or a clear reason."""

import pytest
from django.utils import translation

from mfa.sms import phone


@pytest.mark.parametrize(
    "typed",
    ["081234567889", "0812-3456-7889", "0812 3456 7889", "+62 812 3456 7889", "(0812) 3456.7889",
     "6281234567889", " +6281234567889 "],
)  # fmt: skip
def test_indonesian_mobile_numbers_are_read_into_e164(typed):
    assert phone.parse(typed).e164 == "+6281234567889"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "Enter your mobile number"),
        ("12", "not a valid phone number"),
        ("0812", "not a valid phone number"),
        ("+", "digits only"),
        ("--", "not a phone number we can read"),
        ("1" * 100, "too long"),
        ("0812-CALL-ME", "digits only"),
        ("satu dua tiga", "digits only"),
        ("0812345678<script>", "digits only"),
        ("021 5551234", "landline"),  # Jakarta fixed line
        ("+65 9123 4567", "numbers in: Indonesia"),  # Singapore mobile
        ("+1 415 555 2671", "numbers in: Indonesia"),
    ],
)
def test_bad_numbers_are_refused_with_the_reason(typed, reason):
    with pytest.raises(phone.InvalidNumber, match=reason):
        phone.parse(typed)


def test_allow_list_is_a_setting(settings):
    settings.SMS_ALLOWED_REGIONS = ["ID", "SG"]
    assert phone.parse("+65 9123 4567").e164 == "+6591234567"


def test_allow_list_message_names_the_countries_in_the_readers_language(settings):
    settings.SMS_ALLOWED_REGIONS = ["ID", "SG"]
    with translation.override("id"), pytest.raises(phone.InvalidNumber, match="Singapura"):
        phone.parse("+1 415 555 2671")


def test_mask_shows_country_prefix_and_last_two_digits():
    assert phone.mask("+6281234567889") == "+62 812 •••• 89"
