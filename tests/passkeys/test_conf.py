"""Settings: documented defaults, the origin rule, and system checks for impossible ones."""

import pytest
from django.test import RequestFactory

from mfa.passkeys import conf
from mfa.passkeys.checks import check_passkey_settings


def test_defaults(settings):
    for name in ("MFA_PASSKEYS_RP_ID", "MFA_PASSKEYS_RP_NAME", "MFA_PASSKEYS_ORIGINS"):
        if hasattr(settings, name):
            delattr(settings, name)
    request = RequestFactory().get("/", HTTP_HOST="localhost:8123")
    assert conf.rp_id() == "localhost"
    assert conf.rp_name() == settings.SSO_SITE_NAME
    assert conf.challenge_seconds() == 300
    assert conf.allowed_origins(request) == ["https://localhost", "http://localhost:8123"]


def test_a_real_domain_allows_only_its_https_origin_by_default(settings):
    settings.MFA_PASSKEYS_RP_ID = "sso.example.com"
    settings.MFA_PASSKEYS_ORIGINS = []
    settings.ALLOWED_HOSTS = ["sso.example.com", "localhost"]
    for host in ("sso.example.com", "localhost:8000"):
        request = RequestFactory().get("/", HTTP_HOST=host)
        assert conf.allowed_origins(request) == ["https://sso.example.com"]


def test_good_settings_pass_the_checks(settings):
    settings.MFA_PASSKEYS_RP_ID = "example.com"
    settings.MFA_PASSKEYS_ORIGINS = ["https://sso.example.com", "https://example.com:8443"]
    assert check_passkey_settings() == []


@pytest.mark.parametrize(
    ("origin", "error_id"),
    [
        ("http://sso.example.com", "passkeys.E001"),
        ("https://evil.example", "passkeys.E002"),
        ("https://sso.example.com/login", "passkeys.E003"),
    ],
)
def test_impossible_origins_are_errors(settings, origin, error_id):
    settings.MFA_PASSKEYS_RP_ID = "sso.example.com"
    settings.MFA_PASSKEYS_ORIGINS = [origin]
    assert error_id in [e.id for e in check_passkey_settings()]
