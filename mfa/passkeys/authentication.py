"""Signing in with a passkey (WebAuthn L3 §7.2) with py_webauthn.

py_webauthn verifies the assertion (challenge, origin, RP ID hash, flags, signature); the
relying party's part is here: finding the credential, checking it belongs to the account
that signs in and to the returned user handle (§7.2 step 6), the backup flags against the
stored record (§6.1.3) and the signature counter (§6.1.1, step 22), saved under a row lock.
"""

import hmac
import logging
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import generate_authentication_options, verify_authentication_response
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers import (
    bytes_to_base64url,
    options_to_json_dict,
    parse_authentication_credential_json,
)
from webauthn.helpers.structs import CredentialDeviceType, UserVerificationRequirement

from accounts.lockout import find_user
from accounts.models import User
from mfa.passkeys import challenges, conf
from mfa.passkeys.decoys import decoy_descriptors
from mfa.passkeys.encoding import AUTHENTICATION_FIELDS, check_credential_json
from mfa.passkeys.errors import (
    ACCOUNT_UNAVAILABLE,
    BACKUP_FLAGS_CHANGED,
    SIGN_COUNT_REGRESSION,
    UNKNOWN_CREDENTIAL,
    USER_HANDLE_MISMATCH,
    VERIFICATION_FAILED,
    PasskeyError,
)
from mfa.passkeys.models import Challenge, Passkey, UserHandle
from mfa.passkeys.registration import descriptors

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifiedPasskey:
    passkey: Passkey
    user_verified: bool


def signin_user(username: str) -> User | None:
    """The account a username-first sign-in names, or None (the pages look the same)."""
    return find_user(username) if username else None


def authentication_options(
    request: HttpRequest,
    purpose: str,
    user: User | None,
    *,
    usernameless: bool = False,
    typed_username: str = "",
) -> dict:
    """Options for ``navigator.credentials.get()``.

    With a user, allowCredentials lists their passkeys (username first, second factor);
    usernameless, it is empty and the authenticator offers its discoverable credentials. A
    username-first sign-in (``typed_username``) for an unknown name or an account without
    passkeys lists the name's decoys instead (mfa/passkeys/decoys.py), so that the answer
    has the same shape whatever the name; an answer is then refused like one for another
    account.
    """
    challenge = challenges.issue(request, purpose, user, usernameless=usernameless)
    passkeys = list(user.passkeys.all()) if user is not None else []
    allowed = descriptors(passkeys)
    if typed_username and not allowed:
        allowed = decoy_descriptors(typed_username)
    uv = (
        UserVerificationRequirement.PREFERRED
        if purpose == Challenge.Purpose.SECOND_FACTOR
        else UserVerificationRequirement.REQUIRED
    )
    options = generate_authentication_options(
        rp_id=conf.rp_id(),
        challenge=challenge,
        timeout=conf.challenge_seconds() * 1000,
        allow_credentials=allowed,
        user_verification=uv,
    )
    return options_to_json_dict(options)


def verify_passkey(request: HttpRequest, purpose: str, credential: object) -> VerifiedPasskey:
    """Checks an assertion for ``purpose`` and records the use; PasskeyError otherwise.

    A passwordless sign-in requires user verification; a second factor after a password
    needs only presence. Either way the challenge is spent, whatever the outcome.
    """
    credential = check_credential_json(credential, AUTHENTICATION_FIELDS)
    challenge = challenges.consume(request, purpose)
    try:
        parsed = parse_authentication_credential_json(credential)
    except Exception as exc:  # the client's bytes: any parser error is a refusal
        raise PasskeyError(VERIFICATION_FAILED) from exc
    credential_id = bytes_to_base64url(parsed.raw_id)
    with transaction.atomic():
        passkey = (
            Passkey.objects.select_for_update()
            .select_related("user")
            .filter(credential_id=credential_id)
            .first()
        )
        _check_owner(passkey, challenge, parsed.response.user_handle)
        assert passkey is not None
        try:
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=bytes(challenge.challenge),
                expected_rp_id=conf.rp_id(),
                expected_origin=conf.allowed_origins(request),
                credential_public_key=bytes(passkey.public_key),
                # 0 turns py_webauthn's own counter check off: ours below refuses the same
                # cases and records them, and only for an assertion whose signature is good.
                credential_current_sign_count=0,
                require_user_verification=purpose != Challenge.Purpose.SECOND_FACTOR,
            )
        except Exception as exc:
            # Authenticator data and signature are the client's bytes: beside
            # WebAuthnException, garbage may raise anything from the parsers; all refuse.
            logger.warning("passkey %s refused: %s", passkey.pk, exc)
            raise PasskeyError(VERIFICATION_FAILED) from exc
        _check_counter_and_backup(passkey, verified)
        if not passkey.user.is_active or passkey.user.is_locked:
            logger.warning("passkey %s refused: account unavailable", passkey.pk)
            raise PasskeyError(ACCOUNT_UNAVAILABLE)
        passkey.sign_count = verified.new_sign_count
        passkey.backup_state = verified.credential_backed_up
        passkey.last_used_at = timezone.now()
        passkey.save(update_fields=["sign_count", "backup_state", "last_used_at"])
    return VerifiedPasskey(passkey=passkey, user_verified=verified.user_verified)


def _check_owner(passkey: Passkey | None, challenge: Challenge, user_handle: bytes | None) -> None:
    if passkey is None:
        logger.warning("passkey sign-in refused: unknown credential")
        raise PasskeyError(UNKNOWN_CREDENTIAL)
    if not challenge.usernameless and passkey.user_id != challenge.user_id:
        logger.warning(
            "passkey %s of user %s refused for user %s",
            passkey.pk,
            passkey.user_id,
            challenge.user_id,
        )
        raise PasskeyError(UNKNOWN_CREDENTIAL)
    # §7.2 step 6: without a user named beforehand the user handle is required; with one, a
    # returned handle must still be the owner's.
    if user_handle is None and challenge.usernameless:
        raise PasskeyError(USER_HANDLE_MISMATCH)
    if user_handle is not None:
        owner_handle = UserHandle.objects.filter(user_id=passkey.user_id).first()
        if owner_handle is None or not hmac.compare_digest(bytes(owner_handle.handle), user_handle):
            logger.warning("passkey %s refused: user handle does not match", passkey.pk)
            raise PasskeyError(USER_HANDLE_MISMATCH)


def _check_counter_and_backup(passkey: Passkey, verified: VerifiedAuthentication) -> None:
    new_count = verified.new_sign_count
    # §6.1.1: a counter that does not grow (for an authenticator that counts) means the
    # credential may have been cloned. Refuse, and leave a trace for the audit trail.
    if (new_count > 0 or passkey.sign_count > 0) and new_count <= passkey.sign_count:
        logger.warning(
            "passkey %s of user %s refused: sign count %s after %s (possible clone)",
            passkey.pk,
            passkey.user_id,
            new_count,
            passkey.sign_count,
        )
        raise PasskeyError(SIGN_COUNT_REGRESSION)
    # §6.1.3: backup eligibility is fixed when the credential is made; a change means this is
    # not the authenticator we registered. Backup state may change and is saved.
    eligible = verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    if eligible != passkey.backup_eligible:
        logger.warning("passkey %s refused: backup eligibility changed", passkey.pk)
        raise PasskeyError(BACKUP_FLAGS_CHANGED)
