"""Reading a SAML message off the wire safely, before pysaml2 sees it.

pysaml2 parses with defusedxml (no external entities, no DTD), but it inflates a Redirect-binding
message without a bound and builds its objects recursively. So a message is first decoded here
within ``SSO_SAML_MAX_MESSAGE_BYTES`` (a deflate bomb stops at the limit), parsed once with
defusedxml with DTDs forbidden, and refused when nested deeper than any SAML message is.
"""

import base64
import binascii
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings

from sso.request_input import names_sent, repeated_names

SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
# A signed AuthnRequest with extensions is about 8 levels deep; 32 leaves room for any SP.
MAX_DEPTH = 32


class BadMessage(Exception):
    """The message cannot be read at all; the text says why (for the log and the 400 page)."""


@dataclass(frozen=True)
class Message:
    """A received SAML protocol message: its transport form (for pysaml2) and what a peek at
    the XML tells before any signature is checked (to find the sender's metadata)."""

    encoded: str
    xml: bytes
    root: str  # local name of the root element, e.g. "AuthnRequest"
    issuer: str
    relay_state: str | None
    sig_alg: str | None
    signature: str | None


def _depth(element: Element) -> int:
    deepest, stack = 0, [(element, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, depth + 1) for child in node)
    return deepest


def decode(params, binding: str, field: str = "SAMLRequest") -> Message:
    """The message in ``params`` (a QueryDict) as sent with ``binding``; raises BadMessage."""
    from saml2 import BINDING_HTTP_REDIRECT  # here: sp_metadata's reader imports this module

    limit = settings.SSO_SAML_MAX_MESSAGE_BYTES
    repeated = repeated_names(names_sent(params))
    if repeated:
        # The message, its RelayState and signature must each be one (sso/request_input.py):
        # pysaml2 would check a signature over values other than those acted on.
        raise BadMessage(f"{repeated[0][:40]!r} given more than once")
    encoded = params.get(field, "")
    if not encoded:
        raise BadMessage(f"no {field}")
    if len(encoded) > limit * 2:
        raise BadMessage("message too large")
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise BadMessage("not base64") from exc
    if binding == BINDING_HTTP_REDIRECT:
        inflater = zlib.decompressobj(-15)  # raw DEFLATE (SAML Bindings §3.4.4.1)
        try:
            xml = inflater.decompress(raw, limit + 1)
        except zlib.error as exc:
            raise BadMessage("not DEFLATE-compressed") from exc
    else:
        xml = raw
    if len(xml) > limit:
        raise BadMessage("message too large")
    try:
        root = fromstring(xml, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise BadMessage(f"not acceptable XML ({type(exc).__name__})") from exc
    if _depth(root) > MAX_DEPTH:
        raise BadMessage("XML nested too deep")
    if not root.tag.startswith(SAMLP):
        raise BadMessage("not a SAML protocol message")
    issuer = root.find(f"{SAML}Issuer")
    if issuer is None or not (issuer.text or "").strip():
        raise BadMessage("no Issuer")
    return Message(
        encoded=encoded,
        xml=xml,
        root=root.tag.removeprefix(SAMLP),
        issuer=issuer.text.strip(),
        relay_state=params.get("RelayState"),
        sig_alg=params.get("SigAlg"),
        signature=params.get("Signature"),
    )


def in_response_to(xml: bytes) -> str:
    """The ``InResponseTo`` of an already decoded (and so already checked) message."""
    return fromstring(xml, forbid_dtd=True).get("InResponseTo", "")
