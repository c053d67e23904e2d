"""Settings of a small Django project that is a SAML service provider through djangosaml2
(pysaml2 on the SP side), used by tests/e2e/test_saml_djangosaml2.py against the live portal.

It asks for the REFEDS MFA context, signs its requests, wants signed responses and assertions,
and has an encryption key (the portal encrypts its assertions to it).
"""

import os
from pathlib import Path

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

HERE = os.environ["SP_URL"].rstrip("/")
PORTAL = os.environ["PORTAL_URL"].rstrip("/")
DATA = Path(os.environ["SP_DATA_DIR"])

SECRET_KEY = "djangosaml2-test-sp-not-a-secret"
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "sp_urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "djangosaml2",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "djangosaml2.middleware.SamlSessionMiddleware",
]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA / "sp.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
# Its own cookie names: the app and the portal share the host name "localhost".
SESSION_COOKIE_NAME = "sp_sessionid"
SAML_SESSION_COOKIE_NAME = "sp_saml_session"
SAML_SESSION_COOKIE_SAMESITE = "Lax"

AUTHENTICATION_BACKENDS = ["djangosaml2.backends.Saml2Backend"]
LOGIN_URL = "/saml2/login/"
LOGIN_REDIRECT_URL = "/"
# Reached only when the portal's LogoutResponse says Success (djangosaml2's finish_logout).
LOGOUT_REDIRECT_URL = "/signed-out/"
SAML_CSP_HANDLER = ""  # the test app has no CSP of its own
SAML_CREATE_UNKNOWN_USER = True
SAML_DJANGO_USER_MAIN_ATTRIBUTE = "username"
SAML_ATTRIBUTE_MAPPING = {
    "uid": ("username",),
    "mail": ("email",),
    "displayName": ("first_name",),
}
# The AuthnRequest goes by HTTP-POST (python3-saml, in the other test, uses HTTP-Redirect).
SAML_DEFAULT_BINDING = BINDING_HTTP_POST
SAML_LOGOUT_REQUEST_PREFERRED_BINDING = BINDING_HTTP_REDIRECT

SAML_CONFIG = {
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "entityid": f"{HERE}/saml2/metadata/",
    "service": {
        "sp": {
            "name": "djangosaml2 test app",
            "name_id_format": NAMEID_FORMAT_PERSISTENT,
            "endpoints": {
                "assertion_consumer_service": [(f"{HERE}/saml2/acs/", BINDING_HTTP_POST)],
                "single_logout_service": [
                    (f"{HERE}/saml2/ls/", BINDING_HTTP_REDIRECT),
                    (f"{HERE}/saml2/ls/post/", BINDING_HTTP_POST),
                ],
            },
            "authn_requests_signed": True,
            "logout_requests_signed": True,
            "want_response_signed": True,
            "want_assertions_signed": True,
            "want_assertions_or_response_signed": True,
            "signing_algorithm": SIG_RSA_SHA256,
            "digest_algorithm": DIGEST_SHA256,
            "allow_unsolicited": False,
            "requested_authn_context": {
                "authn_context_class_ref": ["https://refeds.org/profile/mfa"],
                "comparison": "minimum",
            },
        }
    },
    "metadata": {"remote": [{"url": f"{PORTAL}/saml/metadata/"}]},
    "key_file": str(DATA / "key.pem"),
    "cert_file": str(DATA / "cert.pem"),
    "encryption_keypairs": [
        {"key_file": str(DATA / "key.pem"), "cert_file": str(DATA / "cert.pem")}
    ],
}
