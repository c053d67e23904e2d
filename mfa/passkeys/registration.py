"""Registering a passkey on Security Settings (WebAuthn L3 §7.1) with py_webauthn.

py_webauthn checks the ceremony itself (type, challenge, origin, RP ID hash, flags, key
algorithm, attestation statement); what it leaves to the relying party is done here: the
challenge store, the exclusion of known credentials and refusing a credential id already
registered (§7.1 step 26), and a public key that is usable at all: for the "none" attestation
py_webauthn never loads the key, so a point off its curve would be stored and then refuse every
sign-in (§7.1 step 24 lets the relying party refuse an unusable key).
"""

import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from webauthn import generate_registration_options, verify_registration_response
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    decode_credential_public_key,
    decoded_public_key_to_cryptography,
    options_to_json_dict,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import User, deleted_meanwhile
from mfa.passkeys import challenges, conf
from mfa.passkeys.encoding import REGISTRATION_FIELDS, check_credential_json
from mfa.passkeys.errors import (
    ALREADY_REGISTERED,
    BAD_PUBLIC_KEY,
    VERIFICATION_FAILED,
    PasskeyError,
)
from mfa.passkeys.models import Challenge, Passkey, UserHandle

logger = logging.getLogger(__name__)

_KNOWN_TRANSPORTS = {t.value for t in AuthenticatorTransport}


def descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    """Credential descriptors with their transports, for exclude/allowCredentials."""
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(p.credential_id),
            transports=[AuthenticatorTransport(t) for t in p.transports if t in _KNOWN_TRANSPORTS],
        )
        for p in passkeys
    ]


def registration_options(request: HttpRequest, user: User) -> dict:
    """The options for ``navigator.credentials.create()``, as JSON-ready dict."""
    challenge = challenges.issue(request, Challenge.Purpose.REGISTER, user)
    options = generate_registration_options(
        rp_id=conf.rp_id(),
        rp_name=conf.rp_name(),
        user_id=UserHandle.for_user(user),
        user_name=user.username,
        user_display_name=user.get_full_name(),
        challenge=challenge,
        timeout=conf.challenge_seconds() * 1000,
        # seeds/002: only a public key reaches the server; we trust no attestation chain.
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            # Preferred, so that the same passkey also serves the usernameless sign-in.
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        # §5.4 excludeCredentials: the authenticator refuses to make a second one for us.
        exclude_credentials=descriptors(list(user.passkeys.all())),
    )
    return options_to_json_dict(options)


def check_public_key(cose_key: bytes) -> None:
    """Refuses (BAD_PUBLIC_KEY) a COSE public key that no signature could ever verify under:
    an EC2 point off its curve, an RSA key cryptography will not load, an unsupported type."""
    try:
        decoded_public_key_to_cryptography(decode_credential_public_key(cose_key))
    except Exception as exc:  # ValueError, UnsupportedPublicKey, KeyError... on hostile input
        logger.warning("passkey registration refused: unusable public key (%s)", type(exc).__name__)
        raise PasskeyError(BAD_PUBLIC_KEY) from exc


def register_passkey(request: HttpRequest, user: User, name: str, credential: object) -> Passkey:
    """Verifies the browser's answer and stores the new passkey; PasskeyError otherwise."""
    credential = check_credential_json(credential, REGISTRATION_FIELDS)
    challenge = challenges.consume(request, Challenge.Purpose.REGISTER)
    if challenge.user_id != user.pk:
        raise PasskeyError(VERIFICATION_FAILED)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=bytes(challenge.challenge),
            expected_rp_id=conf.rp_id(),
            expected_origin=conf.allowed_origins(request),
        )
    except Exception as exc:
        # The attestation statement is the client's bytes, parsed by py_webauthn's format
        # parsers (TPM, Apple, Android...): beside WebAuthnException, garbage there raises
        # TypeError, KeyError, IndexError, struct.error. Whatever it is, the answer is refused.
        logger.warning("passkey registration refused for user %s: %s", user.pk, type(exc).__name__)
        raise PasskeyError(VERIFICATION_FAILED) from exc
    check_public_key(verified.credential_public_key)
    # The id in the authenticator data is the one the authenticator will present later.
    credential_id = bytes_to_base64url(verified.credential_id)
    transports = credential["response"].get("transports") or []
    passkey = Passkey(
        user=user,
        name=name,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t for t in transports if t in _KNOWN_TRANSPORTS],
        aaguid=verified.aaguid,
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backup_state=verified.credential_backed_up,
    )
    try:
        with transaction.atomic():
            # §7.1 step 26: a credential id known to us (for any account) is refused.
            if Passkey.objects.filter(credential_id=credential_id).exists():
                logger.warning("passkey registration refused for user %s: known id", user.pk)
                raise PasskeyError(ALREADY_REGISTERED)
            passkey.save()
    except IntegrityError as exc:
        if deleted_meanwhile(user, exc):  # signed out by accounts.middleware, as any request
            raise
        raise PasskeyError(ALREADY_REGISTERED) from exc
    logger.info("passkey %s registered for user %s", passkey.pk, user.pk)
    return passkey
