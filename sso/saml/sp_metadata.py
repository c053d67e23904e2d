"""Reading a service provider's metadata (SAML Metadata §2.4.4) for the admin.

The XML is checked as any received message is (size, no DTD, depth; sso/saml/messages.py),
then read by pysaml2's metadata store, the same that later finds ACS URLs and certificates.
pysaml2's metadata store (with its XML schema library) and requests are imported where they are
used: the admin and the Content-Security-Policy import this module in every web worker.
"""

from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings

from sso.saml.messages import MAX_DEPTH, _depth

# Metadata lists endpoints and certificates: larger than a message, still bounded.
MAX_METADATA_BYTES = 1_000_000


class MetadataError(ValueError):
    """The metadata cannot be used; the text says why (shown in the admin form)."""


@dataclass(frozen=True)
class SpMetadata:
    entity_id: str
    acs_urls: tuple[str, ...]
    slo_urls: tuple[str, ...]
    signing_certs: tuple[str, ...]
    encryption_certs: tuple[str, ...]


def fetch(url: str) -> str:
    """The metadata published at ``url``; raises MetadataError."""
    import requests

    try:
        response = requests.get(
            url, timeout=settings.SSO_SAML_METADATA_FETCH_TIMEOUT, allow_redirects=False
        )
    except requests.RequestException as exc:
        raise MetadataError(f"could not fetch the metadata: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise MetadataError(f"the metadata URL answered HTTP {response.status_code}")
    if len(response.content) > MAX_METADATA_BYTES:
        raise MetadataError("the metadata is too large")
    return response.text


def _services(lookup, *args) -> list[str]:
    """Locations of a service for one binding; none when the SP does not offer that binding."""
    from saml2.s_utils import UnsupportedBinding

    try:
        return [service["location"] for service in lookup(*args) or []]
    except UnsupportedBinding:
        return []


def read(xml: str) -> SpMetadata:
    """The service provider described by ``xml`` (one EntityDescriptor); raises MetadataError."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.attribute_converter import ac_factory
    from saml2.config import Config
    from saml2.mdstore import MetadataStore

    data = xml.encode()
    if len(data) > MAX_METADATA_BYTES:
        raise MetadataError("the metadata is too large")
    try:
        root = fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ValueError, SyntaxError) as exc:
        raise MetadataError("the metadata is not acceptable XML") from exc
    if _depth(root) > MAX_DEPTH:
        raise MetadataError("the metadata is nested too deep")
    config = Config()
    config.load({"entityid": "urn:sso-portal:metadata-reader"})
    store = MetadataStore(ac_factory(), config)
    try:
        store.load("inline", xml)
    except Exception as exc:  # pysaml2 raises many kinds for bad metadata
        raise MetadataError(f"the metadata could not be read ({type(exc).__name__})") from exc
    entities = [eid for eid in store.keys() if store[eid].get("spsso_descriptor")]  # noqa: SIM118 (no __iter__)
    if len(entities) != 1:
        raise MetadataError("the metadata must describe exactly one service provider")
    entity_id = entities[0]
    acs = _services(store.assertion_consumer_service, entity_id, BINDING_HTTP_POST)
    if not acs:
        raise MetadataError("the metadata has no AssertionConsumerService with HTTP-POST")
    slo = []
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        slo += _services(store.single_logout_service, entity_id, binding, "spsso")
    return SpMetadata(
        entity_id=entity_id,
        acs_urls=tuple(acs),
        slo_urls=tuple(slo),
        signing_certs=tuple(c for _, c in store.certs(entity_id, "spsso", "signing")),
        encryption_certs=tuple(c for _, c in store.certs(entity_id, "spsso", "encryption")),
    )
