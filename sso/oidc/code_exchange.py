"""The token endpoint's code exchange inside django-oauth-toolkit's validator: each row read
once, the tokens saved in one transaction with the code's end.

DOT answers oauthlib's questions about a code one query at a time and commits the ID token,
the access and refresh tokens and the grant's deletion in three transactions. This mixin of
``PortalOAuth2Validator`` keeps DOT's rules and reads the grant once (with its user and
application, which is also the client that then authenticates), and saves the three tokens
in the transaction that deletes the grant, so that a code gives tokens once even to two
exchanges at the same moment (RFC 6749 §4.1.2). ID tokens are signed by id_tokens.py.
"""

import hashlib
import json
import secrets
from datetime import timedelta

from django.utils import timezone
from oauth2_provider.bcp import bcp_compliant
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from sso.oidc import flows, id_tokens, rows
from sso.oidc.models import Application, SignInContext


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def random_token(request: OAuthlibRequest | None = None) -> str:
    """An access or refresh token: 256 random bits, URL-safe (43 characters).

    oauthlib's default draws 30 characters one by one from ``SystemRandom`` (about 180 bits)
    at a few microseconds each; ``secrets`` gives more entropy in one call. DOT's
    ``ACCESS_TOKEN_GENERATOR`` and ``REFRESH_TOKEN_GENERATOR`` (provider_settings.py).
    """
    return secrets.token_urlsafe(32)


def one(queryset):
    """The row of a lookup on a unique column, or None (``first()`` would add an ORDER BY)."""
    return next(iter(queryset[:1]), None)


class CodeExchangeMixin:
    """Overrides of ``OAuth2Validator`` for the code exchange (see the module docstring)."""

    def _load_application(self, client_id, request: OAuthlibRequest) -> Application | None:
        """At the token endpoint the code's grant was read first, with its application: when
        that is the client named, DOT takes it from there (and still checks that it is usable)
        instead of reading the same row again. The client then authenticates as always."""
        grant = getattr(request, "portal_grant", None)
        if request.client is None and grant is not None:
            request.client = grant.application if grant.application.client_id == client_id else None
        return super()._load_application(client_id, request)

    # --- One read of the code's grant per token request ------------------------------------------
    #
    # oauthlib asks for the code's scopes, nonce, PKCE challenge and method, redirect URI and
    # validity one question at a time, and DOT answers each with its own query (and once more
    # for RFC 8707 resources). The grant row is read once per token request instead, with its
    # user and application; every answer keeps DOT's rule (the code must belong to the
    # authenticated client where DOT filters by it).

    def _grant(self, code: str, request: OAuthlibRequest):
        """The grant of ``code`` (None when there is none), read once per request."""
        cached = getattr(request, "portal_grant", None)
        if cached is not None and cached.code == code:
            return cached
        if rows.available():
            # With the sign-in context recorded for the code (validate_code takes it).
            grant, request.portal_code_context = rows.read_code(
                get_grant_model(), SignInContext, code, code_hash(code)
            )
        else:
            grants = get_grant_model().objects.select_related("user", "application")
            grant = one(grants.filter(code=code))
        request.portal_grant = grant
        return grant

    def _code_context(self, code: str, client, request: OAuthlibRequest):
        """The sign-in context recorded for ``code`` given to ``client`` (None if none): the
        one read with the grant, or read now."""
        grant = getattr(request, "portal_grant", None)
        if grant is not None and grant.code == code and hasattr(request, "portal_code_context"):
            context = request.portal_code_context
            return context if context is not None and context.application_id == client.pk else None
        return one(SignInContext.objects.filter(code_hash=code_hash(code), application=client))

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
        if not grant.code_challenge and request.code_verifier is not None:
            # RFC 9700 § 2.1.1: a code_verifier for a code issued without a code_challenge is
            # refused, or an attacker who injects a stolen code could pass it off as PKCE'd
            # (a PKCE downgrade); oauthlib only checks a verifier against a challenge.
            raise errors.InvalidGrantError(
                description="A code_verifier was sent for a code issued without PKCE.",
                request=request,
            )
        return grant.code_challenge or None

    def get_code_challenge_method(self, code, request):
        grant = self._client_grant(code, request.client, request)
        if grant is None:
            raise get_grant_model().DoesNotExist
        return grant.code_challenge_method or None

    def _check_and_set_request_resource(self, request) -> None:
        """RFC 8707: with no resource asked at the token endpoint and none on the grant there is
        nothing to check or narrow (DOT would read the grant again to find that out).

        Run once per request, before the grant is deleted (``_save_bearer_token``): DOT's own
        check reads the grant's resources, which must still be there."""
        if getattr(request, "portal_resource_checked", False):
            return
        request.portal_resource_checked = True
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

    # --- The code and its sign-in context, in one statement -----------------------------------

    def _create_authorization_code(self, request: OAuthlibRequest, code: dict, expires=None):
        """The grant, saved with the sign-in context of the portal session that asked for it
        (flows.sign_in_context) in one statement (rows.py); the ORM's two inserts where that
        statement is not available."""
        session = getattr(request, "portal_session", None)
        Grant = get_grant_model()
        if session is None or not rows.available(Grant, SignInContext):
            grant = super()._create_authorization_code(request, code, expires)
            flows.record_sign_in_context(session, grant, code_hash(code["code"]))
            return grant
        grant = self._new_grant(request, code, expires)
        rows.insert_code(grant, flows.sign_in_context(session, grant, code_hash(code["code"])))
        return grant

    @staticmethod
    def _new_grant(request: OAuthlibRequest, code: dict, expires=None):
        """DOT's ``_create_authorization_code`` without the save: the same checks and values."""
        if not expires:
            seconds = oauth2_settings.AUTHORIZATION_CODE_EXPIRE_SECONDS
            expires = timezone.now() + timedelta(seconds=seconds)
        # RFC 9700 §2.1.1 / RFC 7636 §4.2: no "plain" PKCE (as DOT, behind the same setting).
        if request.code_challenge_method == "plain" and bcp_compliant(
            "COMPLIANT_BCP_RFC9700_PKCE_METHOD", 'The PKCE "plain" code_challenge_method'
        ):
            raise errors.InvalidRequestError(
                description='Unsupported "plain" code_challenge_method; use "S256".',
                request=request,
            )
        return get_grant_model()(
            application=request.client,
            user=request.user,
            code=code["code"],
            expires=expires,
            redirect_uri=request.redirect_uri,
            scope=" ".join(request.scopes),
            code_challenge=request.code_challenge or "",
            code_challenge_method=request.code_challenge_method or "",
            nonce=request.nonce or "",
            claims=json.dumps(request.claims or {}),
            resource=getattr(request, "resource", []),  # RFC 8707
        )

    # --- The code's tokens, in one transaction with the code's end ---------------------------
    #
    # DOT saves the ID token in a transaction of its own, the access and refresh tokens in a
    # second, and deletes the grant in a third, after the tokens are committed: two exchanges
    # of one code at the same moment could both get tokens. Here the grant is deleted first,
    # in the transaction that saves all three tokens (DOT's ``save_bearer_token``): the
    # second exchange waits for the first's row lock, deletes nothing, and its tokens are
    # rolled back (invalid_grant), as for a code used twice (RFC 6749 §4.1.2).

    def finalize_id_token(self, id_token: dict, token: dict, token_handler, request) -> str:
        """DOT's ID token, signed by sso/oidc/id_tokens.py and saved with the access token
        (``_save_bearer_token``); other algorithms than RS256 take DOT's own way."""
        pem = oauth2_settings.OIDC_RSA_PRIVATE_KEY
        if request.client.algorithm != Application.RS256_ALGORITHM or not pem:
            return super().finalize_id_token(id_token, token, token_handler, request)
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        # oauthlib bug #746, as DOT works around it.
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        signed = id_tokens.sign_rs256(id_token, pem)
        request.id_token = request.access_token = get_id_token_model()(
            user=request.user,
            scope=request.scope or " ".join(request.scopes),
            expires=expiration_time,
            jti=id_token["jti"],
            application=request.client,
        )
        return signed

    def save_bearer_token(self, token, request, *args, **kwargs):
        try:
            if self._in_one_statement(token, request):
                return self._save_code_tokens(token, request)
            return super().save_bearer_token(token, request, *args, **kwargs)
        except errors.InvalidGrantError:
            if request.grant_type == "authorization_code":
                # Another exchange of this code won the race: RFC 6749 §4.1.2 as in
                # validate_code.
                flows.revoke_tokens_of_reused_code(code_hash(request.code), request.client)
            raise

    @staticmethod
    def _in_one_statement(token: dict, request: OAuthlibRequest) -> bool:
        """Whether a code's tokens are saved by one statement (rows.exchange_code): an ID token
        signed here (RS256, not saved yet), a refresh token in the family the sign-in context
        named, and the statement available. Anything else takes DOT's way below."""
        if request.grant_type != "authorization_code" or "scope" not in token:
            return False
        id_token = getattr(request, "id_token", None)
        context = getattr(request, "sign_in_context", None)
        return (
            bool(token.get("refresh_token"))
            and isinstance(id_token, get_id_token_model())
            and id_token._state.adding
            and context is not None
            and context.token_family is not None
            and rows.available(
                get_grant_model(),
                get_id_token_model(),
                get_access_token_model(),
                get_refresh_token_model(),
            )
        )

    def _save_code_tokens(self, token: dict, request: OAuthlibRequest) -> None:
        """DOT's ``_save_bearer_token`` for a code (a new access token and the first refresh
        token of its family), the grant's deletion first, in one statement: nothing is saved
        and ``invalid_grant`` is raised when the code is gone (used, or used at this moment)."""
        self._check_and_set_request_resource(request)
        seconds = token.get("expires_in", oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)
        resource = getattr(request, "resource", [])  # RFC 8707
        access = get_access_token_model()(
            user=request.user,
            scope=token["scope"],
            expires=timezone.now() + timedelta(seconds=seconds),
            id_token=request.id_token,
            application=request.client,
            resource=resource,
        )
        self._set_token_value(access, token["access_token"])
        refresh = get_refresh_token_model()(
            user=request.user,
            application=request.client,
            access_token=access,
            token_family=request.sign_in_context.token_family,
            resource=resource,
        )
        self._set_token_value(refresh, token["refresh_token"])
        if not rows.exchange_code(
            request.code, get_grant_model(), request.id_token, access, refresh
        ):
            raise errors.InvalidGrantError(request=request)
        request.portal_code_used = True

    def _save_bearer_token(self, token, request, *args, **kwargs):
        """Inside DOT's transaction: the code's end, then the ID token, then DOT's tokens."""
        if request.grant_type == "authorization_code":
            self._check_and_set_request_resource(request)
            deleted, _ = (
                get_grant_model()
                .objects.filter(code=request.code, application=request.client)
                .delete()
            )
            if not deleted:
                raise errors.InvalidGrantError(request=request)
            request.portal_code_used = True
        id_token = getattr(request, "id_token", None)
        if isinstance(id_token, get_id_token_model()) and id_token._state.adding:
            id_token.save()
        return super()._save_bearer_token(token, request, *args, **kwargs)

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs) -> None:
        """The grant was deleted with the tokens' save (``_save_bearer_token``)."""
        if not getattr(request, "portal_code_used", False):
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)

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
