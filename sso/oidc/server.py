"""The oauthlib server behind django-oauth-toolkit, cut down to what the portal offers.

oauthlib's OpenID Connect server knows every grant and response type; a relying app that
names one the portal does not offer (the device code grant, the password grant, the implicit
flow...) must get ``unsupported_grant_type`` or ``unsupported_response_type`` (RFC 6749 §5.2,
§4.1.2.1), not the half-answer of a grant that is wired in but never configured. Discovery
says the same (sso/oidc/views.py).
"""

from oauthlib.openid import Server

from sso.oidc.params import check_authorization_request

GRANT_TYPES = ("authorization_code", "refresh_token")
RESPONSE_TYPES = ("code",)


class PortalServer(Server):
    """oauthlib's OpenID Connect server with only the code flow and refresh tokens."""

    def __init__(self, request_validator, *args, **kwargs) -> None:
        super().__init__(request_validator, *args, **kwargs)
        self._grant_types = {name: self._grant_types[name] for name in GRANT_TYPES}
        self._response_types = {name: self._response_types[name] for name in RESPONSE_TYPES}
        # The OpenID Connect grant proxies its validators to the OAuth 2.0 one it wraps; the
        # plain OAuth 2.0 grant (no openid scope) has its own list.
        for grant in (self.auth_grant, self.openid_connect_auth.proxy_target):
            if check_authorization_request not in grant.custom_validators.pre_auth:
                grant.custom_validators.pre_auth.append(check_authorization_request)
