"""Single Logout (SAML Profiles §4.4), front-channel, both directions.

When the portal session ends — the portal's Sign Out, an app's logout (OIDC or SAML), another
account's fresh sign-in — every SAML session it opened is ended (rows marked, one audit event
each), and the browser is led through each service provider's SingleLogoutService in turn with
a signed LogoutRequest (``next_hop``). The chain ends where it began: the page the sign-out led
to, or, when a service provider asked for the logout, a signed LogoutResponse to it.

The chain lives in the (new, signed-out) session under ``LOGOUT_SESSION_KEY``; each answer of a
service provider is matched by its ``InResponseTo`` to the random ID of the request it answers.
"""

from dataclasses import dataclass

from django.contrib.auth import logout as end_portal_session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import Issuer, NameID
from saml2.samlp import LogoutRequest

from accounts import audit
from sso.oidc.flows import SID_SESSION_KEY
from sso.saml import flows, idp, messages
from sso.saml.flows import BAD_REQUEST, EXPIRED, Refused
from sso.saml.models import SamlSession, ServiceProvider
from sso.saml.names import INITIATOR_ATTRIBUTE, QUEUE_ATTRIBUTE

LOGOUT_SESSION_KEY = "saml.logout"
SEAL_SALT = "sso.saml.logout"
SLO_BINDINGS = (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST)


@dataclass(frozen=True)
class Hop:
    """Where the browser goes next: a redirect (``url``), or a form POSTed to ``form.url``."""

    url: str = ""
    form: flows.PostForm | None = None


# --- Ending the SAML sessions of a portal session ---------------------------------------------


def end_saml_sessions(request: HttpRequest | None, user, sid: str) -> list[int]:
    """Marks the SAML sessions of portal session ``sid`` ended (one audit event each); returns
    the ids of those whose service provider has a SingleLogoutService to tell."""
    with transaction.atomic():
        rows = list(
            SamlSession.objects.select_for_update()
            .filter(user=user, sid=sid, ended__isnull=True)
            .select_related("service_provider")
        )
        SamlSession.objects.filter(pk__in=[row.pk for row in rows]).update(ended=timezone.now())
        for row in rows:
            audit.record(
                request, flows.SAML_LOGOUT, user=user, application=row.service_provider.entity_id
            )
    server = idp.server(request) if request is not None and rows else None
    return [row.pk for row in rows if server and _slo_endpoint(server, row.service_provider)]


def _slo_endpoint(server, sp: ServiceProvider) -> tuple[str, str] | None:
    """(binding, location) of the SP's SingleLogoutService, Redirect preferred; or None."""
    for binding in SLO_BINDINGS:
        try:
            services = server.metadata.single_logout_service(sp.entity_id, binding, "spsso")
        except Exception:  # noqa: S112 (UnsupportedBinding and unknown entities alike)
            continue
        if services:
            return binding, services[0]["location"]
    return None


# --- A logout asked by a service provider ------------------------------------------------------


def receive_logout_request(request: HttpRequest, binding: str) -> dict:
    """Checks a LogoutRequest from an SP (signed, fresh, not replayed); returns what
    ``begin_sp_logout`` needs. Raises Refused.

    Always signed, whatever the SP's ``require_signed_requests`` (SAML Profiles §4.4.3.1: the
    requester MUST authenticate itself): any site can make a browser send a LogoutRequest, and
    the NameID it names (an e-mail address, a username) may be no secret.
    """
    params = request.GET if request.method == "GET" else request.POST
    try:
        message = messages.decode(params, binding)
    except messages.BadMessage as exc:
        raise Refused(BAD_REQUEST, str(exc)) from exc
    if message.root != "LogoutRequest":
        raise Refused(BAD_REQUEST, f"{message.root} sent to the SLO endpoint")
    sp = flows.service_provider(message.issuer)
    try:
        parsed = idp.server(request, strict=True).parse_logout_request(
            message.encoded, binding, message.relay_state, message.sig_alg, message.signature
        )
    except Exception as exc:  # pysaml2 raises many kinds; none may become an error 500
        raise Refused(BAD_REQUEST, f"rejected by pysaml2: {type(exc).__name__}: {exc}") from exc
    logout_request = parsed.message if parsed is not None else None
    if logout_request is None or logout_request.name_id is None:
        raise Refused(BAD_REQUEST, "no LogoutRequest with a NameID")
    if not flows.fresh(logout_request.issue_instant):
        raise Refused(EXPIRED, f"expired logout request from {sp.entity_id}")
    if not flows.first_use(sp.entity_id, logout_request.id):
        raise Refused(EXPIRED, f"replayed logout request from {sp.entity_id}")
    return {
        "sp_id": sp.pk,
        "request_id": logout_request.id,
        "name_id": (logout_request.name_id.text or "").strip(),
        "session_indexes": [i.text for i in logout_request.session_index or [] if i.text],
        "relay_state": message.relay_state,
    }


def seal(asked: dict) -> str:
    return flows.seal_data(asked, SEAL_SALT)


def unseal(value: str) -> dict:
    return flows.unseal_data(value, SEAL_SALT)


def begin_sp_logout(request: HttpRequest, asked: dict) -> None:
    """Ends what the SP's LogoutRequest names and starts the chain that answers it.

    When the browser's portal session is the one the SP names, the portal session ends (and
    with it the other apps' sessions, by the user_logged_out receivers); else only the SAML
    sessions named are ended.
    """
    named = SamlSession.objects.filter(service_provider_id=asked["sp_id"], name_id=asked["name_id"])
    if asked["session_indexes"]:
        named = named.filter(session_index__in=asked["session_indexes"])
    sids = set(named.values_list("sid", flat=True))
    queue: list[int] = []
    if request.user.is_authenticated and request.session.get(SID_SESSION_KEY) in sids:
        setattr(request, INITIATOR_ATTRIBUTE, asked["sp_id"])
        end_portal_session(request)
        queue = getattr(request, QUEUE_ATTRIBUTE, [])
    else:
        for row in named.filter(ended__isnull=True).select_related("user"):
            end_saml_sessions(request, row.user, row.sid)
    request.session[LOGOUT_SESSION_KEY] = {
        "queue": [pk for pk in queue if _sp_of(pk) != asked["sp_id"]],
        "current": "",
        "reply": asked,
        "then": "",
    }


def _sp_of(saml_session_id: int) -> int | None:
    return (
        SamlSession.objects.filter(pk=saml_session_id)
        .values_list("service_provider_id", flat=True)
        .first()
    )


def begin_chain(request: HttpRequest, queue: list[int], then: str) -> None:
    """After the portal's own sign-out: tell ``queue``'s SPs, then go to ``then``."""
    request.session[LOGOUT_SESSION_KEY] = {
        "queue": list(queue),
        "current": "",
        "reply": None,
        "then": then,
    }


# --- The chain, one service provider at a time --------------------------------------------------


def next_hop(request: HttpRequest) -> Hop:
    """The next LogoutRequest to send, or the end of the chain."""
    state = request.session.get(LOGOUT_SESSION_KEY)
    if not isinstance(state, dict):
        return Hop(url="/")
    server = idp.server(request)
    while state["queue"]:
        row = (
            SamlSession.objects.filter(pk=state["queue"].pop(0))
            .select_related("service_provider")
            .first()
        )
        endpoint = _slo_endpoint(server, row.service_provider) if row else None
        if endpoint is None:
            continue
        binding, location = endpoint
        name_id = NameID(
            format=row.name_id_format,
            text=row.name_id,
            name_qualifier=idp.endpoints(request).entity_id,
            sp_name_qualifier=row.service_provider.entity_id,
        )
        request_id, logout_request = server.create_logout_request(
            location,
            row.service_provider.entity_id,
            name_id=name_id,
            session_indexes=[row.session_index],
            sign=binding == BINDING_HTTP_POST,
        )
        state["current"] = request_id
        request.session[LOGOUT_SESSION_KEY] = state
        return _hop(server, binding, str(logout_request), location, response=False)
    request.session.pop(LOGOUT_SESSION_KEY, None)
    if state.get("reply"):
        return _reply(request, server, state["reply"])
    return Hop(url=state.get("then") or "/")


def _reply(request: HttpRequest, server, asked: dict) -> Hop:
    sp = ServiceProvider.objects.filter(pk=asked["sp_id"]).first()
    endpoint = _slo_endpoint(server, sp) if sp else None
    if endpoint is None:
        return Hop(url="/")
    binding, location = endpoint
    question = LogoutRequest(id=asked["request_id"], issuer=Issuer(text=sp.entity_id))
    response = server.create_logout_response(question, [binding], sign=binding == BINDING_HTTP_POST)
    return _hop(server, binding, str(response), location, True, asked.get("relay_state"))


def _hop(server, binding, xml, location, response, relay_state=None) -> Hop:
    if binding == BINDING_HTTP_REDIRECT:
        info = server.apply_binding(
            binding, xml, location, relay_state or "", response=response, sign=True
        )
        return Hop(url=dict(info["headers"])["Location"])
    field = "SAMLResponse" if response else "SAMLRequest"
    return Hop(form=flows.PostForm(location, field, flows.encoded(xml), relay_state))


def answer_received(request: HttpRequest, binding: str) -> str:
    """An SP's LogoutResponse: its ``InResponseTo``, for ``matches_current``."""
    params = request.GET if request.method == "GET" else request.POST
    try:
        message = messages.decode(params, binding, field="SAMLResponse")
    except messages.BadMessage as exc:
        raise Refused(BAD_REQUEST, str(exc)) from exc
    if message.root != "LogoutResponse":
        raise Refused(BAD_REQUEST, f"{message.root} sent as a logout answer")
    return messages.in_response_to(message.xml)


def matches_current(request: HttpRequest, in_response_to: str) -> bool:
    """Whether the answer is to the LogoutRequest the chain sent last (its random ID)."""
    state = request.session.get(LOGOUT_SESSION_KEY)
    return isinstance(state, dict) and bool(in_response_to) and state["current"] == in_response_to
