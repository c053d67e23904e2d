"""The rollout's steps around a sign-in: remind before the deadline, require after it.

A person without a second factor whose policy is ``required`` gets, at sign-in (see
``note_sign_in``), a mark in the session:

- ``remind`` (the deadline is ahead): the first page they open is the interstitial "Set up a
  second factor: N days left" with **Set up now** and **Later** (Later is counted);
- ``enrol`` (the deadline has come, or there is none): they are signed in with their password
  only, and every page but Security Settings, the enrolment page and Sign Out leads to the
  enrolment page until a factor is set up. Nothing they proved counts as a second factor of
  this session (the session's ``amr`` stays ``pwd``), so relying apps that ask for MFA still
  get the challenge (NIST SP 800-63B §6.1.2.1).

A session marked ``remind`` whose deadline passes while it lasts turns into ``enrol``.
The middleware (mfa.rollout.middleware) calls ``gate`` for every view.
"""

import time

from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accounts import audit
from mfa.rollout import policy as rollout_policy
from mfa.rollout.models import Reminder
from sso.next_param import url_with_next

SESSION_KEY = "mfa.rollout"
REMIND = "remind"  # the interstitial is due
SEEN = "seen"  # the interstitial was answered in this session; the deadline still counts
ENROL = "enrol"  # confined to enrolment until a factor is set up
DONE = "done"  # a factor was set up after the deadline; recovery codes are offered

REMINDER_SKIPPED = "mfa.reminder_skipped"  # audit event kind

# Where a person who must enrol may still go (URL namespaces, then single URL names).
_OPEN_NAMESPACES = frozenset({"mfa", "passkeys", "sms", "mfa_rollout"})
_OPEN_URL_NAMES = frozenset(
    {"accounts:logout", "accounts:password_change", "accounts:activity", "accounts:sessions",
     "accounts:session_sign_out", "accounts:sessions_sign_out_others",
     "accounts:question_settings", "set_language",
     # Signing out from a relying app, and what apps read without a person's session.
     "oauth2_provider:rp-initiated-logout", "oauth2_provider:oidc-connect-discovery-info",
     "oauth2_provider:jwks-info", "saml:slo_redirect", "saml:slo_post", "saml:metadata"}
)  # fmt: skip


def note_sign_in(request: HttpRequest, user) -> None:
    """At sign-in of ``user`` who has no second factor: marks the session per their policy.

    The mark names ``user``: it is written before the sign-in completes, and kept when that
    sign-in replaces another person's session (accounts.signin.flows.CARRIED_ACROSS_SIGNIN), so
    that a fresh sign-in on a shared computer is held to the rollout like any other; a mark of
    another account than the one signed in is no mark (``state``)."""
    policy = rollout_policy.policy_for(user)
    request.session.pop(SESSION_KEY, None)
    if not policy.factors:
        return
    mark = {"next": "", "user": str(user.pk)}
    if policy.due():
        request.session[SESSION_KEY] = {"state": ENROL, "deadline": None, **mark}
    elif policy.in_grace():
        deadline = policy.deadline.timestamp() if policy.deadline else None
        request.session[SESSION_KEY] = {"state": REMIND, "deadline": deadline, **mark}


def state(request: HttpRequest) -> dict | None:
    """The rollout mark of the account signed in, or None: a mark written for another account
    is not theirs (the previous person's, carried across the fresh sign-in of the next one; or
    the next one's, written before their sign-in completes, which must then find it)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or not data.get("state"):
        return None
    signed_in = request.session.get(auth.SESSION_KEY)
    return data if data.get("user", signed_in) == signed_in else None


def _save(request: HttpRequest, data: dict) -> None:
    request.session[SESSION_KEY] = data


def _is_open(request: HttpRequest) -> bool:
    match = request.resolver_match
    if match is None:
        return False
    if set(match.namespaces) & _OPEN_NAMESPACES:
        return True
    return match.view_name in _OPEN_URL_NAMES


def gate(request: HttpRequest) -> HttpResponse | None:
    """What a signed-in request meets before its view: None to go on, or a redirect.

    Reads the session only; the database is asked only for a session under the rollout.
    """
    data = state(request)
    if data is None or not request.user.is_authenticated or _is_open(request):
        return None
    user = request.user
    if data["state"] in (REMIND, SEEN) and data.get("deadline") and time.time() >= data["deadline"]:
        # The deadline passed during this session: judge again (an extension may have come).
        answered = data["state"] == SEEN
        note_sign_in(request, user)
        data = state(request)
        if data is None:
            return None
        if answered and data["state"] == REMIND:
            data["state"] = SEEN
            _save(request, data)
    if data["state"] == ENROL:
        if rollout_policy.has_second_factor(user):
            data["state"] = DONE
            _save(request, data)
            return None
        if request.method == "GET":
            data["next"] = request.get_full_path()
            _save(request, data)
        return redirect(reverse("mfa_rollout:enrol"))
    if data["state"] == REMIND and request.method == "GET":
        return redirect(url_with_next(reverse("mfa_rollout:reminder"), request.get_full_path()))
    return None


def skip_reminder(request: HttpRequest) -> None:
    """Later: the reminder is counted (a ``Reminder`` row and an audit event) and not shown
    again in this session."""
    data = state(request)
    if data is None or data["state"] != REMIND:
        return
    data["state"] = SEEN
    _save(request, data)
    Reminder.objects.create(user=request.user, kind=Reminder.Kind.LATER)
    audit.record(request, REMINDER_SKIPPED, user=request.user)


def set_up_now(request: HttpRequest) -> None:
    """Set up now: the interstitial is answered; the enrolment page comes next."""
    data = state(request)
    if data is not None and data["state"] == REMIND:
        data["state"] = SEEN
        _save(request, data)


def continue_url(request: HttpRequest) -> str:
    """Where the person goes once the rollout lets them: the page they were going to, or Home."""
    from accounts.signin.flows import safe_next_url

    data = state(request) or {}
    return safe_next_url(request, data.get("next", "")) or reverse("home")


def finish(request: HttpRequest) -> bool:
    """Continue (or Later) on the enrolment page: False while the person must still enrol.

    Once enrolment was required and is done, the mark is cleared; before the deadline it stays,
    so that the deadline still counts in this session.
    """
    data = state(request)
    if data is None:
        return True
    if data["state"] == ENROL and not rollout_policy.has_second_factor(request.user):
        return False
    if data["state"] in (ENROL, DONE):
        request.session.pop(SESSION_KEY, None)
    return True


def days_left(request: HttpRequest) -> int:
    data = state(request) or {}
    deadline = data.get("deadline")
    if not deadline:
        return 0
    seconds = deadline - timezone.now().timestamp()
    return max(0, -(-int(seconds) // rollout_policy.DAY_SECONDS))
