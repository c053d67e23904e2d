"""OpenID Connect provider settings (django-oauth-toolkit), star-imported by sso/settings.py.

Every value comes from the environment with a documented default (12-factor). Only the names
listed in ``__all__`` reach the project settings.

Signing key (RS256): ``OIDC_RSA_PRIVATE_KEY`` holds a PEM private key, or
``OIDC_RSA_PRIVATE_KEY_FILE`` names a PEM file (default ``var/oidc_rsa_private_key.pem``,
which ``manage.py oidc_devkey`` creates for development). ``OIDC_RSA_PRIVATE_KEYS_INACTIVE_FILES``
lists old key files still published in the JWKS while their tokens live (key rotation).
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

__all__ = [
    "OAUTH2_PROVIDER",
    "OAUTH2_PROVIDER_APPLICATION_MODEL",
    "SSO_OIDC_BACKCHANNEL_LOGOUT_TIMEOUT",
    "SSO_OIDC_RSA_PRIVATE_KEY_FILE",
]

_BASE_DIR = Path(__file__).resolve().parent.parent.parent
_env = environ.Env()


def _read_key(path: Path) -> str:
    """The PEM text of ``path``, or '' when there is no such file (the system check says so)."""
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


# OIDC_RSA_PRIVATE_KEY_FILE: where the signing key lives when OIDC_RSA_PRIVATE_KEY is not set.
SSO_OIDC_RSA_PRIVATE_KEY_FILE = Path(
    _env.str(
        "OIDC_RSA_PRIVATE_KEY_FILE", default=str(_BASE_DIR / "var" / "oidc_rsa_private_key.pem")
    )
)
_RSA_PRIVATE_KEY = _env.str("OIDC_RSA_PRIVATE_KEY", default="", multiline=True) or _read_key(
    SSO_OIDC_RSA_PRIVATE_KEY_FILE
)
_RSA_INACTIVE_KEYS = [
    key
    for key in (
        _read_key(Path(p)) for p in _env.list("OIDC_RSA_PRIVATE_KEYS_INACTIVE_FILES", default=[])
    )
    if key
]

# Relying applications are our own model (sso/oidc/models.py): launch URL, logo, back-channel
# logout URI and "skip consent". Swapped from the very first migration (DOT's advice).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oidc.Application"

# Seconds the portal waits for a relying app's back-channel logout endpoint.
SSO_OIDC_BACKCHANNEL_LOGOUT_TIMEOUT = _env.int("SSO_OIDC_BACKCHANNEL_LOGOUT_TIMEOUT", default=5)

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    # OIDC_ISSUER: the issuer URL (e.g. https://sso.example.com). Empty: derived from the
    # request, which is right unless a proxy rewrites the host or scheme.
    "OIDC_ISS_ENDPOINT": _env.str("OIDC_ISSUER", default=""),
    "OIDC_RSA_PRIVATE_KEY": _RSA_PRIVATE_KEY,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": _RSA_INACTIVE_KEYS,
    "OAUTH2_VALIDATOR_CLASS": "sso.oidc.validators.PortalOAuth2Validator",
    # Only the code flow and refresh tokens; the authorize request's parameters are checked
    # before anything is stored (sso/oidc/server.py, sso/oidc/params.py).
    "OIDC_SERVER_CLASS": "sso.oidc.server.PortalServer",
    "OAUTH2_BACKEND_CLASS": "sso.oidc.server.PortalOAuthLibCore",
    "APPLICATION_ADMIN_CLASS": "sso.oidc.admin.ApplicationAdmin",
    "SCOPES": {
        "openid": _("Who you are on this portal (your account id)"),
        "profile": _("Your name and username"),
        "email": _("Your e-mail address"),
    },
    "DEFAULT_SCOPES": ["openid"],
    # Only the authorization code flow (with refresh tokens) is offered.
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ],
    # Codes are single use (DOT deletes the grant) and live one minute (OAuth 2.1 §4.1.2).
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": _env.int("OIDC_CODE_EXPIRE_SECONDS", default=60),
    "ACCESS_TOKEN_EXPIRE_SECONDS": _env.int("OIDC_ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    "ID_TOKEN_EXPIRE_SECONDS": _env.int("OIDC_ID_TOKEN_EXPIRE_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": _env.int(
        "OIDC_REFRESH_TOKEN_EXPIRE_SECONDS", default=60 * 60 * 24 * 14
    ),
    # Refresh tokens rotate; replaying a used one revokes its whole family (RFC 9700 §4.14.2).
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    # PKCE: S256 only; required for public clients (PortalOAuth2Validator.is_pkce_required).
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # RFC 9207 `iss` in the authorization response (mix-up defence), bearer tokens only in
    # the Authorization header, tokens stored hashed.
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    # 256 random bits per access and refresh token, in one call (sso/oidc/code_exchange.py).
    "ACCESS_TOKEN_GENERATOR": "sso.oidc.code_exchange.random_token",
    "REFRESH_TOKEN_GENERATOR": "sso.oidc.code_exchange.random_token",
    # Client secrets are random: a salted SHA-256 (accounts.hashers), not Argon2 per request.
    "CLIENT_SECRET_HASHER": "secret_sha256",
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    # OIDC_ALLOWED_REDIRECT_URI_SCHEMES: https only, plus http when DEBUG (make run's demo app).
    "ALLOWED_REDIRECT_URI_SCHEMES": _env.list(
        "OIDC_ALLOWED_REDIRECT_URI_SCHEMES",
        default=["https", "http"] if _env.bool("DEBUG", default=False) else ["https"],
    ),
    # Redirect URIs match exactly: no wildcards (ASVS 5 V10.4).
    "ALLOW_URI_WILDCARDS": False,
    # A user who consented once is not asked again while a token for those scopes lives.
    "REQUEST_APPROVAL_PROMPT": "auto",
    # RP-initiated logout: ask only when the id_token_hint does not prove the session, and
    # return only to a registered post-logout URI. Tokens are not deleted by DOT (every app's,
    # every session's): the ended portal session revokes its own (sso/oidc/logout.py).
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RP_INITIATED_LOGOUT_ACCEPT_EXPIRED_TOKENS": True,
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
}
