"""The relying apps' origins in the Content-Security-Policy's ``form-action``.

Browsers (Chromium at least) apply ``form-action`` to the redirects that follow a form post,
so the sign-in form's final redirect to an app's callback needs that app's origin listed.
The list comes from the registered redirect and post-logout URIs (and the SAML service
providers' ACS and logout URLs, sso/saml/csp.py), cached a few minutes and
dropped whenever an application changes (sso/oidc/signals.py). Each worker also keeps the list
it read for ``LOCAL_SECONDS``, so that a page costs no cache read: a change reaches the worker
that made it at once and every other within those seconds.
"""

import contextlib
import time
from urllib.parse import urlsplit

from django.core.cache import cache

RELYING_ORIGINS_CACHE_KEY = "sso:csp:relying-origins"
LOCAL_SECONDS = 5
_local: tuple[float, list[str]] | None = None  # (until, origins) of this worker


def _cached() -> list[str] | None:
    try:
        return cache.get(RELYING_ORIGINS_CACHE_KEY)
    except Exception:  # the cache is only a shortcut; Redis down must not break the header
        return None


def relying_app_origins() -> list[str]:
    global _local
    now = time.monotonic()
    if _local is not None and _local[0] > now:
        return _local[1]
    origins = _cached()
    if origins is None:
        from sso.oidc.models import Application

        uris = Application.objects.values_list("redirect_uris", "post_logout_redirect_uris")
        from sso.saml.csp import service_provider_origins

        origins = sorted(
            {
                f"{parts.scheme}://{parts.netloc}"
                for row in uris
                for uri in " ".join(row).split()
                if (parts := urlsplit(uri)).scheme in ("http", "https") and parts.netloc
            }
            | service_provider_origins()
        )
        with contextlib.suppress(Exception):  # as above: a cache outage only costs the query
            cache.set(RELYING_ORIGINS_CACHE_KEY, origins, 300)
    _local = (now + LOCAL_SECONDS, origins)
    return origins


def with_relying_app_origins(policy: str) -> str:
    """``policy`` with the relying apps' origins added to ``form-action 'self'``."""
    if "form-action 'self'" not in policy:
        return policy
    origins = relying_app_origins()
    if not origins:
        return policy
    return policy.replace("form-action 'self'", "form-action 'self' " + " ".join(origins), 1)


def forget_relying_app_origins(**kwargs: object) -> None:
    global _local
    _local = None
    with contextlib.suppress(Exception):
        cache.delete(RELYING_ORIGINS_CACHE_KEY)
