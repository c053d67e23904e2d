"""One interface for every way of passing the sign-in challenge (authentik's habit: a small
class with one job per authenticator).

The challenge page lists the methods the user has enrolled; picking one calls ``start`` (which
for e-mail or SMS sends a code); submitting the form calls ``verify``. Someone whose only factor
sends a code skips the list: ``start`` runs right after the password (mfa.flows). Methods are
listed by dotted path in the ``MFA_CHALLENGE_METHODS`` setting.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise

from accounts import lockout
from accounts.models import User

# Where mfa.challenge.factors keeps, for one request, what a loaded User has enrolled.
ENROLLED_ATTRIBUTE = "_mfa_enrolled"


@dataclass
class PendingSignin:
    """The half-signed-in state: the password (or nothing yet, for step-up) is done.

    ``attempt_id`` is random per sign-in attempt: codes are bound to it (seeds/001), so a code
    sent for one attempt never works in another, nor for another user.
    """

    user: User
    attempt_id: str
    methods: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    error: str = ""  # shown next to the field when not ok (already translated)


class ChallengeMethod(ABC):
    """Base class: one way to pass the challenge."""

    slug: str = ""
    label: str | Promise = ""
    # RFC 8176 `amr` values this method adds to the session, e.g. ("otp",), ("sms",).
    amr: tuple[str, ...] = ()
    # The partial template with the method's form fields (included in the challenge page).
    template_name: str = ""
    # The form the challenge page binds to what the user sent; None means the 6-digit code form.
    form_class: type | None = None
    # Picking the method sends something (an e-mail, an SMS), so the pick is a POST that calls
    # ``start``; the others are plain links to their page: one request less, nothing to send.
    sends_message: bool = False

    def blocked_seconds(self, user: User) -> int:
        """Seconds until the method may be used again (a blocked code channel); 0 when now."""
        return 0

    def enrolled_rows(self) -> QuerySet | None:
        """The rows (with a ``user`` key) of which one makes a user enrolled, e.g. confirmed
        authenticators. The sign-in reads every method's at once, with the user
        (mfa.challenge.factors); None for a method that answers ``is_enrolled`` itself."""
        return None

    def is_enrolled(self, user: User) -> bool:
        """Whether ``user`` has this factor on and confirmed (read with the user when it was
        loaded for the challenge, mfa.challenge.factors)."""
        known = getattr(user, ENROLLED_ATTRIBUTE, None)
        if known is not None and self.slug in known:
            return known[self.slug]
        rows = self.enrolled_rows()
        if rows is None:
            raise NotImplementedError(f"{type(self).__name__} names no enrolled_rows")
        return rows.filter(user=user).exists()

    def describe(self, user: User) -> str:
        """A hint shown with the method, e.g. the masked address the code goes to."""
        return ""

    def context(self, request: HttpRequest, pending: PendingSignin) -> dict:
        """Extra template context for the method's page (e.g. whether the code was sent)."""
        return {}

    def fresh(self, user: User | None) -> User | None:
        """``user``'s lock, hash and active flag read again once an answer is reserved
        (``accounts.lockout.fresh``); a method may read what its ``verify`` needs with them."""
        return lockout.fresh(user)

    def start(self, request: HttpRequest, pending: PendingSignin) -> str:
        """Called when the user picks the method; returns an error message or ''."""
        return ""

    @abstractmethod
    def verify(self, request: HttpRequest, pending: PendingSignin, data: dict) -> VerifyResult:
        """Checks what the user submitted; counts failures and marks codes used itself."""
