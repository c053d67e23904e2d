"""The portal's rules around django-oauth-toolkit: what the authorize step demands of the
portal session, and what an ended session does to the apps it signed in to.

Views and the validator call these functions; nothing here renders a page.
"""

import functools
import hashlib
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.settings import _PhonyHttpRequest, oauth2_settings
from oauthlib.common import Request as OAuthlibRequest

from accounts.signin.flows import (
    AUTH_METHODS_SESSION_KEY,
    AUTH_TIME_SESSION_KEY,
    SIGNIN_TIME_SESSION_KEY,
    request_fresh_signin,
)
from sso.next_param import url_with_next
from sso.oidc import claims
from sso.oidc.models import Application, SignInContext

log = logging.getLogger(__name__)

# A random id of this portal session, given to apps as the `sid` claim (never the session key).
SID_SESSION_KEY = "oidc.sid"
# The authorize request that was already sent to step-up once (so it is not sent again).
STEP_UP_TRIED_SESSION_KEY = "oidc.step_up_tried"
# Authorize requests that asked for a fresh sign-in: {fingerprint: when asked (s)}.
FRESH_SIGN_IN_SESSION_KEY = "oidc.fresh_sign_in"
FRESH_SIGN_IN_KEPT = 10
# The MFA app's page that runs the second factor for a signed-in user, then goes to ?next=.
STEP_UP_URL_NAME = "mfa:step_up"


class Need(Enum):
    """What the portal session lacks for an authorization request."""

    NOTHING = "nothing"
    FRESH_SIGN_IN = "fresh_sign_in"  # prompt=login, max_age exceeded
    STEP_UP = "step_up"  # acr_values above what the session reached


@dataclass(frozen=True)
class PortalSession:
    """What the authorize step knows of the browser's portal session."""

    sid: str
    methods: tuple[str, ...]
    auth_time: int
    issuer: str

    @property
    def acr(self) -> str:
        return claims.acr_for(self.methods)


def portal_session(request: HttpRequest) -> PortalSession:
    """The signed-in session's sign-in methods, time and ``sid`` (created on first use)."""
    sid = request.session.get(SID_SESSION_KEY)
    if not sid:
        sid = request.session[SID_SESSION_KEY] = secrets.token_urlsafe(24)
    auth_time = request.session.get(AUTH_TIME_SESSION_KEY)
    if not auth_time:
        last_login = getattr(request.user, "last_login", None)
        auth_time = int(last_login.timestamp()) if last_login else int(time.time())
    methods = tuple(request.session.get(AUTH_METHODS_SESSION_KEY) or ())
    return PortalSession(
        sid=sid,
        methods=methods,
        auth_time=int(auth_time),
        issuer=_issuer(request),
    )


# Where ``_issuer`` keeps its answer for the rest of the request.
_ISSUER_ATTRIBUTE = "_oidc_issuer"


def _issuer(request: HttpRequest) -> str:
    """``oidc_issuer`` for ``request``, worked out once per request: it depends on the
    request's scheme and host alone (an authorize request asks twice: what the session lacks,
    then the code's sign-in context)."""
    issuer = getattr(request, _ISSUER_ATTRIBUTE, None)
    if issuer is None:
        issuer = oidc_issuer(request)
        setattr(request, _ISSUER_ATTRIBUTE, issuer)
    return issuer


_DISCOVERY_SUFFIX = "/.well-known/openid-configuration"


@functools.lru_cache(maxsize=16)
def _discovery_path(urlconf, root_urlconf: str, script_prefix: str) -> str:
    """The discovery document's path, as ``reverse`` gives it for this URL configuration
    (the request's, else ``ROOT_URLCONF``) and script prefix: what ``reverse`` reads at each
    call is the key."""
    return reverse("oauth2_provider:oidc-connect-discovery-info", urlconf=urlconf)


def oidc_issuer(request: HttpRequest | OAuthlibRequest) -> str:
    """DOT's ``oauth2_settings.oidc_issuer``, the same answer for a Django or an oauthlib
    request (``OIDC_ISSUER``, else the request's scheme and host with the discovery path's
    prefix), without a URL reversal per call: the path is the same for every request served
    under one URL configuration and script prefix, so it is reversed once per process for
    each. The host is still checked (``ALLOWED_HOSTS``) and read at every call."""
    if oauth2_settings.OIDC_ISS_ENDPOINT:
        return oauth2_settings.OIDC_ISS_ENDPOINT
    if isinstance(request, HttpRequest):
        django_request = request
    elif isinstance(request, OAuthlibRequest):
        django_request = _PhonyHttpRequest()  # as DOT builds it
        django_request.META = request.headers
        if request.headers.get("X_DJANGO_OAUTH_TOOLKIT_SECURE", False):
            django_request._scheme = "https"
    else:
        raise TypeError(f"request must be a django or oauthlib request: got {request!r}")
    path = _discovery_path(get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
    return django_request.build_absolute_uri(path)[: -len(_DISCOVERY_SUFFIX)]


def _max_age(params: QueryDict) -> int | None:
    try:
        value = int(params.get("max_age", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def authentication_needed(request: HttpRequest, params: QueryDict) -> Need:
    """What the signed-in session must do before this authorization request is answered.

    OpenID Connect Core §3.1.2.1: ``prompt=login`` and an elapsed ``max_age`` ask for a fresh
    sign-in (``max_age=0`` is the same as ``prompt=login``), met once the session signed in
    after this very request asked (``fresh_sign_in_url``); ``acr_values`` above the session's
    level asks for the second factor (step-up), once per request.
    """
    session = portal_session(request)
    prompt = set(params.get("prompt", "").split())
    max_age = _max_age(params)
    fresh = "login" in prompt or max_age == 0
    if max_age is not None and time.time() - session.auth_time > max_age:
        fresh = True
    if fresh and not _signed_in_since_asked(request):
        return Need.FRESH_SIGN_IN
    required = claims.required_acr(params.get("acr_values", ""))
    if claims.satisfies(session.acr, required):
        return Need.NOTHING
    if request.session.get(STEP_UP_TRIED_SESSION_KEY) == _fingerprint(request):
        # The user went through step-up for this very request and still does not reach the
        # level (no such factor): answer with the level reached; `acr` tells the app.
        return Need.NOTHING
    return Need.STEP_UP


def _fingerprint(request: HttpRequest) -> str:
    return hashlib.sha256(request.get_full_path().encode()).hexdigest()


def _signed_in_since_asked(request: HttpRequest) -> bool:
    """Whether the session completed a sign-in after this very request asked for a fresh one
    (a step-up in between is no sign-in: OpenID Connect Core §3.1.2.1, prompt=login)."""
    asked = (request.session.get(FRESH_SIGN_IN_SESSION_KEY) or {}).get(_fingerprint(request))
    signed_in = request.session.get(SIGNIN_TIME_SESSION_KEY)
    return asked is not None and signed_in is not None and signed_in > asked


def without_prompt_login(params: QueryDict) -> QueryDict:
    """``params`` without the ``login`` value of ``prompt`` (once it was met)."""
    prompt = params.get("prompt", "").split()
    if "login" not in prompt:
        return params
    rest = [value for value in prompt if value != "login"]
    params = params.copy()
    if rest:
        params["prompt"] = " ".join(rest)
    else:
        params.pop("prompt", None)
    return params


def with_consent_asked(params: QueryDict, application: Application) -> QueryDict:
    """``params`` asking DOT for its consent page (``approval_prompt=force``) when they carry
    ``prompt=consent`` and ``application`` is not first-party; else ``params`` as they are.

    OpenID Connect Core §3.1.2.1: with ``consent`` the authorization server SHOULD ask the
    person for consent even when given before (DOT's ``approval_prompt=auto`` would skip the
    page after an earlier consent). An app the admin made first-party (``skip_authorization``)
    is never asked, as a Keycloak client without "Consent required".
    """
    if application.skip_authorization or "consent" not in params.get("prompt", "").split():
        return params
    params = params.copy()
    params["approval_prompt"] = "force"
    return params


def fresh_sign_in_url(request: HttpRequest) -> str:
    """The sign-in page, returning to this very authorize request, which it will then meet.

    Nothing ends here: a cross-site link with ``prompt=login`` must not sign anyone out. The
    sign-in pages run beside the current session (accounts.signin.flows.request_fresh_signin), which
    is replaced only when the new sign-in completes; abandoned, the session goes on as before.
    """
    asked = dict(request.session.get(FRESH_SIGN_IN_SESSION_KEY) or {})
    asked[_fingerprint(request)] = time.time()
    # A handful of requests at most wait for a fresh sign-in; the oldest are forgotten.
    request.session[FRESH_SIGN_IN_SESSION_KEY] = dict(list(asked.items())[-FRESH_SIGN_IN_KEPT:])
    if request.user.is_authenticated:
        request_fresh_signin(request)
    return url_with_next(reverse(settings.LOGIN_URL), request.get_full_path())


def step_up_url(request: HttpRequest) -> str | None:
    """The MFA step-up page, returning to this authorize request; None when not installed."""
    try:
        page = reverse(STEP_UP_URL_NAME)
    except NoReverseMatch:
        log.warning("acr_values asked for step-up but %s is not installed", STEP_UP_URL_NAME)
        return None
    request.session[STEP_UP_TRIED_SESSION_KEY] = _fingerprint(request)
    return url_with_next(page, request.get_full_path())


def has_consent(user, application: Application, scopes: list[str]) -> bool:
    """Whether the app may be answered without the consent page (first-party, or consented
    earlier: a live token for these scopes, as DOT's ``approval_prompt=auto``)."""
    if application.skip_authorization:
        return True
    tokens = get_access_token_model().objects.filter(
        user=user, application=application, expires__gt=timezone.now()
    )
    return any(token.allow_scopes(scopes) for token in tokens)


# --- The sign-in context, from the authorize step to the tokens ------------------------------


def record_sign_in_context(session: PortalSession | None, grant, code_hash: str) -> None:
    """Remembers how the user signed in, for the ID tokens this code will give."""
    if session is None:
        log.warning("authorization code issued without a portal session context")
        return
    sign_in_context(session, grant, code_hash).save()


def sign_in_context(session: PortalSession, grant, code_hash: str) -> SignInContext:
    """How the user signed in, for the code of ``grant`` (not saved yet)."""
    return SignInContext(
        user=grant.user,
        application=grant.application,
        sid=session.sid,
        issuer=session.issuer,
        amr=claims.amr_for(session.methods),
        acr=session.acr,
        auth_time=datetime.fromtimestamp(session.auth_time, tz=UTC),
        code_hash=code_hash,
        # The refresh-token family this code will start (validators._create_refresh_token):
        # named now, so the code exchange does not write the context again.
        token_family=uuid.uuid4(),
    )


def context_claims(context: SignInContext) -> dict:
    """The ID token claims that tell the app how and when the user signed in."""
    return {
        "amr": list(context.amr),
        "acr": context.acr,
        "auth_time": int(context.auth_time.timestamp()),
        "sid": context.sid,
    }


def revoke_tokens_of_reused_code(code_hash: str, application: Application) -> None:
    """RFC 6749 §4.1.2: when a code is used twice, revoke the tokens issued from it."""
    context = SignInContext.objects.filter(
        code_hash=code_hash, application=application, token_family__isnull=False
    ).first()
    if context is not None:
        log.warning("authorization code used twice; revoking its tokens (app %s)", application.pk)
        get_refresh_token_model().revoke_family(context.token_family)


# --- The end of a portal session -------------------------------------------------------------


def sign_out_of_apps(user, sid: str) -> None:
    """Ends what the portal session ``sid`` gave to relying apps and queues their back-channel
    logout after commit. Idempotent: a session already ended has nothing left to end."""
    from sso.oidc.tasks import send_backchannel_logout

    for context_id in end_portal_session(user, sid):
        transaction.on_commit(lambda pk=context_id: send_backchannel_logout.delay(pk))


def end_portal_session(user, sid: str) -> list[int]:
    """Ends what the portal session ``sid`` gave to relying apps; returns the contexts whose
    apps get a back-channel logout.

    Their refresh tokens are revoked (a portal sign-out signs the user out everywhere) and the
    contexts are marked ended. The caller queues the back-channel logout after commit.
    """
    contexts = list(SignInContext.objects.filter(user=user, sid=sid, ended__isnull=True))
    if not contexts:
        return []
    RefreshToken = get_refresh_token_model()
    with transaction.atomic():
        for family in {c.token_family for c in contexts if c.token_family}:
            RefreshToken.revoke_family(family)
        SignInContext.objects.filter(pk__in=[c.pk for c in contexts]).update(ended=timezone.now())
    # One logout token per application that asked for them.
    notify: dict[int, int] = {}
    for context in contexts:
        notify.setdefault(context.application_id, context.pk)
    with_uri = set(
        Application.objects.filter(pk__in=notify.keys())
        .exclude(backchannel_logout_uri="")
        .values_list("pk", flat=True)
    )
    return [pk for app_id, pk in notify.items() if app_id in with_uri]
