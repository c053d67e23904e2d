"""Every Redis database a test run touches comes from the run's environment, so that two runs
on one machine given different ones share no keys; and none is database 0, where a portal run
on the same machine keeps its data, unless the environment says so."""

import pytest

from tests.redis_databases import cache_redis_url, run_redis_url, sms_redis_url

ALL = ("REDIS_URL", "TEST_REDIS_DB", "TEST_CACHE_REDIS_DB", "TEST_SMS_REDIS_DB")


@pytest.fixture
def environment(monkeypatch):
    """A run given no Redis variables, to which a test adds its own."""
    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_run_given_no_redis_url_keeps_off_database_0(environment):
    assert run_redis_url() == "redis://127.0.0.1:6379/14"
    assert cache_redis_url() == "redis://127.0.0.1:6379/15"  # cleared apart from the broker
    assert sms_redis_url() == "redis://127.0.0.1:6379/13"  # its worker restores all unacked
    environment.setenv("TEST_REDIS_DB", "3")
    environment.setenv("TEST_CACHE_REDIS_DB", "4")
    environment.setenv("TEST_SMS_REDIS_DB", "5")
    assert run_redis_url() == "redis://127.0.0.1:6379/3"
    assert cache_redis_url() == "redis://127.0.0.1:6379/4"
    assert sms_redis_url() == "redis://127.0.0.1:6379/5"


def test_a_run_given_a_redis_url_uses_its_server_and_database(environment):
    environment.setenv("REDIS_URL", "redis://:secret@10.0.0.5:6380/7")
    environment.setenv("TEST_REDIS_DB", "3")  # only without REDIS_URL
    assert run_redis_url() == "redis://:secret@10.0.0.5:6380/7"
    assert cache_redis_url() == "redis://:secret@10.0.0.5:6380/15"
    environment.setenv("TEST_CACHE_REDIS_DB", "8")
    assert cache_redis_url() == "redis://:secret@10.0.0.5:6380/8"
    assert cache_redis_url("redis://127.0.0.1:41234/0") == "redis://127.0.0.1:41234/8"


def test_a_redis_url_without_a_database_gets_the_cache_s_on_its_server(environment):
    environment.setenv("REDIS_URL", "redis://127.0.0.1:6379")
    assert cache_redis_url() == "redis://127.0.0.1:6379/15"
