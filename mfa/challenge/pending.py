"""The half-signed-in state between the password and the second factor.

It lives in the session under ``PENDING_SESSION_KEY`` for ``MFA_PENDING_SECONDS`` (10 minutes).
Nobody is signed in while it lasts: only the challenge pages read it.
"""

import secrets
import time

from django.conf import settings
from django.http import HttpRequest

from accounts.attempts import AnswerLimit
from accounts.models import User
from accounts.signin import flows as signin_flows
from mfa.challenge import factors
from mfa.challenge.base import PendingSignin

PENDING_SESSION_KEY = "mfa.pending"
# The wrong answers of one attempt, in a shared counter (accounts.counters), not in the
# session: parallel answers each load the session before any saves it, so a count kept there
# loses all but one of theirs. The window outlives any attempt, resumed ones included.
_FAILURES_KEY = "mfa.challenge.failures:{}"
_FAILURES_WINDOW_SECONDS = 24 * 60 * 60
# The pending user loaded once per request: a view and the flow it calls both ask for it.
_REQUEST_MEMO = "_mfa_pending"


def begin_pending(
    request: HttpRequest,
    user: User,
    methods: list[str],
    *,
    step_up: bool = False,
    enrol: bool = False,
    next_url: str = "",
    resume: bool = False,
) -> PendingSignin:
    """Starts a challenge for ``user``; ``methods`` are the amr values proved so far.

    With ``resume``, a sign-in of the same user still waiting in this session for its second
    factor (the password typed again after Back) keeps its attempt: the code already sent for
    it still works, and its wrong answers still count.
    """
    previous = _data(request) if resume else None
    if (
        previous is not None
        and previous.get("user_id") == user.pk
        and not (previous.get("verified") or previous.get("step_up") or previous.get("enrol"))
    ):
        attempt_id = previous["attempt_id"]
    else:
        attempt_id = secrets.token_urlsafe(24)
    _forget_memo(request)
    request.session[PENDING_SESSION_KEY] = {
        "user_id": user.pk,
        "attempt_id": attempt_id,
        "methods": methods,
        "started": time.time(),
        "verified": None,
        "step_up": step_up,
        "enrol": enrol,
        "next": next_url,
    }
    pending = PendingSignin(user=user, attempt_id=attempt_id, methods=list(methods))
    if factors.is_read(user):
        # The challenge's page, shown in place in this request (sso.in_place), needs the user
        # with its factors: they were just read for this step, so not read again.
        setattr(request, _REQUEST_MEMO, pending)
    return pending


def _data(request: HttpRequest) -> dict | None:
    data = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    if time.time() - data.get("started", 0) > settings.MFA_PENDING_SECONDS:
        clear_pending(request)
        return None
    return data


def current_pending(request: HttpRequest, *, enrolled: bool = True) -> PendingSignin | None:
    """The challenge in progress, or None when there is none or it has died.

    The user row and what it has enrolled are read once per request, in one query
    (mfa.challenge.factors): the view and the flow functions it calls share them. With
    ``enrolled`` False the row is read alone (Confirm and Continue signs in and asks nothing
    of the factors; ``ChallengeMethod.is_enrolled`` would read its own rows).
    """
    data = _data(request)
    if data is None:
        return None
    memo = getattr(request, _REQUEST_MEMO, None)
    if memo is not None and memo.attempt_id == data["attempt_id"]:
        return memo
    user = factors.pending_user(data["user_id"], enrolled=enrolled)
    if user is None:
        clear_pending(request)
        return None
    pending = PendingSignin(user=user, attempt_id=data["attempt_id"], methods=list(data["methods"]))
    setattr(request, _REQUEST_MEMO, pending)
    return pending


def is_pending(request: HttpRequest) -> bool:
    """Whether a challenge is in progress, without reading its user (``current_pending``
    does; a page that only asks whether there is one need not)."""
    return _data(request) is not None


def page_mark(request: HttpRequest) -> str:
    """The challenge pages' mark of whose sign-in they were shown for
    (accounts.signin.flows.page_mark), '' without a challenge."""
    data = _data(request)
    return "" if data is None else signin_flows.page_mark(data["user_id"])


def posted_for_another(request: HttpRequest) -> bool:
    """Whether a challenge form came from the page of another account's sign-in than the one
    under way (accounts.signin.flows.posted_for_another)."""
    data = _data(request)
    return data is not None and signin_flows.posted_for_another(request, data["user_id"])


def pending_flag(request: HttpRequest, name: str) -> object:
    """One detail of the pending state (step_up, enrol, next, verified), None without one."""
    data = _data(request)
    return data.get(name) if data else None


def answer_limit(pending: PendingSignin) -> AnswerLimit:
    """The answers ``pending``'s attempt takes (MFA_CODE_MAX_FAILURES, seeds/003 Table 2),
    counted by ``accounts.attempts.check_secret`` with the attempt's other counters: each
    answer counts *before* it is checked (N parallel answers see N different counts) and is
    given back only when it was never checked."""
    return AnswerLimit(
        _FAILURES_KEY.format(pending.attempt_id),
        _FAILURES_WINDOW_SECONDS,
        settings.MFA_CODE_MAX_FAILURES,
    )


def mark_verified(request: HttpRequest, method_slug: str, amr: tuple[str, ...]) -> None:
    data = request.session[PENDING_SESSION_KEY]
    data["verified"] = {"method": method_slug, "amr": list(amr)}
    request.session.modified = True


def clear_pending(request: HttpRequest) -> None:
    _forget_memo(request)
    request.session.pop(PENDING_SESSION_KEY, None)


def _forget_memo(request: HttpRequest) -> None:
    if hasattr(request, _REQUEST_MEMO):
        delattr(request, _REQUEST_MEMO)
