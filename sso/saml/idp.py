"""The pysaml2 identity provider, configured from settings and the registered service providers.

pysaml2 does the protocol: parsing and verifying requests (signatures through xmlsec1), making
signed (and optionally encrypted) responses and the IdP metadata. This module only builds its
configuration. A ``Server`` is built per (base URL, strictness, registered SPs' version) and kept
in the process: reading every SP's metadata for each request would be slow. pysaml2's
configuration, server and metadata writer (with its XML schema library) are imported where they
are used, so that a sign-out with no SAML session to end does not load them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Max
from django.http import HttpRequest
from django.urls import reverse
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.saml import NAME_FORMAT_URI
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from sso.saml.keys import certificate_body
from sso.saml.models import NAMEID_EMAIL, NAMEID_PERSISTENT, NAMEID_UNSPECIFIED, ServiceProvider

if TYPE_CHECKING:
    from saml2.config import IdPConfig
    from saml2.server import Server

BINDINGS = (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST)
_lock = threading.Lock()


@dataclass(frozen=True)
class Endpoints:
    """The IdP's absolute URLs on the host that was asked."""

    entity_id: str
    sso_redirect: str
    sso_post: str
    slo_redirect: str
    slo_post: str


def endpoints(request: HttpRequest) -> Endpoints:
    """The entity ID (``SSO_SAML_ENTITY_ID`` or the metadata URL) and the endpoint URLs."""

    def url(name: str) -> str:
        return request.build_absolute_uri(reverse(f"saml:{name}"))

    return Endpoints(
        entity_id=settings.SSO_SAML_ENTITY_ID or url("metadata"),
        sso_redirect=url("sso_redirect"),
        sso_post=url("sso_post"),
        slo_redirect=url("slo_redirect"),
        slo_post=url("slo_post"),
    )


def _config(ends: Endpoints, metadata: tuple[str, ...], strict: bool) -> IdPConfig:
    from saml2.config import IdPConfig

    key_file = str(settings.SSO_SAML_SIGNING_KEY_FILE)
    cert_file = str(settings.SSO_SAML_SIGNING_CERT_FILE)
    lifetime = {"seconds": settings.SSO_SAML_ASSERTION_LIFETIME_SECONDS}
    config = IdPConfig()
    config.load(
        {
            "entityid": ends.entity_id,
            "name": settings.SSO_SITE_NAME,
            "xmlsec_binary": settings.SSO_SAML_XMLSEC_BINARY,
            "key_file": key_file,
            "cert_file": cert_file,
            "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
            "metadata": {"inline": list(metadata)},
            "accepted_time_diff": settings.SSO_SAML_CLOCK_SKEW_SECONDS,
            "service": {
                "idp": {
                    "signing_algorithm": SIG_RSA_SHA256,
                    "digest_algorithm": DIGEST_SHA256,
                    "name": settings.SSO_SITE_NAME,
                    "endpoints": {
                        "single_sign_on_service": [
                            (ends.sso_redirect, BINDING_HTTP_REDIRECT),
                            (ends.sso_post, BINDING_HTTP_POST),
                        ],
                        "single_logout_service": [
                            (ends.slo_redirect, BINDING_HTTP_REDIRECT),
                            (ends.slo_post, BINDING_HTTP_POST),
                        ],
                    },
                    "name_id_format": [NAMEID_PERSISTENT, NAMEID_EMAIL, NAMEID_UNSPECIFIED],
                    # pysaml2 enforces signatures on both bindings when this is on; an SP that
                    # may send unsigned requests is served by the lenient twin (see server()).
                    "want_authn_requests_signed": strict,
                    "sign_response": True,
                    "sign_assertion": True,
                    "policy": {
                        "default": {
                            "lifetime": lifetime,
                            "name_form": NAME_FORMAT_URI,
                            "attribute_restrictions": None,
                        }
                    },
                }
            },
        }
    )
    return config


def _sp_version() -> tuple:
    row = ServiceProvider.objects.filter(is_active=True).aggregate(
        count=Count("pk"), updated=Max("updated")
    )
    return (row["count"], row["updated"])


@lru_cache(maxsize=8)
def _server(ends: Endpoints, strict: bool, version: tuple, keys: tuple) -> Server:
    from saml2.server import Server

    metadata = tuple(
        ServiceProvider.objects.filter(is_active=True).values_list("metadata_xml", flat=True)
    )
    return Server(config=_config(ends, metadata, strict))


def server(request: HttpRequest, *, strict: bool = True) -> Server:
    """The pysaml2 IdP for this host; ``strict`` refuses unsigned requests."""
    keys = (str(settings.SSO_SAML_SIGNING_KEY_FILE), str(settings.SSO_SAML_SIGNING_CERT_FILE))
    with _lock:
        return _server(endpoints(request), strict, _sp_version(), keys)


def metadata_xml(request: HttpRequest) -> str:
    """The IdP's metadata (SAML Metadata §2.4.3), with the previous signing certificates too.

    Keeping the old certificates during a rotation lets SPs that cache metadata go on verifying
    what the old key signed, and learn the new one before it is used.
    """
    from saml2.metadata import do_key_descriptor, entity_descriptor

    config = server(request).config
    descriptor = entity_descriptor(config)
    idp = descriptor.idpsso_descriptor
    for path in settings.SSO_SAML_PREVIOUS_CERT_FILES:
        body = certificate_body(path.read_text())
        idp.key_descriptor.extend(do_key_descriptor(cert=[body], use="signing"))
    return str(descriptor)
