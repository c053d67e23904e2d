"""Which Redis databases a test run uses: each from the run's environment, so that two runs on
one machine given different ones share no keys, and none is database 0 (where a portal run on
the same machine keeps its data) unless the environment names it.

- ``REDIS_URL``: the Redis of the tests that need one (Celery workers' broker, the counters
  shared between processes); without it (``make test-sqlite`` unsets it), database
  ``TEST_REDIS_DB`` (default 14) of 127.0.0.1:6379.
- ``TEST_CACHE_REDIS_DB`` (default 15): the cache's database on that server, apart from the
  broker's, since tests empty the cache around every case.
- ``TEST_SMS_REDIS_DB`` (default 13): the broker's database of tests/sms on that server. Its
  Celery worker restores every unacknowledged task of its database within seconds (kombu
  keeps them per database), so it must not share one with the workers of other tests, which
  a test that kills a worker leaves behind.

Imported by tests/settings.py, before Django is set up: no Django here.
"""

import os
from urllib.parse import urlsplit

LOCAL_SERVER = "redis://127.0.0.1:6379"
DEFAULT_DB = "14"
DEFAULT_CACHE_DB = "15"
DEFAULT_SMS_DB = "13"


def run_redis_url() -> str:
    """REDIS_URL, or database TEST_REDIS_DB (default 14) of 127.0.0.1:6379 without it."""
    given = os.environ.get("REDIS_URL")
    if given:
        return given
    return f"{LOCAL_SERVER}/{os.environ.get('TEST_REDIS_DB') or DEFAULT_DB}"


def _database_of_run_server(database: str, server_url: str | None) -> str:
    return urlsplit(server_url or run_redis_url())._replace(path=f"/{database}").geturl()


def cache_redis_url(server_url: str | None = None) -> str:
    """Database TEST_CACHE_REDIS_DB (default 15) of the server of ``server_url`` (a Redis URL;
    default ``run_redis_url()``), its address and password kept."""
    database = os.environ.get("TEST_CACHE_REDIS_DB") or DEFAULT_CACHE_DB
    return _database_of_run_server(database, server_url)


def sms_redis_url(server_url: str | None = None) -> str:
    """Database TEST_SMS_REDIS_DB (default 13) of the server of ``server_url`` (default
    ``run_redis_url()``), its address and password kept."""
    database = os.environ.get("TEST_SMS_REDIS_DB") or DEFAULT_SMS_DB
    return _database_of_run_server(database, server_url)
