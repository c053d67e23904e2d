"""The SMS tests' Celery workers use a Redis database the run's environment names
(TEST_SMS_REDIS_DB on the server of REDIS_URL), not database 9 whatever the run was given:
two runs on one machine given different databases share none."""

from urllib.parse import urlsplit

import pytest

from tests.redis_databases import run_redis_url


@pytest.mark.redis
def test_the_sms_workers_redis_follows_the_environment(request, monkeypatch):
    server = urlsplit(run_redis_url())
    monkeypatch.setenv("REDIS_URL", server._replace(path="/11").geturl())
    monkeypatch.setenv("TEST_SMS_REDIS_DB", "12")

    assert request.getfixturevalue("redis_server") == server._replace(path="/12").geturl()
