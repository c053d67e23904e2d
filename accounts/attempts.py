"""Every check of a secret is a counted attempt (style.md "One function per secret check";
django-otp's ``verify_token`` with its throttle is the model).

Passwords at sign-in, re-authentication, password change and factor removal; security answers;
authenticator, e-mail and SMS codes; recovery codes: each form that verifies one calls
``check_secret``, which

1. refuses at once when the account is locked, or the client's IP or network is at its
   limit: the latter looked at in the same step as 2 (accounts.counters.reserve_unless);
2. reserves the attempt in the shared counters *before* the check (accounts.counters), so
   that parallel guesses never get more checks than the limit allows, and looks at the
   account's lock again after reserving;
3. runs the check; a check that refuses because the previous try was too recent raises
   ``Throttled`` and is given back, never counted as a wrong guess;
4. keeps a wrong answer counted (locking the account at its limit), gives back a right one;
5. writes one audit event with the result (a right answer's may be written by the check
   itself, in the statement of its own write: ``SuccessRecord``);
6. after a right secret of a signed-in person (``audit.SECRET_CHECK``), raises
   ``AccountDeleted`` when their account was deleted while it was checked.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import ngettext

from accounts import audit, counters, lockout
from accounts.lockout import AccountLimit, Refusal
from accounts.models import AuditEvent, User, raise_if_deleted
from sso.net import client_ip


class Throttled(Exception):
    """Raised by a check that refuses because the last try was too recent (django-otp's
    throttle); ``seconds`` until the next try is let through (>= 1)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = max(1, int(seconds))


@dataclass
class SuccessRecord:
    """The audit event of a right answer, offered to the check while it runs: a check that
    writes when it accepts (the authenticator's replay guard, mfa.totp) may write the event in
    that same statement, only if its write was made, and then sets ``written``; else
    ``check_secret`` records it as any other event. ``make`` builds the event (not written)."""

    make: Callable[[], AuditEvent]
    written: bool = False


_OFFERED = "_attempts_success_record"


def offered_success(request: HttpRequest) -> SuccessRecord | None:
    """The ``SuccessRecord`` of the check ``check_secret`` runs for ``request`` now, or None."""
    return getattr(request, _OFFERED, None)


@dataclass(frozen=True)
class Attempt:
    """The outcome of ``check_secret``: ``ok``, or why not.

    ``refusal`` is set when the secret was not checked at all (locked, blocked, too fast);
    ``locked`` when this wrong answer reached the account's limit; ``spent`` when the question
    of an ``AnswerLimit`` had taken all its answers (not checked either).
    """

    ok: bool
    refusal: Refusal | None = None
    locked: bool = False
    spent: bool = False
    answers: int = 0  # with ``AnswerLimit``: the answers counted so far, this one included


@dataclass(frozen=True)
class AnswerLimit:
    """The answers one question takes (a sign-in's challenge: MFA_CODE_MAX_FAILURES, seeds/003
    Table 2), counted by ``check_secret`` with the attempt's other counters in one step.

    ``key`` is the question's counter, living ``window_seconds``; an answer past ``most`` is
    refused unchecked (``Attempt.spent``). An answer is counted before its check, so parallel
    answers each count, and given back only when it was never checked."""

    key: str
    window_seconds: int
    most: int


def check_secret(
    request: HttpRequest,
    verify: Callable[[], bool],
    *,
    user: User | None,
    kind: str,
    method: str,
    limit: AccountLimit | None = None,
    username: str = "",
    fresh: Callable[[User | None], User | None] = lockout.fresh,
    answers: AnswerLimit | None = None,
    **details: object,
) -> Attempt:
    """Checks one secret under the account, IP and network limits and records the attempt.

    ``verify`` runs the check (True = right); it may raise ``Throttled``. ``user`` is the
    account the secret belongs to (None for a typed name no account has; ``username`` is then
    the typed name, counted by its canonical form). ``kind`` and ``method`` name the audit event
    (accounts.audit kinds; RFC 8176 ``amr``-like method such as ``pwd``, ``otp``, ``kba``);
    ``details`` go into it. ``limit`` is the account's family of counters, passwords by
    default (accounts.lockout.password_limit / second_factor_limit). ``fresh`` reads the
    account's lock, hash and active flag again once the attempt is reserved (``lockout.fresh``;
    a check may read what it needs besides in the same statement). ``answers`` also counts the
    answer to one question (``AnswerLimit``; its count is ``Attempt.answers``): an answer past
    its most is refused unchecked (``Attempt.spent``) and not recorded, its count kept.
    Returns an ``Attempt``. Raises ``AccountDeleted`` for a right secret of kind
    ``audit.SECRET_CHECK`` (a signed-in person's) whose account's row is gone by then.
    """
    limit = limit or lockout.password_limit()
    username = username or (user.get_username() if user is not None else "")
    ip = client_ip(request)

    def record(result: str, **extra: object) -> None:
        audit.record(
            request, kind, result, user=user, username=username, method=method,
            **details, **extra,
        )  # fmt: skip

    # A blocked IP or network is told before a locked account.
    refusal = lockout.account_refusal(username, user)
    if refusal is not None:
        refusal = lockout.ip_refusal(ip) or refusal
        record(audit.REFUSED, reason=refusal.code)
        return Attempt(False, refusal)

    window = settings.ACCOUNTS_IP_BLOCK_MINUTES * 60
    account = lockout.account_key(limit, username, user)
    ip_limits = lockout.ip_limits(ip)
    windows = dict.fromkeys(ip_limits, window)
    windows[account] = limit.window_seconds
    if answers is not None:
        windows[answers.key] = answers.window_seconds
    # The IP's and network's counts are looked at and the attempt reserved in one step: a
    # client already at its limit reserves nothing (accounts.counters.reserve_unless).
    counts = counters.reserve_unless(ip_limits, windows)
    if counts is None:
        record(audit.REFUSED, reason=lockout.IP_BLOCKED)
        return Attempt(False, lockout.ip_blocked())
    answer_count = counts.pop() if answers is not None else 0
    *ip_counts, account_count = counts

    def give_back() -> None:  # the secret was never checked: nothing counts
        counters.release(*windows)

    def give_back_attempt() -> None:  # the answer's count stands (the question is spent or over)
        counters.release(*ip_limits, account)

    if answers is not None and answer_count > answers.most:
        give_back_attempt()
        return Attempt(False, spent=True, answers=answer_count)

    # Parallel attempts already hold the rest of the allowance: refuse without checking.
    if any(count > most for count, most in zip(ip_counts, ip_limits.values(), strict=True)):
        give_back()
        refusal = lockout.ip_blocked()
    elif account_count > limit.threshold:
        give_back()
        refusal = Refusal(lockout.ACCOUNT_LOCKED, limit.lock_minutes * 60)
    else:
        # A lock written by a parallel attempt after our first look: it is written before
        # that attempt clears the counter, so a reservation made after the clear sees it.
        refusal = lockout.account_refusal(username, fresh(user))
        if refusal is not None:
            give_back()
    if refusal is not None:
        record(audit.REFUSED, reason=refusal.code)
        return Attempt(False, refusal)

    def success_event() -> AuditEvent:
        return audit.event(
            request, kind, audit.SUCCESS, user=user, username=username, method=method,
            **details,
        )  # fmt: skip

    success = SuccessRecord(success_event)
    outer = offered_success(request)
    setattr(request, _OFFERED, success)
    try:
        ok = verify()
    except Throttled as too_fast:
        give_back()
        record(audit.REFUSED, reason=lockout.THROTTLED)
        return Attempt(False, Refusal(lockout.THROTTLED, too_fast.seconds))
    finally:
        setattr(request, _OFFERED, outer)
    if ok:
        give_back_attempt()
        if not success.written:
            record(audit.SUCCESS)
        if kind == audit.SECRET_CHECK and user is not None:
            # A signed-in person's secret may match the row read before an admin deleted the
            # account (a password's hash takes tens of milliseconds), and the step after it
            # may write nothing that would fail for it: their request is signed out
            # (accounts.middleware), as when a write fails, not let on as if all were well.
            raise_if_deleted(user)
        return Attempt(True, answers=answer_count)
    locked = account_count >= limit.threshold
    if locked:
        lockout.lock(limit, username, user)
        counters.clear(account)  # the lock holds the account now; its end starts a new count
    record(audit.FAILURE, **({"reason": "locked"} if locked else {}))
    return Attempt(False, locked=locked, answers=answer_count)


def refusal_message(refusal: Refusal) -> str:
    """What the page says when an attempt was refused before its check (already translated)."""
    if refusal.code == lockout.THROTTLED:
        return ngettext(
            "Too fast: wait %(seconds)d second before trying again.",
            "Too fast: wait %(seconds)d seconds before trying again.",
            refusal.seconds_left,
        ) % {"seconds": refusal.seconds_left}
    if refusal.code == lockout.IP_BLOCKED:
        return ngettext(
            "Too many failed attempts from your network. Try again in %(minutes)d minute.",
            "Too many failed attempts from your network. Try again in %(minutes)d minutes.",
            refusal.minutes_left,
        ) % {"minutes": refusal.minutes_left}
    return ngettext(
        "This account is locked for %(minutes)d minute after too many failed attempts. "
        "Try again later or contact your administrator.",
        "This account is locked for %(minutes)d minutes after too many failed attempts. "
        "Try again later or contact your administrator.",
        refusal.minutes_left,
    ) % {"minutes": refusal.minutes_left}
