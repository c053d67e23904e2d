"""django-allauth with allauth.mfa: username + password, then an authenticator (TOTP) code."""

from bench.peers.common import *  # noqa: F403
from bench.peers.common import BASE_INSTALLED_APPS, BASE_MIDDLEWARE

ROOT_URLCONF = "allauth_peer.urls"
INSTALLED_APPS = [*BASE_INSTALLED_APPS, "allauth", "allauth.account", "allauth.mfa"]
MIDDLEWARE = [*BASE_MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# allauth limits logins to 30 a minute per IP; every bench browser is 127.0.0.1. A higher
# limit keeps the check (and its cache traffic) without refusing the bench.
ACCOUNT_RATE_LIMITS = {"login": "100000/m/ip"}
MFA_SUPPORTED_TYPES = ["totp"]
# One time step either side, as django-otp's TOTPDevice (the portal's and two_factor's) accepts:
# allauth's default 0 refuses a code typed in the last moment of its 30 s.
MFA_TOTP_TOLERANCE = 1
