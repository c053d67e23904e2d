"""Stand-in credentials for a username-first passkey sign-in that names no passkey.

``allowCredentials`` lists the passkeys of the account being signed in to. Listing nothing
for an unknown name, or for an account without passkeys, would tell anyone who types a name
which accounts hold passkeys (design.md: no user enumeration; WebAuthn L3 §14.6.2 "Username
Enumeration" suggests exactly this). Such a name gets instead one or two credential ids
derived by HMAC (keyed with ``SECRET_KEY``) from the canonical form of the name as typed
(``accounts.usernames.canonical_username``, the form every lookup uses): the same name, however
spelled, always gets the same ids, with plausible lengths and transports,
and no authenticator holds them, so an answer is refused like one for another account.
"""

from django.utils.crypto import salted_hmac
from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

from accounts.usernames import canonical_username

_SALT = "mfa.passkeys.decoys"
# Credential id lengths seen from common authenticators (platform, phones, security keys).
_ID_LENGTHS = (16, 20, 32, 64)
_TRANSPORTS = (
    [AuthenticatorTransport.INTERNAL],
    [AuthenticatorTransport.HYBRID, AuthenticatorTransport.INTERNAL],
    [AuthenticatorTransport.NFC, AuthenticatorTransport.USB],
    [AuthenticatorTransport.USB],
)


def _stream(username: str, index: int) -> bytes:
    """128 pseudo-random bytes for decoy ``index`` of ``username``, stable for one SECRET_KEY."""
    name = canonical_username(username)
    return b"".join(
        salted_hmac(_SALT, f"{index}:{block}:{name}", algorithm="sha512").digest()
        for block in range(2)
    )


def decoy_descriptors(username: str) -> list[PublicKeyCredentialDescriptor]:
    """One or two credential descriptors for ``username``, the same at every call.

    Takes the name as typed (any string); returns descriptors shaped like real ones (id of
    16 to 64 bytes, transports), which match no stored passkey.
    """
    count = 1 + _stream(username, 0)[0] % 2
    descriptors = []
    for index in range(1, count + 1):
        stream = _stream(username, index)
        length = _ID_LENGTHS[stream[0] % len(_ID_LENGTHS)]
        transports = _TRANSPORTS[stream[1] % len(_TRANSPORTS)]
        descriptors.append(
            PublicKeyCredentialDescriptor(id=stream[2 : 2 + length], transports=list(transports))
        )
    return descriptors
