"""The service providers' origins, for the Content-Security-Policy's ``form-action``.

A form post that ends in a redirect to a service provider (Sign Out leading to its
SingleLogoutService) needs that origin listed: sso/oidc/csp.py adds these to the relying apps'.
"""

from urllib.parse import urlsplit

from sso.saml import sp_metadata
from sso.saml.models import ServiceProvider


def service_provider_origins() -> set[str]:
    """Scheme and host of every active SP's ACS and logout URLs (from its metadata)."""
    origins = set()
    for xml in ServiceProvider.objects.filter(is_active=True).values_list(
        "metadata_xml", flat=True
    ):
        try:
            described = sp_metadata.read(xml)
        except sp_metadata.MetadataError:
            continue
        for url in described.acs_urls + described.slo_urls:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins
