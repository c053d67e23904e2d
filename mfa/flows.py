"""The rules of the second step: who is challenged, how an answer is judged, how it ends.

Views call these and render. See design.md "The sign-in flow" step 4 and "Trusted devices".
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import attempts, audit, lockout, sessions
from accounts.models import User
from accounts.signals import account_deactivated, account_unlocked, password_changed
from accounts.signin.flows import (
    AUTH_METHODS_SESSION_KEY,
    AUTH_TIME_SESSION_KEY,
    AccountGone,
    SigninAlreadyCompleted,
    account_gone,
    complete_signin,
    refused_as_locked,
    safe_next_url,
    signin_expired_message,
    signin_rows,
)
from mfa import binding, codes, notices, totp, trust
from mfa.challenge import factors
from mfa.challenge import pending as pending_state
from mfa.challenge.base import ChallengeMethod, PendingSignin, VerifyResult
from mfa.challenge.factors import all_methods
from mfa.methods import MessageCodeMethod
from mfa.models import CodeChallenge, EmailDevice, RecoveryCode, TrustedDevice
from mfa.rollout import flows as rollout
from sso.in_place import show_in_place


def enrolled_methods(user: User) -> list[ChallengeMethod]:
    """The methods this user can pass the challenge with, in the picker's order."""
    return [method for method in all_methods() if method.is_enrolled(user)]


def method_by_slug(user: User, slug: str) -> ChallengeMethod | None:
    """An enrolled method by its slug; None for unknown slugs or factors the user lacks.

    Only the named method is asked whether it is enrolled: one query, not one per method.
    """
    method = next((m for m in all_methods() if m.slug == slug), None)
    return method if method is not None and method.is_enrolled(user) else None


def challenge_methods(request: HttpRequest, user: User) -> list[ChallengeMethod]:
    """The methods the challenge offers: the enrolled ones, less the factors bound in this
    signed-in session while it had proved only a password (mfa.binding.note_bound), which are
    no second factor of this session (NIST SP 800-63B §6.1.2.1)."""
    bound = binding.bound_in_session(request)
    return [method for method in enrolled_methods(user) if method.slug not in bound]


def challenge_method(request: HttpRequest, user: User, slug: str) -> ChallengeMethod | None:
    """``method_by_slug``, less the factors ``challenge_methods`` leaves out."""
    if slug in binding.bound_in_session(request):
        return None
    return method_by_slug(user, slug)


def has_second_factor(user: User) -> bool:
    # Recovery codes back up a factor; on their own they do not make one. Stops at the first
    # enrolled factor (no query when they were read with the user, mfa.challenge.factors).
    return any(m.is_enrolled(user) for m in all_methods() if m.slug != "recovery")


def step_after_password(request: HttpRequest, user: User) -> str | None:
    """ACCOUNTS_AFTER_PASSWORD_STEP: the challenge, or None (signed in with the password).

    Someone with one factor (recovery codes back one up, they are not one) is shown its page
    at once, and a factor that sends a code (e-mail, SMS) sends it first (seeds/001: the token
    goes out right after a correct password); "Choose another method" there leads to the
    recovery codes. Anyone with several factors picks one. Someone without a factor is signed
    in; the MFA rollout (mfa.rollout.flows) then reminds them, or holds them to enrolment when
    their policy requires a factor now.
    """
    factors.read(user)  # every method's enrolment in one query
    if not has_second_factor(user):
        # Read with the password's lock re-read, before its hash was checked (about the time
        # of an Argon2 verify): a first factor set up meanwhile in another session counts.
        factors.read(user, again=True)
    if not has_second_factor(user):
        rollout.note_sign_in(request, user)
        return None
    if trust.trusted_device_for(request, user) is not None:
        return None
    offered = [m for m in challenge_methods(request, user) if m.slug != "recovery"]
    if len(offered) == 1 and isinstance(offered[0], MessageCodeMethod):
        return _send_at_once(request, user, offered[0])
    pending_state.begin_pending(request, user, ["pwd"])
    if len(offered) == 1:
        return reverse("mfa:challenge_method", kwargs={"slug": offered[0].slug})
    return reverse("mfa:challenge")


def _send_at_once(request: HttpRequest, user: User, method: MessageCodeMethod) -> str:
    """Sends the code of the user's one factor as the picker's pick would (same send budget and
    limits) and returns its page. The password typed again in this session within the resend
    wait (Back, then Sign in) sends nothing new: the code on its way still works. A refused send
    (the channel blocked, a sending cap) leads to the picker, which shows the method
    unavailable, with the reason and what else the person can do."""
    waiting = pending_state.pending_flag(request, "attempt_id")
    pending = pending_state.begin_pending(request, user, ["pwd"], resume=True)
    code_page = reverse("mfa:challenge_method", kwargs={"slug": method.slug})
    if pending.attempt_id == waiting and codes.countdown(method.challenge(pending))["resend_in"]:
        return code_page
    error = method.start(request, pending)
    if error:
        messages.error(request, error)
        return reverse("mfa:challenge")
    return code_page


def begin_step_up(request: HttpRequest, next_url: str) -> str:
    """A signed-in user must pass the challenge again (a relying app asked for MFA)."""
    user = request.user
    methods = list(request.session.get(AUTH_METHODS_SESSION_KEY, []))
    if not has_second_factor(user):
        pending_state.begin_pending(
            request, user, methods, step_up=True, enrol=True, next_url=next_url
        )
        return reverse("mfa:enrol")
    if not challenge_methods(request, user):
        # Its only factors were bound in this session after a password: they count from the
        # next sign-in, and the app is told the level this session reached.
        messages.info(
            request,
            _(
                "The second factor you set up after signing in with your password counts from "
                "your next sign-in. To use it now, sign out and sign in again."
            ),
        )
        return next_url or reverse("home")
    pending_state.begin_pending(request, user, methods, step_up=True, next_url=next_url)
    return reverse("mfa:challenge")


@dataclass(frozen=True)
class Answer:
    ok: bool
    error: str = ""
    signed_out: bool = False  # the attempt died: start the sign-in again


def answer_challenge(request: HttpRequest, method: ChallengeMethod, data: dict) -> Answer:
    """Judges one answer as a counted attempt (accounts.attempts): a wrong one counts per
    sign-in attempt (MFA_CODE_MAX_FAILURES) and per account and day (MFA_MAX_FAILURES_PER_DAY);
    a try refused as too fast is not a wrong answer and counts nowhere."""
    pending = pending_state.current_pending(request)
    if pending is None:
        return Answer(False, signin_expired_message(), signed_out=True)
    if pending.user.is_locked:
        pending_state.clear_pending(request)
        return Answer(False, _("This account is locked. Try again later."), signed_out=True)
    results: list[VerifyResult] = []

    def verify() -> bool:
        results.append(method.verify(request, pending, data))
        return results[-1].ok

    # The answer is counted with the attempt's other counters before the check, so that
    # parallel answers never get more checks than the attempt's limit (accounts.attempts).
    attempt = attempts.check_secret(
        request, verify, user=pending.user, kind=audit.SIGNIN_SECOND_FACTOR,
        method=method.slug, limit=lockout.second_factor_limit(), fresh=method.fresh,
        answers=pending_state.answer_limit(pending),
    )  # fmt: skip
    if attempt.ok:
        pending_state.mark_verified(request, method.slug, method.amr)
        return Answer(True)
    if attempt.spent:
        pending_state.clear_pending(request)
        return Answer(False, _("Too many wrong codes. Please sign in again."), signed_out=True)
    if attempt.refusal is not None:
        if attempt.refusal.code == lockout.ACCOUNT_LOCKED:
            pending_state.clear_pending(request)
            return Answer(False, _("This account is locked. Try again later."), signed_out=True)
        return Answer(False, attempts.refusal_message(attempt.refusal))
    if attempt.locked:
        pending_state.clear_pending(request)
        return Answer(
            False, _("Too many wrong codes. This account is locked for a day."), signed_out=True
        )
    if attempt.answers >= settings.MFA_CODE_MAX_FAILURES:
        pending_state.clear_pending(request)
        return Answer(False, _("Too many wrong codes. Please sign in again."), signed_out=True)
    return Answer(False, results[-1].error)


def check_password_or_code(
    request: HttpRequest, device: TOTPDevice, secret: str
) -> attempts.Attempt:
    """Removing the authenticator: the account's password or a current code from ``device``,
    as one counted attempt under the password limits (either secret can be guessed here)."""
    user = request.user

    def verify() -> bool:
        if user.check_password(secret):
            return True
        code = secret.strip()
        return len(code) == 6 and code.isdigit() and totp.check(device, code)

    return attempts.check_secret(
        request, verify, user=user, kind=audit.SECRET_CHECK, method="pwd",
        purpose="authenticator_removal",
    )  # fmt: skip


def check_enrolment_code(
    request: HttpRequest, user: User, verify: Callable[[], bool], purpose: str
) -> attempts.Attempt:
    """A code that confirms a new factor of ``user`` (authenticator set-up, a new e-mail
    address or phone number) as a counted attempt under the second-factor limits."""
    return attempts.check_secret(
        request, verify, user=user, kind=audit.SECRET_CHECK, method="otp",
        limit=lockout.second_factor_limit(), purpose=purpose,
    )  # fmt: skip


def enrolment_code_error(attempt: attempts.Attempt, wrong: str) -> str:
    """The message for a refused enrolment code: the refusal's, else ``wrong``."""
    return attempts.refusal_message(attempt.refusal) if attempt.refusal else wrong


def finish_challenge(request: HttpRequest, remember: bool) -> HttpResponse | None:
    """Confirm and Continue: signs in (or completes the step-up) and trusts this browser.
    Returns the answer, or None when there is nothing to confirm: no verified answer, or
    another Confirm and Continue of the same one, posted at the same moment, completed it
    (the proof signs in once: accounts.signin.flows.complete_signin's ``once``).

    Trust is given whether or not the box is ticked: ticked means 14 days, not ticked means
    until midnight (seeds/000 §4, items 4 and 5).
    """
    pending = pending_state.current_pending(request, enrolled=False)
    verified = pending_state.pending_flag(request, "verified")
    if pending is None or not verified:
        return None
    methods = sorted(set(pending.methods) | set(verified["amr"]))
    if verified.get("method") in binding.bound_in_session(request):
        methods = sorted(pending.methods)  # the challenge does not offer it; never counted
    if pending_state.pending_flag(request, "step_up"):
        # The new key below ends this one: of parallel Confirms only the first gives it; the
        # others save nothing and send no cookie, so the browser keeps the first one's key
        # (sessions.end_key_once), and none takes the row it moved for a sign-out elsewhere.
        if not sessions.end_key_once(request):
            return None
        next_url = safe_next_url(request, pending_state.pending_flag(request, "next")) or reverse(
            "home"
        )
        request.session[AUTH_METHODS_SESSION_KEY] = methods
        # OpenID Connect Core §2: auth_time is the latest authentication, this one.
        request.session[AUTH_TIME_SESSION_KEY] = time.time()
        if not sessions.cycle_key(request):  # its row follows: Sign out everywhere ends it
            # Signed out elsewhere while this step-up was answered: signed out here too.
            logout(request)
            return redirect(reverse("accounts:login"))
        pending_state.clear_pending(request)
        return show_in_place(request, next_url)
    user = pending.user
    if (refused := refused_as_locked(request, user)) is not None:
        return redirect(refused)  # locked since the code: no sign-in, no trusted browser
    pending_state.clear_pending(request)
    # One statement writes the user-session row, the known and trusted device and both audit
    # events (signin.complete, trusted_device.added): accounts.inserts.
    try:
        with signin_rows(request, user):
            next_url = complete_signin(request, user, methods, once=True)
            trusted = trust.trust_device(request, user, remember)
    except AccountGone:  # deleted since its code was checked: no sign-in, no trusted browser
        return redirect(account_gone(request, user))
    except SigninAlreadyCompleted:  # by a parallel Confirm: nothing written, none trusted
        return None
    # Home is shown in place, after the rows are written (sso.in_place); anything else, such as
    # a relying app's authorize, is a redirect.
    response = show_in_place(request, next_url)
    trusted.set_on(response)
    return response


def finish_enrolment(request: HttpRequest, pending: PendingSignin) -> str:
    """The first factor is bound (after the account e-mail proof, mfa.binding): the user is
    mailed, and the factor counts from the next sign-in. NIST SP 800-63B §6.1.2.1: a factor
    bound in a session that proved only a password is not that session's second factor, so
    the session keeps the methods it proved and a relying app that asked for MFA is told the
    level reached (``acr``). Returns where to go next."""
    if pending_state.pending_flag(request, "step_up"):
        next_url = safe_next_url(request, pending_state.pending_flag(request, "next")) or reverse(
            "home"
        )
        pending_state.clear_pending(request)
        binding.note_bound(request, "totp", "totp_added")
        return next_url
    pending_state.clear_pending(request)
    complete_signin(request, pending.user, list(pending.methods))
    binding.note_bound(request, "totp", "totp_added")
    return reverse("mfa:recovery")


@transaction.atomic
def reset_mfa(user: User, request: HttpRequest | None = None) -> None:
    """Admin's Reset MFA: every factor, recovery code, pending code and trusted device goes;
    the account's failure counts, lock and code-send blocks are cleared too, so the person
    starts the setup again with full budgets (docs/admin-guide.md)."""
    TOTPDevice.objects.filter(user=user).delete()
    EmailDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    CodeChallenge.objects.filter(user=user).delete()
    TrustedDevice.objects.filter(user=user).delete()
    for hook in settings.MFA_RESET_HOOKS:
        import_string(hook)(user)
    lockout.unlock(user)
    codes.clear_send_limits(user)
    notices.notify_change(user, "mfa_reset", request)


def factor_removed(user: User, change: str, request: HttpRequest | None = None) -> None:
    """A removed factor revokes trusted devices (design.md) and tells the user."""
    trust.revoke_all(user)
    if not has_second_factor(user):
        RecoveryCode.objects.filter(user=user).delete()
    notices.notify_change(user, change, request)


@receiver(password_changed)
@receiver(account_deactivated)
def _revoke_trust(sender: type, user: User, **kwargs: object) -> None:
    trust.revoke_all(user)


@receiver(account_unlocked)
def _clear_send_limits(sender: type, user: User, **kwargs: object) -> None:
    codes.clear_send_limits(user)
