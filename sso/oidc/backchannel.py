"""OpenID Connect Back-Channel Logout 1.0: tell a relying app that a portal session ended.

The portal signs a logout token (§2.4) with the key it signs the app's ID tokens with and
POSTs it to the app's registered ``backchannel_logout_uri`` (§2.5). The app ends its own
session for that ``sid`` (or every session of ``sub``).
"""

import json
import time
import uuid

import requests
from django.conf import settings
from jwcrypto import jwt

from sso.oidc.models import Application, SignInContext

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# A logout token is short-lived (§2.4 recommends a couple of minutes at most).
LOGOUT_TOKEN_LIFETIME_SECONDS = 120


class BackchannelLogoutFailed(Exception):
    """The app's endpoint did not answer 200/204 (§2.8): retried by the task."""


def logout_token(context: SignInContext) -> str:
    """The signed logout token for the app and portal session of ``context``."""
    application: Application = context.application
    now = int(time.time())
    claims = {
        "iss": context.issuer,
        "sub": str(context.user_id),
        "aud": application.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME_SECONDS,
        "jti": str(uuid.uuid4()),
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        "sid": context.sid,
    }
    key = application.jwk_key
    header = {"typ": "logout+jwt", "alg": application.algorithm}
    if application.algorithm == Application.RS256_ALGORITHM:
        header["kid"] = key.thumbprint()
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(key)
    return token.serialize()


def send_logout_token(context: SignInContext) -> None:
    """POSTs the logout token to the app; raises BackchannelLogoutFailed when it refuses."""
    application = context.application
    response = requests.post(
        application.backchannel_logout_uri,
        data={"logout_token": logout_token(context)},
        timeout=settings.SSO_OIDC_BACKCHANNEL_LOGOUT_TIMEOUT,
        allow_redirects=False,  # §2.5: the app answers directly
    )
    if response.status_code not in (200, 204):
        raise BackchannelLogoutFailed(
            f"{application.client_id}: HTTP {response.status_code} from back-channel logout"
        )
