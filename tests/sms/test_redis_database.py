"""The SMS tests' Celery workers use the run's Redis database (REDIS_URL), not one of their
own that every run on the machine would share (it was database 9, whatever the run was given)."""

from urllib.parse import urlsplit

import pytest

from tests.redis_databases import run_redis_url


@pytest.mark.redis
def test_the_sms_workers_redis_follows_redis_url(request, monkeypatch):
    given = urlsplit(run_redis_url())._replace(path="/11").geturl()  # same server, another db
    monkeypatch.setenv("REDIS_URL", given)
    assert request.getfixturevalue("redis_server") == given
