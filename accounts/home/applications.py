"""The relying applications Home lists, kept in the cache until one of them changes.

Home is the last page of every sign-in, and its list (the listed OpenID Connect applications
with a home page and the listed, active SAML service providers, sso.oidc.home and
sso.saml.home) cost two queries per view for a list that changes when an admin edits an app.
It is now kept in the shared cache under one key and dropped whenever an Application or a
ServiceProvider is saved or deleted (``connect``, from the accounts app's ``ready``), in any
process: the next Home, in any worker, reads the new list. Changes that send no signal
(``QuerySet.update``, ``bulk_create``) show within ``CACHE_SECONDS``.

One key for everyone: every signed-in user may open every listed application (the app itself
decides what the user may do there). Should the list ever depend on the user, the key must
name the user too.
"""

import contextlib

from django.core.cache import cache

from accounts.models import User
from sso.oidc import home as oidc_home
from sso.saml import home as saml_home

CACHE_KEY = "accounts:home:applications"
CACHE_SECONDS = 300


def applications_for(user: User) -> list[dict]:
    """The applications ``user`` can open from Home, by name (case-insensitive): ``name``,
    ``url`` and ``logo_url``; none for someone not signed in. Read from the cache, else from
    the database (and kept). A cache out of reach costs the queries, never the page."""
    if not user.is_authenticated:
        return []
    cached = None
    with contextlib.suppress(Exception):  # the cache is only a shortcut
        cached = cache.get(CACHE_KEY)
    if cached is not None:
        return cached
    applications = sorted(
        oidc_home.applications_for(user) + saml_home.applications_for(user),
        key=lambda app: app["name"].casefold(),
    )
    with contextlib.suppress(Exception):
        cache.set(CACHE_KEY, applications, CACHE_SECONDS)
    return applications


def forget(**kwargs: object) -> None:
    """Drops the cached list (a receiver of post_save and post_delete of the listed apps'
    models); a cache out of reach keeps it at most ``CACHE_SECONDS``."""
    with contextlib.suppress(Exception):
        cache.delete(CACHE_KEY)


def connect() -> None:
    """Drops the list whenever an OpenID Connect application or a SAML service provider is
    saved or deleted (called once, by the accounts app's ``ready``)."""
    from django.db.models.signals import post_delete, post_save

    from sso.oidc.models import Application
    from sso.saml.models import ServiceProvider

    for model in (Application, ServiceProvider):
        for signal in (post_save, post_delete):
            signal.connect(
                forget, sender=model, dispatch_uid=f"home-apps-{model.__name__}-{signal}"
            )
