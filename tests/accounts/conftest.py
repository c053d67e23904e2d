"""Fixtures of the accounts tests."""

from django.core.cache import cache
from django.core.management import call_command

from tests.redis_databases import cache_redis_url

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def use_counters_in(where: str, request, settings, prefix: str, other=LOCMEM) -> None:  # type: ignore[no-untyped-def]
    """Points the default cache, and so the shared attempt counters (accounts.counters), at
    the tests' Redis (``where`` "redis") or at ``other``, a cache that is not Redis, which the
    counters leave for rows in the database; ``prefix`` keeps a file's keys apart. Empties
    it."""
    if where == "redis":
        url = request.getfixturevalue("redis_server")
        backend = {"BACKEND": "sso.cache.PortalRedisCache", "LOCATION": cache_redis_url(url)}
    else:
        backend = other
    settings.CACHES = {"default": {**backend, "KEY_PREFIX": prefix}}
    if backend["BACKEND"].endswith(".DatabaseCache"):
        call_command("createcachetable", verbosity=0)  # made by migrate only when it is the cache
    cache.clear()
