"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): who asks, for which session.

DOT finds the ``id_token_hint`` by its database row and, on logout, deletes every access and
ID token of the user for every application. The second app of the same portal session then
presents a genuine hint whose row is gone and is told that the portal never issued it. Here a
hint is genuine when its signature and issuer check out (§2: "the OP ... validates the ID
Token"), whatever became of its row; logging out ends the portal session the hint names
(its ``sid``) and nothing of the user's other sessions, so a second logout, by the same app or
another, is answered the same way as the first.
"""

import json
from dataclasses import dataclass

from django.http import HttpRequest
from jwcrypto import jws, jwt
from jwcrypto.common import JWException
from oauth2_provider.exceptions import InvalidIDTokenError
from oauth2_provider.settings import oauth2_settings

from accounts.models import User
from sso.oidc import params
from sso.oidc.models import Application


@dataclass(frozen=True)
class LogoutHint:
    """What a verified ``id_token_hint`` says: the app it was issued to, the user, and the
    portal session (``sid``, empty for tokens issued without one)."""

    application: Application
    user: User
    sid: str


def read_hint(request: HttpRequest, id_token_hint: str) -> LogoutHint:
    """The verified hint; raises InvalidIDTokenError for anything the portal did not sign.

    Expired hints are accepted (§2 allows it; the app may hold an old token), as DOT's
    ``OIDC_RP_INITIATED_LOGOUT_ACCEPT_EXPIRED_TOKENS``.
    """
    try:
        unverified = jws.JWS()
        unverified.deserialize(id_token_hint)
        audience = json.loads(unverified.objects["payload"]).get("aud")
        if isinstance(audience, list) and len(audience) == 1:
            audience = audience[0]  # the portal's ID tokens have one audience: the app
        application = (
            Application.objects.filter(client_id=audience).first()
            if params.is_client_id(audience)
            else None
        )
        if application is None:
            raise InvalidIDTokenError()
        token = jwt.JWT(
            jwt=id_token_hint,
            key=application.jwk_key,
            algs=[application.algorithm],
            check_claims={},  # signature, and claim types; `exp` is not checked
        )
        claims = json.loads(token.claims)
    except InvalidIDTokenError:
        raise
    except (JWException, ValueError, TypeError, KeyError, UnicodeError, AttributeError) as exc:
        raise InvalidIDTokenError() from exc
    if claims.get("iss") != oauth2_settings.oidc_issuer(request):
        raise InvalidIDTokenError()
    user = User.objects.filter(pk=_int(claims.get("sub"))).first()
    if user is None:
        raise InvalidIDTokenError()
    sid = claims.get("sid")
    return LogoutHint(application=application, user=user, sid=sid if isinstance(sid, str) else "")


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
