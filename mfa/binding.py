"""Binding a first factor in a session that proved only a password (NIST SP 800-63B §6.1.2.1).

Whoever holds the password alone must not be able to bind a factor of their own choosing: from
then on, password + that factor would pass as multi-factor. So an account without a second
factor, in a session that proved no possession factor, proves something beyond the password
before it binds one (an authenticator app, a passkey, an e-mail or SMS destination for codes):
a code sent to the account's e-mail address, under the rules of every e-mail code (mfa.codes:
single use, five tries, send limits), good for ``MFA_REAUTH_SECONDS``. Each binding is mailed
to the user (mfa.notices). And a factor bound in such a session never counts as the session's
second factor: its method is never added to the session's methods, so neither OpenID Connect's
``acr``/``amr`` nor SAML's AuthnContext rise with it (step-up does not offer it); it counts from
the next sign-in.

Every place that binds a factor applies this: the step-up enrolment (mfa.challenge.views),
Security Settings' Email, Authenticator, SMS and Recovery codes tabs and the Passkeys tab's
Register New Device (its JSON endpoints through ``proof_refusal``). The MFA rollout's page
sends people to those tabs.
"""

import secrets
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts import attempts, audit, lockout
from accounts.models import User
from accounts.signin.flows import AUTH_METHODS_SESSION_KEY
from mfa import codes, notices, trust
from mfa.methods import check_error, mask_email, send_error
from mfa.models import CodeChallenge
from sso.next_param import url_with_next

PROVED_AT_SESSION_KEY = "mfa.binding_proved_at"
ATTEMPT_SESSION_KEY = "mfa.binding_attempt"
# Challenge method slugs of the factors bound in this sign-in while it had proved no possession
# factor: they are no second factor of this session. A new sign-in forgets them.
BOUND_SESSION_KEY = "mfa.bound_in_session"
_CHANNEL = CodeChallenge.Channel.EMAIL
# A sign-in code by its purpose: it shares the sign-in send budget (docs/security.md). Its mail
# tells it apart by the attempt id (CodeChallenge.is_binding_proof) and speaks of setting up a
# second factor, still with "if it was not you, change your password".
_PURPOSE = CodeChallenge.Purpose.SIGNIN
# RFC 8176 values of possession factors (as sso.oidc.claims.POSSESSION).
_POSSESSION = frozenset({"otp", "sms", "hwk", "swk", "tel"})


def account_address(user: User) -> str:
    """The account's e-mail address the proof code goes to; '' when the account has none."""
    return user.email or ""


def masked_address(user: User) -> str:
    return mask_email(account_address(user))


def proved_possession(request: HttpRequest) -> bool:
    """Whether this session's sign-in (or step-up) proved a possession factor."""
    return bool(set(request.session.get(AUTH_METHODS_SESSION_KEY) or ()) & _POSSESSION)


def binding_allowed(request: HttpRequest) -> bool:
    """Whether the signed-in user may bind a factor now: this session proved a possession
    factor (a passkey sign-in is one), the account e-mail code was typed back in the last
    ``MFA_REAUTH_SECONDS``, or this browser holds the account's trusted-device cookie (which
    only a second factor gives; a known limit in docs/security.md).

    What the account holds does not decide it: a password-only session opened before the
    account's first factor was bound elsewhere has proved nothing more since, and must not
    add a factor (or an e-mail address for codes and resets) of its own choosing."""
    if proved_possession(request):
        return True
    proved_at = request.session.get(PROVED_AT_SESSION_KEY, 0)
    if time.time() - proved_at <= settings.MFA_REAUTH_SECONDS:
        return True
    return trust.trusted_device_for(request, request.user) is not None


def proof_url(next_url: str) -> str:
    """The page that sends and checks the account e-mail code, then returns to ``next_url``."""
    return url_with_next(reverse("mfa:prove_account"), next_url)


def binding_proof_required(
    back: str | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Sends a POST that would bind a first factor without the proof to the proof page, which
    then returns to the page named ``back`` (default: the same URL, as a GET). Nothing of the
    POST is kept: the person submits it again."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if request.method == "POST" and not binding_allowed(request):
                return redirect(proof_url(reverse(back) if back else request.get_full_path()))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def note_bound(request: HttpRequest, slug: str, change: str | None) -> None:
    """A factor (challenge method ``slug``) was bound by the signed-in user: the user is mailed
    of ``change`` (a key of mfa.notices.CHANGES; None when the caller already did), and in a
    session that proved no possession factor the factor is no second factor of this session."""
    if change:
        notices.notify_change(request.user, change, request)
    if not proved_possession(request):
        bound = set(request.session.get(BOUND_SESSION_KEY) or ())
        request.session[BOUND_SESSION_KEY] = sorted(bound | {slug})


def bound_in_session(request: HttpRequest) -> frozenset[str]:
    """The challenge methods that cannot be this session's second factor (``note_bound``)."""
    return frozenset(request.session.get(BOUND_SESSION_KEY) or ())


@receiver(user_logged_in)
def _forget_bound_factors(sender: type, request: HttpRequest | None, **kwargs: object) -> None:
    # A new sign-in proves its own factors: those bound before count from now on.
    if request is not None and hasattr(request, "session"):
        request.session.pop(BOUND_SESSION_KEY, None)


def _attempt_id(request: HttpRequest) -> str:
    attempt = request.session.get(ATTEMPT_SESSION_KEY)
    if not attempt:
        attempt = CodeChallenge.PROOF_ATTEMPT_PREFIX + secrets.token_urlsafe(18)
        request.session[ATTEMPT_SESSION_KEY] = attempt
    return attempt


def send_proof_code(request: HttpRequest) -> str:
    """Queues a code to the account's address; the message for the user when refused, else ''."""
    user = request.user
    result = codes.request_code(
        user, _CHANNEL, account_address(user), _attempt_id(request), _PURPOSE
    )
    return send_error(result)


def code_sent(request: HttpRequest) -> bool:
    """Whether a proof code was sent in this session (the page then asks for it)."""
    attempt = request.session.get(ATTEMPT_SESSION_KEY)
    return (
        bool(attempt)
        and codes.find_challenge(request.user, attempt, _CHANNEL, _PURPOSE) is not None
    )


def check_proof_code(request: HttpRequest, code: str) -> str:
    """Checks the typed code as a counted attempt (accounts.attempts, second-factor limits;
    the code itself is single use); '' when right, else the message."""
    errors: list[str] = []

    def verify() -> bool:
        result = codes.check_code(request.user, _attempt_id(request), _CHANNEL, _PURPOSE, code)
        errors.append(check_error(result))
        return result.status == codes.OK

    attempt = attempts.check_secret(
        request, verify, user=request.user, kind=audit.SECRET_CHECK, method="otp",
        limit=lockout.second_factor_limit(), purpose="account_email_proof",
    )  # fmt: skip
    if not attempt.ok:
        return attempts.refusal_message(attempt.refusal) if attempt.refusal else errors[-1]
    request.session[PROVED_AT_SESSION_KEY] = int(time.time())
    request.session.pop(ATTEMPT_SESSION_KEY, None)
    return ""
