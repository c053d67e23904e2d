"""The shared attempt counters (accounts.counters): several reserved and given back in one step,
in Redis and in the database (no Redis)."""

import os

import pytest
from django.core.cache import cache

from accounts import counters


@pytest.fixture(params=["redis", "database"])
def counters_in(request, settings, db):
    if request.param == "redis":
        url = request.getfixturevalue("redis_server")
        location = url.rsplit("/", 1)[0] + "/" + os.environ.get("TEST_CACHE_REDIS_DB", "15")
        backend = {"BACKEND": "sso.cache.PortalRedisCache", "LOCATION": location}
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {"default": {**backend, "KEY_PREFIX": "counters"}}
    cache.clear()
    yield request.param
    cache.clear()


def test_reserve_many_counts_each_key_and_release_gives_one_back(counters_in):
    windows = {"test:a": 60, "test:b": 60, "test:c": 900}
    assert counters.reserve_many(windows) == [1, 1, 1]
    assert counters.reserve("test:b", 60) == 2
    assert counters.reserve_many(windows) == [2, 3, 2]
    counters.release(*windows)
    assert counters.peek(*windows) == {"test:a": 1, "test:b": 2, "test:c": 1}


def test_release_never_goes_below_zero_nor_makes_a_counter(counters_in):
    counters.reserve("test:a", 60)
    counters.release("test:a", "test:missing")
    counters.release("test:a")
    assert counters.peek("test:a", "test:missing") == {"test:a": 0}


def test_a_counter_lives_its_window_from_the_first_count(counters_in, time_machine):
    if counters_in == "redis":
        pytest.skip("Redis expires keys on its own clock")
    time_machine.move_to("2026-11-21 09:00:00+07:00", tick=False)
    counters.reserve_many({"test:a": 60, "test:b": 600})
    time_machine.move_to("2026-11-21 09:01:01+07:00", tick=False)
    assert counters.reserve_many({"test:a": 60, "test:b": 600}) == [1, 2]


def test_reserve_unless_reserves_only_below_every_ceiling(counters_in):
    windows = {"test:ip": 60, "test:account": 600}
    ceilings = {"test:ip": 2, "test:net": 5}
    assert counters.reserve_unless(ceilings, windows) == [1, 1]
    assert counters.reserve_unless(ceilings, windows) == [2, 2]
    # The IP's counter holds its ceiling now: nothing is reserved, not even the account's.
    assert counters.reserve_unless(ceilings, windows) is None
    assert counters.peek("test:ip", "test:account", "test:net") == {
        "test:ip": 2,
        "test:account": 2,
    }
    counters.release("test:ip")
    assert counters.reserve_unless(ceilings, windows) == [2, 3]


def test_reserve_unless_looks_at_a_counter_it_does_not_reserve(counters_in):
    counters.reserve_many({"test:net": 60})
    assert counters.reserve_unless({"test:net": 1}, {"test:account": 60}) is None
    assert counters.peek("test:account") == {}
    assert counters.reserve_unless({"test:net": 2}, {"test:account": 60}) == [1]


def test_counting_goes_on_when_redis_forgot_its_scripts(counters_in):
    """A Redis restarted (or its script cache flushed) answers NOSCRIPT to a script sent by
    its SHA1: the script is then sent whole, and the count carries on."""
    if counters_in != "redis":
        pytest.skip("scripts are Redis's")
    assert counters.reserve_many({"test:a": 60}) == [1]
    cache._cache.get_client(write=True).script_flush()
    assert counters.reserve_unless({"test:a": 5}, {"test:a": 60}) == [2]
    cache._cache.get_client(write=True).script_flush()
    counters.release("test:a")
    assert counters.peek("test:a") == {"test:a": 1}
