"""django-two-factor-auth (django-otp): username + password, then an authenticator (TOTP) code."""

from bench.peers.common import *  # noqa: F403
from bench.peers.common import BASE_INSTALLED_APPS, BASE_MIDDLEWARE

ROOT_URLCONF = "two_factor_peer.urls"
INSTALLED_APPS = [
    *BASE_INSTALLED_APPS,
    "django_otp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_totp",
    "formtools",
    "two_factor",
]
_auth = BASE_MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
MIDDLEWARE = [
    *BASE_MIDDLEWARE[: _auth + 1],
    "django_otp.middleware.OTPMiddleware",
    *BASE_MIDDLEWARE[_auth + 1 :],
]
LOGIN_URL = "two_factor:login"
