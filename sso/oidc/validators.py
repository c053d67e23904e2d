"""The portal's rules inside django-oauth-toolkit's request validator.

DOT runs the protocol; this subclass adds what the portal decides: PKCE for public clients,
the user claims by scope, and the ``amr``/``acr``/``auth_time``/``sid`` of the session that
authorised the code (kept in a SignInContext from the authorize step to every refresh).
"""

import hashlib
import json
import logging
from typing import Any

from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.common import Request as OAuthlibRequest

from sso.oidc import flows, params
from sso.oidc.models import Application, SignInContext

log = logging.getLogger(__name__)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class PortalOAuth2Validator(OAuth2Validator):
    def _load_application(self, client_id, request: OAuthlibRequest) -> Application | None:
        """An id with a NUL byte or longer than the column is an unknown client, not a
        database error (the authorize page says so; the token endpoint: invalid_client)."""
        if not params.is_client_id(client_id):
            return None
        return super()._load_application(client_id, request)

    # --- One read of the code's grant per token request ------------------------------------------
    #
    # oauthlib asks for the code's scopes, nonce, PKCE challenge and method, redirect URI and
    # validity one question at a time, and DOT answers each with its own query (and once more
    # for RFC 8707 resources). The grant row is read once per token request instead, with its
    # user; every answer keeps DOT's rule (the code must belong to the authenticated client
    # where DOT filters by it).

    def _grant(self, code: str, request: OAuthlibRequest):
        """The grant of ``code`` (None when there is none), read once per request."""
        cached = getattr(request, "portal_grant", None)
        if cached is not None and cached.code == code:
            return cached
        grant = get_grant_model().objects.select_related("user").filter(code=code).first()
        request.portal_grant = grant
        return grant

    def _client_grant(self, code: str, client, request: OAuthlibRequest):
        """The grant of ``code`` if it was given to ``client``, else None."""
        grant = self._grant(code, request)
        if grant is None or client is None or grant.application_id != client.pk:
            return None
        return grant

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request) -> list[str]:
        grant = self._grant(code, request)
        return grant.scope.split() if grant is not None and grant.scope else []

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._grant(code, request)
        return (grant.nonce or None) if grant is not None else None

    def confirm_redirect_uri(
        self, client_id, code, redirect_uri, client, request, *args, **kwargs
    ) -> bool:
        grant = self._client_grant(code, client, request)
        if grant is None:
            raise get_grant_model().DoesNotExist  # as DOT's Grant.objects.get
        return grant.redirect_uri_allowed(redirect_uri)

    def get_code_challenge(self, code, request):
        grant = self._client_grant(code, request.client, request)
        if grant is None:
            raise get_grant_model().DoesNotExist
        return grant.code_challenge or None

    def get_code_challenge_method(self, code, request):
        grant = self._client_grant(code, request.client, request)
        if grant is None:
            raise get_grant_model().DoesNotExist
        return grant.code_challenge_method or None

    def _check_and_set_request_resource(self, request) -> None:
        """RFC 8707: with no resource asked at the token endpoint and none on the grant there is
        nothing to check or narrow (DOT would read the grant again to find that out)."""
        grant = getattr(request, "portal_grant", None)
        if (
            request.grant_type == "authorization_code"
            and grant is not None
            and grant.code == request.code
            and not grant.resource
            and not getattr(request, "resource", None)
        ):
            request.resource = []
            return
        super()._check_and_set_request_resource(request)

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        """DOT finds the new access token's ID token by decoding the JWT it has just signed,
        verifying it, loading the app by its audience and the row by its ``jti``; the row is
        on the request already (``finalize_id_token`` put it there)."""
        id_token = getattr(request, "id_token", None)
        if not token.get("id_token") or not isinstance(id_token, get_id_token_model()):
            return super()._create_access_token(expires, request, token, source_refresh_token)
        access_token = get_access_token_model()(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save()
        return access_token

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs) -> None:
        """None: ``redirect_uri`` is REQUIRED (OpenID Connect Core §3.1.2.1), so oauthlib
        answers a request without one with ``MissingRedirectURIError`` (a page, no redirect),
        and the code exchange must name it too (RFC 6749 §4.1.3)."""
        return None

    def is_pkce_required(self, client_id: str, request: OAuthlibRequest) -> bool:
        """PKCE is required for public clients and allowed (verified when sent) for the others.

        A confidential client that sent a code_challenge must send the verifier: oauthlib checks
        any challenge stored with the code whether or not it was required.
        """
        client = getattr(request, "client", None)
        if client is None or client.client_id != client_id:
            client = Application.objects.filter(client_id=client_id).first()
        return client is None or client.client_type == Application.CLIENT_PUBLIC

    def validate_silent_login(self, request: OAuthlibRequest) -> bool:
        """prompt=none: the authorize view has already checked the portal session."""
        return True

    def validate_silent_authorization(self, request: OAuthlibRequest) -> bool:
        """prompt=none: the authorize view has already checked consent (flows.has_consent)."""
        return True

    # --- Claims -------------------------------------------------------------------------------

    def get_additional_claims(self, request: OAuthlibRequest) -> dict[str, Any]:
        """Standard claims, each released by its scope (DOT's ``oidc_claim_scope``)."""
        user = request.user
        return {
            "name": user.get_full_name(),
            "preferred_username": user.get_username(),
            "email": user.email,
        }

    def get_id_token_dictionary(
        self, token: dict, token_handler: Any, request: OAuthlibRequest
    ) -> tuple[dict, Any]:
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        context: SignInContext | None = getattr(request, "sign_in_context", None)
        if context is not None:
            claims.update(flows.context_claims(context))
        return claims, expiration_time

    # --- Carrying the sign-in context -------------------------------------------------------

    def _create_authorization_code(self, request: OAuthlibRequest, code: dict, expires=None):
        grant = super()._create_authorization_code(request, code, expires)
        flows.record_sign_in_context(
            getattr(request, "portal_session", None), grant, code_hash(code["code"])
        )
        return grant

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        if not self._validate_grant(code, client, request):
            # RFC 6749 §4.1.2: a code used twice revokes the tokens it gave.
            flows.revoke_tokens_of_reused_code(code_hash(code), client)
            return False
        request.sign_in_context = SignInContext.objects.filter(
            code_hash=code_hash(code), application=client
        ).first()
        return True

    def _validate_grant(self, code, client, request: OAuthlibRequest) -> bool:
        """DOT's ``validate_code`` on the grant read once: the client's, not expired."""
        grant = self._client_grant(code, client, request)
        if grant is None or grant.is_expired():
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        instance = getattr(request, "refresh_token_instance", None)
        if valid and instance is not None and instance.token_family:
            context = SignInContext.objects.filter(token_family=instance.token_family).first()
            if context is not None and context.ended is not None:
                # The portal session that issued this family has ended (signed out).
                log.info("refresh token refused: its portal session ended")
                return False
            request.sign_in_context = context
        return valid

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous):
        context: SignInContext | None = getattr(request, "sign_in_context", None)
        if previous is None and context is not None and context.token_family is not None:
            # The code's first refresh token starts the family its sign-in context named when
            # the code was made (flows.record_sign_in_context): no update of the context here.
            refresh_token = get_refresh_token_model()(
                user=request.user,
                application=request.client,
                access_token=access_token,
                token_family=context.token_family,
                resource=getattr(request, "resource", []),  # RFC 8707
            )
            self._set_token_value(refresh_token, refresh_token_code)
            refresh_token.save()
            return refresh_token
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        if context is not None and context.token_family is None:
            # A context recorded before families were named at authorize.
            context.token_family = refresh_token.token_family
            context.save(update_fields=["token_family"])
        return refresh_token
