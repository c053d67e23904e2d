"""The portal's rules around pysaml2's identity provider (SAML 2.0 Web Browser SSO Profile).

A request is received (checked: readable, known sender, signed when required, addressed to us,
fresh, not seen before, ACS URL in the sender's metadata) and kept in the session under a
random token; the browser then goes to ``resume``, which signs the user in, runs a fresh sign-in
beside the current session (``ForceAuthn``) or a step-up (``RequestedAuthnContext``, MFA
required) as needed, and finally answers with a signed response POSTed to the ACS URL. Views
call these functions and render.
"""

import base64
import calendar
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from saml2 import BINDING_HTTP_POST, time_util
from saml2.s_utils import UnknownPrincipal, UnsupportedBinding
from saml2.saml import NameID
from saml2.samlp import STATUS_NO_AUTHN_CONTEXT
from saml2.sdb import SessionStorage

from accounts import audit
from accounts.signin.flows import SIGNIN_TIME_SESSION_KEY
from sso.oidc.flows import portal_session
from sso.saml import assurance, idp, messages
from sso.saml.assurance import Requested
from sso.saml.models import NAMEID_EMAIL, NAMEID_PERSISTENT, Pseudonym, SamlSession, ServiceProvider
from sso.saml.names import PENDING_SESSION_KEY

log = logging.getLogger(__name__)

MAX_PENDING = 5  # requests waiting for the same browser's sign-in; older ones are dropped

SAML_SIGNIN = "saml.signin"
SAML_LOGOUT = "saml.logout"

# Friendly names (pysaml2's saml_uri map turns them into urn:oid: names, SAML V2.0 X.500/LDAP
# Attribute Profile) for what an admin may release.
ATTRIBUTE_NAMES = {
    ServiceProvider.Attribute.USERNAME: "uid",
    ServiceProvider.Attribute.NAME: "displayName",
    ServiceProvider.Attribute.EMAIL: "mail",
    ServiceProvider.Attribute.GROUPS: "isMemberOf",
}


class Refused(Exception):
    """A request that gets no SAML answer, only the error page (status 400).

    ``message`` is for the person; ``reason`` for the log.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


BAD_REQUEST = _("The application sent a sign-in request the portal cannot accept.")
UNKNOWN_SP = _("This application is not registered with the portal.")
EXPIRED = _(
    "The application's sign-in request has expired or was already used. Go back to the application and try again."  # noqa: E501
)


@dataclass
class Pending:
    """An accepted AuthnRequest (or an IdP-initiated sign-in) waiting for the portal session."""

    sp_id: int
    request_id: str | None
    acs_url: str
    relay_state: str | None
    force_authn: bool
    class_refs: tuple[str, ...]
    comparison: str
    received: float
    step_up_tried: bool = False

    @property
    def requested(self) -> Requested:
        return Requested(tuple(self.class_refs), self.comparison)


@dataclass(frozen=True)
class PostForm:
    """What the browser POSTs to the service provider (SAML Bindings §3.5)."""

    url: str
    field: str
    value: str
    relay_state: str | None


# --- Receiving a request ---------------------------------------------------------------------


def service_provider(entity_id: str) -> ServiceProvider:
    sp = ServiceProvider.objects.filter(entity_id=entity_id, is_active=True).first()
    if sp is None:
        raise Refused(UNKNOWN_SP, f"unknown service provider {entity_id[:200]!r}")
    return sp


def fresh(issue_instant: str) -> bool:
    """Whether the request was issued within SSO_SAML_REQUEST_MAX_AGE_SECONDS (± clock skew)."""
    try:
        issued = time_util.str_to_time(issue_instant)
    except (ValueError, TypeError, AttributeError):
        return False
    if not issued:
        return False
    age = time.time() - calendar.timegm(issued)
    skew = settings.SSO_SAML_CLOCK_SKEW_SECONDS
    return -skew <= age <= settings.SSO_SAML_REQUEST_MAX_AGE_SECONDS + skew


def first_use(issuer: str, request_id: str) -> bool:
    """Remembers the request ID; False when it was seen before (SAML Profiles §4.1.4.5)."""
    window = settings.SSO_SAML_REQUEST_MAX_AGE_SECONDS + 2 * settings.SSO_SAML_CLOCK_SKEW_SECONDS
    digest = hashlib.sha256(f"{issuer}\n{request_id}".encode()).hexdigest()
    return cache.add(f"sso:saml:seen:{digest}", 1, window)


def receive_authn_request(request: HttpRequest, binding: str) -> Pending:
    """Checks an AuthnRequest; returns what ``resume`` needs to answer it.

    Raises Refused for anything that may not be answered: unreadable or hostile XML, an
    unknown issuer, a missing or wrong signature where one is required (or any wrong one),
    another destination, an expired or replayed request, an ACS URL not in the metadata.
    """
    params = request.GET if request.method == "GET" else request.POST
    try:
        message = messages.decode(params, binding)
    except messages.BadMessage as exc:
        raise Refused(BAD_REQUEST, str(exc)) from exc
    if message.root != "AuthnRequest":
        raise Refused(BAD_REQUEST, f"{message.root} sent to the SSO endpoint")
    sp = service_provider(message.issuer)
    # A signature that is present is always checked, required or not.
    strict = sp.require_signed_requests or bool(message.signature) or b"Signature" in message.xml
    server = idp.server(request, strict=strict)
    try:
        parsed = server.parse_authn_request(
            message.encoded,
            binding,
            relay_state=message.relay_state,
            sigalg=message.sig_alg,
            signature=message.signature,
        )
    except Exception as exc:  # pysaml2 raises many kinds; none may become an error 500
        raise Refused(BAD_REQUEST, f"rejected by pysaml2: {type(exc).__name__}: {exc}") from exc
    if parsed is None or parsed.message is None:
        raise Refused(BAD_REQUEST, "pysaml2 returned no request")
    authn = parsed.message
    if authn.issuer is None or (authn.issuer.text or "").strip() != sp.entity_id:
        raise Refused(BAD_REQUEST, "issuer changed between peek and parse")
    if not fresh(authn.issue_instant):
        raise Refused(EXPIRED, f"expired request from {sp.entity_id}")
    try:
        args = server.response_args(authn, [BINDING_HTTP_POST])
    except Exception as exc:
        raise Refused(BAD_REQUEST, f"no usable ACS: {exc}") from exc
    if authn.assertion_consumer_service_url and (
        args["destination"] != authn.assertion_consumer_service_url
    ):
        raise Refused(BAD_REQUEST, "ACS URL not in the metadata")
    if not first_use(sp.entity_id, authn.id):
        raise Refused(EXPIRED, f"replayed request {authn.id[:80]} from {sp.entity_id}")
    context = authn.requested_authn_context
    pending = Pending(
        sp_id=sp.pk,
        request_id=authn.id,
        acs_url=args["destination"],
        relay_state=message.relay_state,
        force_authn=str(authn.force_authn).lower() in ("true", "1"),
        class_refs=assurance.class_refs(
            ref.text for ref in (context.authn_context_class_ref if context else [])
        ),
        comparison=(context.comparison if context and context.comparison else assurance.EXACT),
        received=time.time(),
    )
    return pending


def begin_idp_initiated(request: HttpRequest, sp: ServiceProvider) -> str:
    """An unsolicited response to the SP's first POST ACS (SAML Profiles §4.1.5); a token."""
    server = idp.server(request)
    try:
        acs = server.metadata.assertion_consumer_service(sp.entity_id, BINDING_HTTP_POST)
    except Exception as exc:
        raise Refused(UNKNOWN_SP, f"no metadata for {sp.entity_id}: {exc}") from exc
    if not acs:
        raise Refused(UNKNOWN_SP, f"no POST ACS in the metadata of {sp.entity_id}")
    default = next((a for a in acs if a.get("is_default") in ("true", True)), acs[0])
    pending = Pending(
        sp_id=sp.pk,
        request_id=None,
        acs_url=default["location"],
        relay_state=None,
        force_authn=False,
        class_refs=(),
        comparison=assurance.EXACT,
        received=time.time(),
    )
    return keep(request, pending)


SEAL_SALT = "sso.saml.pending"


def seal_data(data: dict, salt: str) -> str:
    """``data`` signed for the URL of a ``continue`` step.

    A message POSTed by another site arrives without the portal's SameSite=Lax session cookie,
    so it cannot be kept in the session there; the browser carries it, signed, to a GET of the
    portal's own, which does see the session.
    """
    return signing.dumps(data, salt=salt, compress=True)


def unseal_data(value: str, salt: str) -> dict:
    """The data sealed in ``value``, once; raises Refused when forged, old or used."""
    try:
        data = signing.loads(value, salt=salt, max_age=settings.SSO_SAML_REQUEST_MAX_AGE_SECONDS)
    except signing.BadSignature as exc:
        raise Refused(EXPIRED, "bad or expired sealed message") from exc
    digest = hashlib.sha256(value.encode()).hexdigest()
    window = settings.SSO_SAML_REQUEST_MAX_AGE_SECONDS + settings.SSO_SAML_CLOCK_SKEW_SECONDS
    if not cache.add(f"sso:saml:unsealed:{digest}", 1, window):
        raise Refused(EXPIRED, "sealed message used twice")
    if not isinstance(data, dict):
        raise Refused(EXPIRED, "sealed message of another kind")
    return data


def seal(pending: Pending) -> str:
    """``pending`` signed for the URL of the SSO ``continue`` step."""
    data = asdict(pending)
    data["class_refs"] = list(pending.class_refs)
    return seal_data(data, SEAL_SALT)


def unseal(value: str) -> Pending:
    """The Pending sealed in ``value``, once; raises Refused when forged, old or used."""
    data = unseal_data(value, SEAL_SALT)
    try:
        return Pending(**{**data, "class_refs": tuple(data.get("class_refs") or ())})
    except TypeError as exc:
        raise Refused(EXPIRED, "sealed request of another version") from exc


def keep(request: HttpRequest, pending: Pending) -> str:
    """Stores ``pending`` in the session; returns its token."""
    waiting = dict(request.session.get(PENDING_SESSION_KEY) or {})
    while len(waiting) >= MAX_PENDING:
        waiting.pop(min(waiting, key=lambda t: waiting[t]["received"]))
    token = secrets.token_urlsafe(16)
    data = asdict(pending)
    data["class_refs"] = list(pending.class_refs)
    waiting[token] = data
    request.session[PENDING_SESSION_KEY] = waiting
    return token


def pending_request(request: HttpRequest, token: str) -> Pending | None:
    """The kept request with this token, or None (unknown, or older than the sign-in allows)."""
    data = (request.session.get(PENDING_SESSION_KEY) or {}).get(token)
    if not isinstance(data, dict):
        return None
    pending = Pending(**{**data, "class_refs": tuple(data.get("class_refs") or ())})
    if time.time() - pending.received > settings.ACCOUNTS_SIGNIN_TIMEOUT_SECONDS:
        return None
    return pending


def forget(request: HttpRequest, token: str) -> None:
    waiting = dict(request.session.get(PENDING_SESSION_KEY) or {})
    if waiting.pop(token, None) is not None:
        request.session[PENDING_SESSION_KEY] = waiting


def mark_step_up_tried(request: HttpRequest, token: str) -> None:
    waiting = dict(request.session.get(PENDING_SESSION_KEY) or {})
    if token in waiting:
        waiting[token] = {**waiting[token], "step_up_tried": True}
        request.session[PENDING_SESSION_KEY] = waiting


# --- Deciding and answering ------------------------------------------------------------------


class Step:
    SIGN_IN = "sign_in"
    FRESH_SIGN_IN = "fresh_sign_in"
    STEP_UP = "step_up"
    ANSWER = "answer"
    NO_AUTHN_CONTEXT = "no_authn_context"


def next_step(request: HttpRequest, pending: Pending) -> str:
    """What the portal session must do before ``pending`` is answered (one of Step)."""
    if not request.user.is_authenticated:
        return Step.SIGN_IN
    if pending.force_authn and not signed_in_since(request, pending.received):
        # SAML Core §3.4.1: ForceAuthn — the person must sign in again, not reuse the session.
        # Nothing ends here (the request may come from any site): the sign-in pages run beside
        # the session, which the new sign-in replaces only once it completes.
        return Step.FRESH_SIGN_IN
    session = portal_session(request)
    sp = ServiceProvider.objects.get(pk=pending.sp_id)
    minimum = assurance.MFA_LEVEL if sp.mfa_required else 0
    level = assurance.level_of(session.acr)
    if assurance.answer(level, pending.requested, minimum) is not None:
        return Step.ANSWER
    needed = assurance.required_level(pending.requested, minimum)
    if needed is None or needed <= level or pending.step_up_tried:
        return Step.NO_AUTHN_CONTEXT
    return Step.STEP_UP


def signed_in_since(request: HttpRequest, moment: float) -> bool:
    """Whether the session completed a sign-in after ``moment`` (seconds, with their fraction:
    a sign-in in the same second as the request is told apart). A step-up is no sign-in: it
    does not meet ForceAuthn (SAML Core §3.4.1)."""
    signed_in = request.session.get(SIGNIN_TIME_SESSION_KEY)
    return isinstance(signed_in, int | float) and signed_in > moment


class _AssertionRecorder(SessionStorage):
    """pysaml2 keeps every assertion it makes in memory; the portal keeps SamlSession rows
    instead. This store remembers only the last assertion of the thread (for its SessionIndex)."""

    def __init__(self) -> None:
        self.local = threading.local()

    def store_assertion(self, assertion, to_sign) -> None:
        self.local.assertion = assertion

    def last_session_index(self) -> str:
        assertion = getattr(self.local, "assertion", None)
        statements = assertion.authn_statement if assertion is not None else []
        return statements[0].session_index if statements else ""


def _server_for_answers(request: HttpRequest):
    server = idp.server(request)
    if not isinstance(server.session_db, _AssertionRecorder):
        server.session_db = _AssertionRecorder()
    return server


def name_id_value(user, sp: ServiceProvider) -> str:
    """The NameID the SP knows ``user`` by, in its configured format."""
    if sp.name_id_format == NAMEID_PERSISTENT:
        pseudonym, _created = Pseudonym.objects.get_or_create(user=user, service_provider=sp)
        return pseudonym.value
    if sp.name_id_format == NAMEID_EMAIL:
        return user.email
    return user.get_username()


def released_attributes(user, sp: ServiceProvider) -> dict[str, list[str]]:
    """The attributes the admin chose to release to ``sp``, by friendly name."""
    values = {
        ServiceProvider.Attribute.USERNAME: [user.get_username()],
        ServiceProvider.Attribute.NAME: [user.get_full_name()],
        ServiceProvider.Attribute.EMAIL: [user.email] if user.email else [],
        ServiceProvider.Attribute.GROUPS: sorted(user.groups.values_list("name", flat=True)),
    }
    return {
        ATTRIBUTE_NAMES[choice]: values[choice]
        for choice in sp.released_attributes
        if choice in ATTRIBUTE_NAMES and values[choice]
    }


def encoded(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def answer(request: HttpRequest, pending: Pending) -> PostForm:
    """The signed Response with the signed (and, if asked, encrypted) assertion for the user.

    Records a SamlSession (for Single Logout) and an audit event.
    """
    sp = ServiceProvider.objects.get(pk=pending.sp_id)
    session = portal_session(request)
    minimum = assurance.MFA_LEVEL if sp.mfa_required else 0
    class_ref = assurance.answer(assurance.level_of(session.acr), pending.requested, minimum)
    if class_ref is None:  # next_step said ANSWER; the session cannot have dropped a level
        return no_authn_context(request, pending)
    user = request.user
    server = _server_for_answers(request)
    if sp.encrypt_assertions and not server.has_encrypt_cert_in_metadata(sp.entity_id):
        # pysaml2 would quietly send the assertion in clear; the admin asked otherwise.
        raise Refused(BAD_REQUEST, f"no encryption certificate in the metadata of {sp.entity_id}")
    ends = idp.endpoints(request)
    name_id = NameID(
        format=sp.name_id_format,
        text=name_id_value(user, sp),
        name_qualifier=ends.entity_id,
        sp_name_qualifier=sp.entity_id,
    )
    try:
        response = server.create_authn_response(
            released_attributes(user, sp),
            pending.request_id,
            pending.acs_url,
            sp.entity_id,
            name_id=name_id,
            authn={"class_ref": class_ref, "authn_instant": session.auth_time},
            sign_response=True,
            sign_assertion=True,
            encrypt_assertion=sp.encrypt_assertions,
            # The encrypted assertion declares its own namespaces, so that it parses alone once
            # decrypted (pysaml2-based SPs need this).
            encrypt_assertion_self_contained=True,
            session_not_on_or_after=time_util.in_a_while(seconds=settings.SESSION_COOKIE_AGE),
        )
    except (UnknownPrincipal, UnsupportedBinding) as exc:
        raise Refused(BAD_REQUEST, f"cannot answer {sp.entity_id}: {exc}") from exc
    with transaction.atomic():
        SamlSession.objects.create(
            user=user,
            service_provider=sp,
            sid=session.sid,
            name_id=name_id.text,
            name_id_format=sp.name_id_format,
            session_index=server.session_db.last_session_index() or secrets.token_hex(16),
            authn_context=class_ref,
        )
        audit.record(
            request, SAML_SIGNIN, user=user, method=class_ref[-40:], application=sp.entity_id,
            initiated="sp" if pending.request_id else "idp",
        )  # fmt: skip
    return PostForm(pending.acs_url, "SAMLResponse", encoded(str(response)), pending.relay_state)


def no_authn_context(request: HttpRequest, pending: Pending) -> PostForm:
    """SAML Core §3.3.2.2.1: the requested context cannot be met (status NoAuthnContext)."""
    sp = ServiceProvider.objects.get(pk=pending.sp_id)
    server = idp.server(request)
    response = server.create_error_response(
        pending.request_id,
        pending.acs_url,
        (STATUS_NO_AUTHN_CONTEXT, "The requested authentication context is not available"),
        sign=True,
    )
    if request.user.is_authenticated:
        audit.record(
            request, SAML_SIGNIN, audit.REFUSED, user=request.user, application=sp.entity_id,
            reason="no_authn_context",
        )  # fmt: skip
    return PostForm(pending.acs_url, "SAMLResponse", encoded(str(response)), pending.relay_state)
