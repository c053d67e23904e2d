"""The portal's rules inside django-oauth-toolkit's request validator.

DOT runs the protocol; this subclass adds what the portal decides: PKCE for public clients,
the user claims by scope, and the ``amr``/``acr``/``auth_time``/``sid`` of the session that
authorised the code (kept in a SignInContext from the authorize step to every refresh). How the
code exchange reads and writes its rows is code_exchange.py's part.
"""

import logging
from typing import Any

from oauth2_provider.models import get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest

from sso.oidc import flows, params, rows
from sso.oidc.code_exchange import CodeExchangeMixin, code_hash
from sso.oidc.models import Application, SignInContext

log = logging.getLogger(__name__)


class PortalOAuth2Validator(CodeExchangeMixin, OAuth2Validator):
    def _load_application(self, client_id, request: OAuthlibRequest) -> Application | None:
        """An id with a NUL byte or longer than the column is an unknown client, not a
        database error (the authorize page says so; the token endpoint: invalid_client)."""
        if not params.is_client_id(client_id):
            return None
        if (
            request.client is None
            and getattr(request, "portal_grant", None) is None  # the token endpoint has it
            and rows.available()
            and not oauth2_settings.CIMD_ENABLED  # DOT may then fetch and store a client
        ):
            # The row DOT's Application.objects.get reads, by a statement built once per
            # process (rows.py). Read at every request, never kept: an admin's edit (a
            # redirect URI removed, consent now required) counts at once in every worker.
            request.client = rows.read_row(Application, "client_id", client_id)
            if request.client is None:
                return None  # unknown client, as DOT answers
        return super()._load_application(client_id, request)

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

    @classmethod
    def _get_additional_claims_is_request_agnostic(cls) -> bool:
        """``get_additional_claims`` takes the request (DOT asks ``inspect`` each time)."""
        return False

    def get_additional_claims(self, request: OAuthlibRequest) -> dict[str, Any]:
        """Standard claims, each released by its scope (DOT's ``oidc_claim_scope``)."""
        user = request.user
        return {
            "name": user.get_full_name(),
            "preferred_username": user.get_username(),
            "email": user.email,
        }

    def get_oidc_issuer_endpoint(self, request: OAuthlibRequest) -> str:
        """The ID token's ``iss``: DOT's issuer of the token request (flows.oidc_issuer, the
        same answer without a URL reversal per token)."""
        return flows.oidc_issuer(request)

    def get_id_token_dictionary(
        self, token: dict, token_handler: Any, request: OAuthlibRequest
    ) -> tuple[dict, Any]:
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        context: SignInContext | None = getattr(request, "sign_in_context", None)
        if context is not None:
            claims.update(flows.context_claims(context))
        return claims, expiration_time

    # --- Carrying the sign-in context -------------------------------------------------------

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        if not self._validate_grant(code, client, request):
            # RFC 6749 §4.1.2: a code used twice revokes the tokens it gave.
            flows.revoke_tokens_of_reused_code(code_hash(code), client)
            return False
        request.sign_in_context = self._code_context(code, client, request)
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
