"""A new e-mail address or phone number counts only once the code sent to it is typed back.

The Email and SMS tabs of Security Settings share this: the change waits in the session with
the attempt its code is bound to (seeds/001: a code works only for the attempt that asked for
it), can be re-sent or cancelled, and ends when the code is right. What sends the code and what
saves the destination differ per channel and are passed in.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from mfa.flows import check_enrolment_code, enrolment_code_error


@dataclass(frozen=True)
class PendingChange:
    destination: str
    attempt_id: str


class DestinationChange:
    """One channel's change waiting for its code, kept under ``session_key``."""

    def __init__(self, session_key: str, attempt_prefix: str) -> None:
        self.session_key = session_key
        self.attempt_prefix = attempt_prefix

    def pending(self, request: HttpRequest) -> PendingChange | None:
        data = request.session.get(self.session_key)
        if not isinstance(data, dict) or not data.get("destination") or not data.get("attempt_id"):
            return None
        return PendingChange(str(data["destination"]), str(data["attempt_id"]))

    def start(self, request: HttpRequest, destination: str, send: Callable[[str], str]) -> str:
        """Sends a code to ``destination`` for a new attempt (``send(attempt_id)`` returns the
        refusal or ''); once sent, the change waits for the code. Returns the refusal."""
        attempt_id = self.attempt_prefix + secrets.token_urlsafe(16)
        error = send(attempt_id)
        if not error:
            request.session[self.session_key] = {
                "destination": destination,
                "attempt_id": attempt_id,
            }
        return error

    def resend(self, request: HttpRequest, send: Callable[[PendingChange], str]) -> str | None:
        """A new code for the waiting change (the previous one dies); None when none waits."""
        change = self.pending(request)
        return None if change is None else send(change)

    def confirm(
        self, request: HttpRequest, change: PendingChange, save: Callable[[PendingChange], str]
    ) -> str:
        """``save(change)`` checks the code and stores the destination, returning the refusal
        or ''; a saved change stops waiting. The check is a counted attempt of the signed-in
        user (accounts.attempts, second-factor limits)."""
        errors: list[str] = []

        def verify() -> bool:
            errors.append(save(change))
            return not errors[-1]

        attempt = check_enrolment_code(request, request.user, verify, self.session_key)
        if attempt.ok:
            self.cancel(request)
            return ""
        return enrolment_code_error(attempt, errors[-1] if errors else "")

    def cancel(self, request: HttpRequest) -> None:
        request.session.pop(self.session_key, None)


def announce_resend(request: HttpRequest, error: str | None) -> None:
    """The page's message after ``DestinationChange.resend``: the refusal, or that a new code
    is on its way; nothing when no change was waiting."""
    if error:
        messages.error(request, error)
    elif error is not None:
        messages.success(request, _("A new code is on its way. The previous code no longer works."))
