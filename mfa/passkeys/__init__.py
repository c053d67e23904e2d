"""Passkeys (WebAuthn): enrolment on Security Settings, passwordless sign-in, second factor."""

# RFC 8176 `amr` of a passkey sign-in with user verification: something you have (hwk) proved
# together with something you are or know on the device (user). Already multi-factor.
PASSKEY_AMR: tuple[str, ...] = ("hwk", "user")
