"""The rules of the username-first sign-in (design.md, sign-in flow steps 1-3 and 5).

Views call these functions and render; nothing here knows about templates. The half-done
sign-in lives in the session under ``SIGNIN_SESSION_KEY`` until the user is signed in.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts import attempts, audit, devices, inserts, lockout
from accounts import sessions as user_sessions
from accounts.models import User, deleted_meanwhile
from accounts.question import flows as security_question
from accounts.usernames import canonical_username
from sso import sessions

SIGNIN_SESSION_KEY = "accounts.signin"
# The methods that proved who the user is in this session (pwd, otp, hwk ...) and when.
AUTH_METHODS_SESSION_KEY = "accounts.auth_methods"
AUTH_TIME_SESSION_KEY = "accounts.auth_time"
# When the last complete sign-in ended (a step-up moves AUTH_TIME, not this): only a complete
# sign-in meets a request for a fresh one (OpenID Connect prompt=login, max_age; SAML ForceAuthn).
SIGNIN_TIME_SESSION_KEY = "accounts.signin_time"

# A fresh sign-in was asked for while signed in (OpenID Connect prompt=login or max_age, SAML
# ForceAuthn): the sign-in pages run as for a stranger, and the current session is replaced only
# when the new sign-in completes (complete_signin), never by the request that asked for it.
FRESH_SIGNIN_SESSION_KEY = "accounts.fresh_signin"
# Session keys that survive the sign-in even when another account signs in (Django's login
# then starts an empty session): what the request that asked for a fresh sign-in must find
# once it is met, and what the sign-in wrote for its own account before it completed (the MFA
# rollout's mark). Apps register theirs in AppConfig.ready (sso.oidc, mfa.rollout).
CARRIED_ACROSS_SIGNIN: set[str] = set()
# Session keys of a sign-in under way: the typed username, the position shared with the
# password and the security question still to answer here; apps add theirs in AppConfig.ready
# (the MFA challenge, a passkey just verified). "Not you?" forgets them all, so that nothing of
# one person's half-done sign-in is left for the next one at the same browser.
HALF_DONE_SIGNIN: set[str] = {
    SIGNIN_SESSION_KEY, audit.LOCATION_SESSION_KEY, security_question.PENDING_SESSION_KEY
}  # fmt: skip

WRONG_CREDENTIALS = "wrong_credentials"
# The field of a half-done sign-in's forms (the challenge's, the security question's) that
# names whose sign-in their page was shown for (``page_mark``).
PAGE_MARK_FIELD = "signin"


@dataclass(frozen=True)
class SigninState:
    """What the sign-in pages know between steps."""

    username: str
    next_url: str
    started: float


@dataclass(frozen=True)
class PasswordResult:
    """The outcome of the password step: a user, or an error code and details."""

    user: User | None = None
    error: str = ""
    refusal: lockout.Refusal | None = None


def safe_next_url(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` when it leads back to this portal, else ''.

    Open redirects turn a trusted sign-in page into a phishing tool (ASVS V5.1.5). Only a
    path (``/…``) or an http(s) URL qualifies: anything else (``-1``, ``b``) would be read
    by ``redirect()`` as the name of a view.
    """
    if not isinstance(candidate, str) or not candidate.startswith(("/", "http://", "https://")):
        return ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def forget_half_done_signin(request: HttpRequest) -> None:
    """Drops every part of a sign-in under way in this session (``HALF_DONE_SIGNIN``): the
    typed username, a challenge (answered or not), a verified passkey not yet confirmed. A
    signed-in session stays signed in."""
    for key in HALF_DONE_SIGNIN:
        request.session.pop(key, None)


def page_mark(user_id: object) -> str:
    """What the forms of a half-done sign-in's page post back (``PAGE_MARK_FIELD``) to say
    whose sign-in it was shown for: a keyed digest of the account's id (it tells no one which
    account). The account, not the attempt: the same person's password typed again (another
    tab, a double click) begins another attempt, and their page still is theirs."""
    return salted_hmac("accounts.signin.page-mark", str(user_id)).hexdigest()[:16]


def name_mark(username: str) -> str:
    """``page_mark`` of a sign-in known so far by its typed name only (the passkey page of a
    username-first sign-in, before any account is read: an unknown name has one too, and it
    tells no one whether the account exists). The name's canonical form, so that the same
    name typed again in another spelling (Back, then Next) is still the same sign-in."""
    return page_mark(f"name:{canonical_username(username)}")


def names_another(posted: object, mark: str) -> bool:
    """Whether the mark a page posted back (``PAGE_MARK_FIELD``, in a form or a JSON body)
    names another sign-in than ``mark``, the sign-in under way's. None (no mark posted) is
    taken as this sign-in's; anything else than the same text (another mark, a number) is
    another's."""
    return posted is not None and posted != mark


def posted_for_another(request: HttpRequest, user_id: object) -> bool:
    """Whether a form of a half-done sign-in came from the page of another account's sign-in
    than the one under way (``user_id``'s): a tab left open at one person's code or question
    while another person's sign-in began in the browser (``start_signin`` ended the first).
    Its answer, judged against this sign-in, would be counted against the other account. A
    form without the mark is taken as this sign-in's."""
    return names_another(request.POST.get(PAGE_MARK_FIELD), page_mark(user_id))


def under_way_mark(state: SigninState | None) -> str | None:
    """The mark of the sign-in under way (``state``) by its typed name (``name_mark``), None
    without one: the one thing every step of a username-first sign-in knows of it, from the
    username page shown again to its challenge, and what a passkey step is checked against
    (mfa.passkeys.signin_views)."""
    return name_mark(state.username) if state is not None else None


def restart_mark(request: HttpRequest) -> str:
    """What the "Not you?" and "Cancel sign-in" forms of a sign-in's pages post back
    (``PAGE_MARK_FIELD``), and the username page's own passkey with each of its steps: the
    mark of the sign-in under way as the page is shown (``under_way_mark``), '' without one
    (a step-up; the username page before anyone's name was typed)."""
    return under_way_mark(current_signin(request)) or ""


def restart_for_another(request: HttpRequest) -> bool:
    """Whether "Not you?" or "Cancel sign-in" was posted from the page of another sign-in
    than the one under way (``restart_mark``): a tab left open at one person's step while
    another person's sign-in began in the browser. It would end that other sign-in, which is
    not the page's to end. A form without the mark (the username page's, step 1 itself) ends
    whatever is under way, as before."""
    state = current_signin(request)
    if state is None:
        return False
    return names_another(request.POST.get(PAGE_MARK_FIELD), name_mark(state.username))


def another_signin_began() -> str:
    """What a page says to a form ``posted_for_another`` (already translated)."""
    return _(
        "The sign-in on that page has ended: another began in this browser. Please sign in again."
    )


def request_fresh_signin(request: HttpRequest) -> None:
    """Lets the sign-in pages run although someone is signed in (see FRESH_SIGNIN_SESSION_KEY)."""
    request.session[FRESH_SIGNIN_SESSION_KEY] = int(time.time())


def fresh_signin_requested(request: HttpRequest) -> bool:
    """Whether a fresh sign-in was asked for in the last ``ACCOUNTS_SIGNIN_TIMEOUT_SECONDS``."""
    asked = request.session.get(FRESH_SIGNIN_SESSION_KEY)
    return bool(asked) and time.time() - asked <= settings.ACCOUNTS_SIGNIN_TIMEOUT_SECONDS


def same_name(typed: str, other: str) -> bool:
    """Whether two typed usernames name one account ("Ani", "ANI", full-width "ani"; the one
    canonical form of accounts.usernames)."""
    return canonical_username(typed) == canonical_username(other)


def start_signin(request: HttpRequest, username: str, next_url: str = "") -> None:
    """Step 1: remember the typed username, whether or not such an account exists.

    Another name than the sign-in under way's (or none known) ends that sign-in, as "Not you?"
    does: the next person at the browser types their own name, and a challenge answered or a
    passkey verified by the previous one must not be left for them to confirm. The same name
    again, in any spelling (Back, then Next), keeps it: its code still works, its wrong answers
    still count.
    """
    previous = request.session.get(SIGNIN_SESSION_KEY)
    if not isinstance(previous, dict) or not same_name(str(previous.get("username")), username):
        forget_half_done_signin(request)
    request.session[SIGNIN_SESSION_KEY] = {
        "username": username,
        "next": safe_next_url(request, next_url),
        "started": time.time(),
    }


def next_for(state: SigninState | None, username: str, posted_next: str) -> str:
    """Where the sign-in of ``username`` goes: ``posted_next`` (the page's ``next``), else
    where the sign-in under way (``state``) was going when it is the same name's (Back, then
    Next), never where another name's was going (the previous person at the browser, on their
    way to their app). Returns a URL or '' (``start_signin`` keeps only this portal's)."""
    if posted_next or state is None or not same_name(state.username, username):
        return posted_next
    return state.next_url


def signin_of(
    request: HttpRequest, state: SigninState | None, username: str, posted_next: str
) -> SigninState | None:
    """Step 1 done with the password (the username page's copy of step 2 posts the name with
    it): the sign-in under way when it is ``username``'s and no ``next`` came with the
    password (the method page's form), else a new one begun as Next begins it
    (``start_signin``: another name ends the previous person's half-done sign-in). Returns
    the sign-in the password is checked for."""
    if state is not None and same_name(username, state.username) and not posted_next:
        return state
    start_signin(request, username, next_for(state, username, posted_next))
    return current_signin(request)


def current_signin(request: HttpRequest) -> SigninState | None:
    """The sign-in in progress, or None when there is none or it is too old."""
    data = request.session.get(SIGNIN_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    state = SigninState(data.get("username", ""), data.get("next", ""), data.get("started", 0))
    if not state.username or time.time() - state.started > settings.ACCOUNTS_SIGNIN_TIMEOUT_SECONDS:
        request.session.pop(SIGNIN_SESSION_KEY, None)
        return None
    return state


def check_password(request: HttpRequest, state: SigninState, password: str) -> PasswordResult:
    """Step 3: checks the password under the brute-force limits (accounts.attempts).

    The account is read once by name before the attempt is reserved and its lock, hash and
    active flag once more after (``lockout.fresh``); the password is checked against that hash
    as Django's ModelBackend does (``check_password``, which re-hashes an outdated hash; an
    inactive account never passes), without a third read of the row. An unknown username and
    a wrong password give the same error, and an unknown name has a dummy password hashed, as
    ModelBackend does, so that the timing does not differ either.
    """
    user = lockout.find_user(state.username)

    def verify() -> bool:
        if user is None:
            User().set_password(password)
            return False
        return user.check_password(password) and user.is_active

    attempt = attempts.check_secret(
        request, verify, user=user, username=state.username,
        kind=audit.SIGNIN_PASSWORD, method="pwd", fresh=_password_fresh_read(),
    )  # fmt: skip
    if attempt.ok:
        return PasswordResult(user=user)
    return _refused(attempt)


def _password_fresh_read() -> Callable[[User | None], User | None]:
    """ACCOUNTS_PASSWORD_FRESH_READ, or ``lockout.fresh`` when it is empty."""
    path = settings.ACCOUNTS_PASSWORD_FRESH_READ
    return import_string(path) if path else lockout.fresh


def verify_password(
    request: HttpRequest, user: User, password: str, purpose: str
) -> PasswordResult:
    """The signed-in ``user`` types their password again (re-authentication, password change,
    removing a factor): counted like a sign-in, recorded as ``secret.check`` with ``purpose``."""
    attempt = attempts.check_secret(
        request, lambda: user.check_password(password), user=user,
        kind=audit.SECRET_CHECK, method="pwd", purpose=purpose,
    )  # fmt: skip
    return PasswordResult(user=user) if attempt.ok else _refused(attempt)


def _refused(attempt: attempts.Attempt) -> PasswordResult:
    if attempt.refusal is not None:
        return PasswordResult(error=attempt.refusal.code, refusal=attempt.refusal)
    if attempt.locked:
        refusal = lockout.Refusal(lockout.ACCOUNT_LOCKED, settings.ACCOUNTS_LOCKOUT_MINUTES * 60)
        return PasswordResult(error=refusal.code, refusal=refusal)
    return PasswordResult(error=WRONG_CREDENTIALS)


def password_error(result: PasswordResult) -> str:
    """The page's message for a refused password (already translated)."""
    if result.refusal is not None:
        return attempts.refusal_message(result.refusal)
    return _("Wrong username or password.")


def after_password(request: HttpRequest, user: User) -> str:
    """Where a user goes after a right password: the MFA step, or straight in."""
    hook_path = settings.ACCOUNTS_AFTER_PASSWORD_STEP
    if hook_path:
        next_step = import_string(hook_path)(request, user)
        if next_step:
            return next_step
    return complete_signin(request, user, methods=["pwd"])


def note_last_login(
    sender: type, request: HttpRequest | None, user: User, **kwargs: object
) -> None:
    """Django's ``update_last_login`` (a receiver of ``user_logged_in``, in its place: see
    accounts.apps), written by accounts.inserts: inside ``together`` with the sign-in's new
    rows in one statement, else at once. Like Django's, it sends no ``post_save``."""
    user.last_login = timezone.now()
    inserts.update(request, user, ("last_login",))


def refused_as_locked(request: HttpRequest, user: User) -> str | None:
    """Where a sign-in about to complete goes instead when ``user`` is locked now: its
    secrets were checked before the lock (an admin's Lock accounts, or the limit reached by
    other attempts, between a code and Confirm and Continue, or a passkey and its Confirm
    and Continue). The username page, with the sign-in under way forgotten, the person told
    as at every step of a locked account, and the refusal recorded; None when the sign-in
    may complete. ``user`` is read in this request (its ``locked_until``)."""
    if not user.is_locked:
        return None
    forget_half_done_signin(request)
    audit.record(
        request, audit.SIGNIN_COMPLETE, audit.REFUSED, user=user, reason=lockout.ACCOUNT_LOCKED
    )
    messages.error(request, _("This account is locked. Try again later."))
    return reverse("accounts:login")


def complete_signin(
    request: HttpRequest,
    user: User,
    methods: list[str],
    *,
    question_answered: bool = False,
    once: bool = False,
) -> str:
    """Signs the user in and returns where to send them.

    ``login`` gives the session a new key (no session fixation) and binds it to the password
    hash, so that a later password change ends it. ``methods`` are RFC 8176 ``amr`` values.
    When the security-question policy is on, the question comes first (seeds/003). The rows a
    sign-in writes (user session, audit event, known device, ``last_login``) go in one
    statement (accounts.inserts.together). A locked account is not signed in
    (``refused_as_locked``): the username page, told why.

    ``once``: the sign-in completes a proof held in the session (a verified second factor or
    passkey, and the question answered after one), which signs in once however many requests
    confirm it at the same moment: the session's key is ended first
    (accounts.sessions.end_key_once), and a request that finds it ended already raises
    ``SigninAlreadyCompleted`` before anything is signed in or written. A password is checked
    anew by each request that posts it and needs none of this.
    """
    if (refused := refused_as_locked(request, user)) is not None:
        return refused
    if not question_answered and security_question.is_due(user):
        if once:
            # The proof is carried to the question once, as it signs in once: the caller
            # trusts this browser after it (mfa.flows.finish_challenge), which each of
            # parallel Confirms did. The session goes on under a new key.
            if not user_sessions.end_key_once(request):
                raise SigninAlreadyCompleted
            user_sessions.renew_key(request)
        security_question.begin(request, user, methods)
        return reverse("accounts:security_question")
    if once and not user_sessions.end_key_once(request):
        raise SigninAlreadyCompleted
    try:
        with signin_rows(request, user):
            next_url = _sign_in(request, user, methods)
            # The signed-in session's row goes in the same statement as the sign-in's rows,
            # with what the session holds when the (outermost) block ends (sso.sessions).
            session = request.session
            if isinstance(session, sessions.SessionStore):
                inserts.add_later(request, session.new_row_elsewhere)
    except AccountGone:
        return account_gone(request, user)
    return next_url


class AccountGone(Exception):
    """The account of a sign-in was deleted before the sign-in's rows were written."""


class SigninAlreadyCompleted(Exception):
    """Another request completed this sign-in first (``complete_signin`` with ``once``): its
    Confirm and Continue was posted twice at one moment. Nothing was signed in or written,
    and nothing of the session will be saved; the caller answers as for a sign-in that has
    ended (``signin_ended``)."""


def signin_expired_message() -> str:
    """What a person is told when the sign-in they were in has ended under them (expired,
    completed by another request, their account gone): already translated."""
    return _("Your sign-in has expired. Please sign in again.")


def signin_ended(request: HttpRequest) -> str:
    """Tells the person their sign-in has ended (``signin_expired_message``), for the username
    page, where it sends them (which leads Home a browser that has the session another
    request signed in). Returns its address."""
    messages.error(request, signin_expired_message())
    return reverse("accounts:login")


@contextmanager
def signin_rows(request: HttpRequest, user: User) -> Iterator[None]:
    """``inserts.together`` for the rows of ``user``'s sign-in (user session, devices, audit
    events, ``last_login``), in one statement. Raises ``AccountGone`` when the statement
    failed because ``user``'s row is gone: an admin deleted the account between the sign-in's
    read of it and this write (the statement then wrote nothing). Any other failure raises
    as it is."""
    try:
        with inserts.together(request):
            yield
    except IntegrityError as error:
        if not deleted_meanwhile(user, error):
            raise
        raise AccountGone from None


def account_gone(request: HttpRequest, user: User) -> str:
    """After ``AccountGone``: the sign-in is over and its new session ended (no row refers to
    the account any more, so nothing else is to undo), the person is told as when a sign-in
    expires, and the refusal is recorded under the typed name. Returns where to go: the
    username page."""
    request.session.flush()
    request.user = AnonymousUser()
    audit.record(
        request, audit.SIGNIN_COMPLETE, audit.REFUSED, user=None, username=user.username,
        reason="account_deleted",
    )  # fmt: skip
    return signin_ended(request)


def _sign_in(request: HttpRequest, user: User, methods: list[str]) -> str:
    state = current_signin(request)
    next_url = state.next_url if state else ""
    carried = {key: request.session[key] for key in CARRIED_ACROSS_SIGNIN if key in request.session}
    if request.user.is_authenticated and request.user.pk != user.pk:
        # Another account signs in afresh over a live session (a shared computer): the
        # previous account signs out as with Sign Out, its apps' sessions with it.
        logout(request)
    elif request.user.is_authenticated:
        # A fresh sign-in over a live session: Django's login keeps the key when the same
        # user signs in again; the new sign-in gets a new one (no session fixation).
        request.session.cycle_key()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.update(carried)
    # Only a finished sign-in clears the failure count: a right password followed by wrong
    # second factors or answers keeps counting toward the lock.
    lockout.record_success(user)
    request.session.pop(SIGNIN_SESSION_KEY, None)
    request.session.pop(FRESH_SIGNIN_SESSION_KEY, None)
    request.session[AUTH_METHODS_SESSION_KEY] = sorted(set(methods))
    # Seconds with their fraction: a fresh sign-in asked for in the same second as the previous
    # one is still told apart from it (sso.oidc.flows).
    request.session[AUTH_TIME_SESSION_KEY] = request.session[SIGNIN_TIME_SESSION_KEY] = time.time()
    audit.record(
        request, audit.SIGNIN_COMPLETE, user=user, method=",".join(sorted(set(methods))),
        client_id=audit.relying_app_of(next_url),
    )  # fmt: skip
    devices.note_device(request, user)
    if user.must_change_password:
        return reverse("accounts:password_change")
    return safe_next_url(request, next_url) or reverse(settings.LOGIN_REDIRECT_URL)
