"""SAML 2.0 identity provider settings (pysaml2), star-imported by sso/settings.py.

Every value comes from the environment with a documented default (12-factor); only the names
in ``__all__`` reach the project settings. README's settings table lists them too.

Signing key: ``SAML_SIGNING_KEY_FILE`` and ``SAML_SIGNING_CERT_FILE`` name a PEM private key
and its X.509 certificate (default ``var/saml_signing_key.pem`` and ``var/saml_signing_cert.pem``,
which ``manage.py saml_devkey`` creates for development). ``SAML_PREVIOUS_CERT_FILES`` lists the
certificates of keys that signed before: they stay in the metadata during a rotation, so that
service providers that refresh metadata trust the new key before it signs.
"""

from pathlib import Path

import environ

__all__ = [
    "SSO_SAML_ASSERTION_LIFETIME_SECONDS",
    "SSO_SAML_CLOCK_SKEW_SECONDS",
    "SSO_SAML_ENTITY_ID",
    "SSO_SAML_MAX_MESSAGE_BYTES",
    "SSO_SAML_METADATA_FETCH_TIMEOUT",
    "SSO_SAML_PREVIOUS_CERT_FILES",
    "SSO_SAML_REQUEST_MAX_AGE_SECONDS",
    "SSO_SAML_SIGNING_CERT_FILE",
    "SSO_SAML_SIGNING_KEY_FILE",
    "SSO_SAML_XMLSEC_BINARY",
]

_BASE_DIR = Path(__file__).resolve().parent.parent.parent
_env = environ.Env()

# The IdP's entity ID. Empty: the absolute URL of /saml/metadata/ on the host that was asked.
SSO_SAML_ENTITY_ID = _env.str("SAML_ENTITY_ID", default="")
SSO_SAML_SIGNING_KEY_FILE = Path(
    _env.str("SAML_SIGNING_KEY_FILE", default=str(_BASE_DIR / "var" / "saml_signing_key.pem"))
)
SSO_SAML_SIGNING_CERT_FILE = Path(
    _env.str("SAML_SIGNING_CERT_FILE", default=str(_BASE_DIR / "var" / "saml_signing_cert.pem"))
)
SSO_SAML_PREVIOUS_CERT_FILES = [Path(p) for p in _env.list("SAML_PREVIOUS_CERT_FILES", default=[])]
# pysaml2 signs and verifies with xmlsec1 (Debian package xmlsec1).
SSO_SAML_XMLSEC_BINARY = _env.str("SAML_XMLSEC_BINARY", default="/usr/bin/xmlsec1")
# An AuthnRequest older than this (by its IssueInstant) is refused as expired; its ID is
# remembered this long, so that the same request is never answered twice (replay).
SSO_SAML_REQUEST_MAX_AGE_SECONDS = _env.int("SAML_REQUEST_MAX_AGE_SECONDS", default=300)
# Clock difference tolerated between the portal and a service provider.
SSO_SAML_CLOCK_SKEW_SECONDS = _env.int("SAML_CLOCK_SKEW_SECONDS", default=60)
# How long an assertion may be presented (its SubjectConfirmation NotOnOrAfter).
SSO_SAML_ASSERTION_LIFETIME_SECONDS = _env.int("SAML_ASSERTION_LIFETIME_SECONDS", default=300)
# The largest SAML message accepted, in bytes, before and after inflating (bad-input limit).
SSO_SAML_MAX_MESSAGE_BYTES = _env.int("SAML_MAX_MESSAGE_BYTES", default=65536)
# Seconds the admin waits for a service provider's metadata URL.
SSO_SAML_METADATA_FETCH_TIMEOUT = _env.int("SAML_METADATA_FETCH_TIMEOUT", default=10)
