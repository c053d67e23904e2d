"""The refusals of the passkey endpoints: a stable code for scripts and a message for people."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

BAD_REQUEST = "bad_request"
BODY_TOO_LARGE = "body_too_large"
BAD_ENCODING = "bad_encoding"
NO_CHALLENGE = "no_challenge"
CHALLENGE_EXPIRED = "challenge_expired"
VERIFICATION_FAILED = "verification_failed"
ALREADY_REGISTERED = "already_registered"
UNKNOWN_CREDENTIAL = "unknown_credential"
USER_HANDLE_MISMATCH = "user_handle_mismatch"
SIGN_COUNT_REGRESSION = "sign_count_regression"
BACKUP_FLAGS_CHANGED = "backup_flags_changed"
ACCOUNT_UNAVAILABLE = "account_unavailable"
REAUTH_REQUIRED = "reauth_required"
PROOF_REQUIRED = "proof_required"
BAD_PUBLIC_KEY = "bad_public_key"
# A step posted from the page of another sign-in than the one under way; its message is the
# challenge pages' for that case (accounts.signin.flows.another_signin_began).
ANOTHER_SIGNIN = "another_signin"

MESSAGES: dict[str, Promise] = {
    BAD_REQUEST: _("The request was not understood. Reload the page and try again."),
    BODY_TOO_LARGE: _("The request is too large."),
    BAD_ENCODING: _("The passkey response is malformed. Reload the page and try again."),
    NO_CHALLENGE: _("This passkey request is no longer valid. Please start again."),
    CHALLENGE_EXPIRED: _("The passkey request timed out. Please start again."),
    VERIFICATION_FAILED: _("The passkey could not be verified. Please try again."),
    ALREADY_REGISTERED: _("This passkey is already registered."),
    UNKNOWN_CREDENTIAL: _("This passkey is not registered for this account."),
    USER_HANDLE_MISMATCH: _("This passkey is not registered for this account."),
    SIGN_COUNT_REGRESSION: _(
        "This passkey was refused because it may have been copied. Contact your administrator."
    ),
    BACKUP_FLAGS_CHANGED: _("The passkey could not be verified. Please try again."),
    ACCOUNT_UNAVAILABLE: _("This account cannot sign in with a passkey right now."),
    REAUTH_REQUIRED: _("Please confirm it is you before changing your passkeys."),
    PROOF_REQUIRED: _(
        "Before your first second factor, confirm it is you with a code sent to your e-mail."
    ),
    BAD_PUBLIC_KEY: _("This device sent a key that can never be used. Try another device."),
}


class PasskeyError(Exception):
    """A refused passkey step; nothing was changed."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.code, MESSAGES[VERIFICATION_FAILED]))
