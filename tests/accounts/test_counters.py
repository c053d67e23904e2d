"""The shared attempt counters (accounts.counters): several reserved and given back in one step,
in Redis and in the database (no Redis)."""

import pytest
from django.core.cache import cache, caches

from accounts import counters
from tests.accounts.conftest import use_counters_in


@pytest.fixture(params=["redis", "database"])
def counters_in(request, settings, db):
    use_counters_in(request.param, request, settings, "counters")
    yield request.param
    cache.clear()


@pytest.fixture
def counters_in_redis(request, settings, db):
    """Redis only: what the tests using it check (scripts, held commands) is Redis's."""
    use_counters_in("redis", request, settings, "counters")
    yield "redis"
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


def test_counting_goes_on_when_redis_forgot_its_scripts(counters_in_redis):
    """A Redis restarted (or its script cache flushed) answers NOSCRIPT to a script sent by
    its SHA1: the script is then sent whole, and the count carries on."""
    assert counters.reserve_many({"test:a": 60}) == [1]
    cache._cache.get_client(write=True).script_flush()
    assert counters.reserve_unless({"test:a": 5}, {"test:a": 60}) == [2]
    cache._cache.get_client(write=True).script_flush()
    counters.release("test:a")
    assert counters.peek("test:a") == {"test:a": 1}


@pytest.fixture
def held_in_redis(counters_in_redis):
    """A request's span: what ``later`` holds back is sent with the next command or at the
    end (sso.sessions.SessionMiddleware calls hold and send_held)."""
    from sso.redis_commands import RedisCommands

    RedisCommands.hold()
    yield RedisCommands
    RedisCommands.send_held()


def test_a_give_back_goes_with_the_next_command(held_in_redis):
    counters.reserve_many({"test:a": 60, "test:b": 60})
    counters.release("test:a")
    counters.clear("test:b")
    # Held back so far: Redis itself still has both counts ...
    raw = cache._cache.get_client(write=True)
    assert raw.get(cache.make_key("test:a")) == b"1"
    assert raw.get(cache.make_key("test:b")) == b"1"
    # ... and the next command on the connection sends them first, in the same write.
    assert counters.peek("test:a", "test:b") == {"test:a": 0}


def test_what_is_held_is_sent_when_the_request_ends(held_in_redis):
    counters.reserve("test:a", 60)
    counters.release("test:a")
    held_in_redis.send_held()
    raw = cache._cache.get_client(write=True)
    assert raw.get(cache.make_key("test:a")) == b"0"
    counters.release("test:a")  # no longer held: sent at once
    counters.reserve("test:a", 60)
    assert raw.get(cache.make_key("test:a")) == b"1"


def test_an_error_answer_to_a_held_command_leaves_the_connection_in_step(held_in_redis):
    from sso.redis_commands import redis_commands

    commands = redis_commands(caches["default"])
    cache._cache.get_client(write=True).set(cache.make_key("test:text"), "not a number")
    commands.later("INCR", commands.key("test:text"))  # Redis answers with an error
    counters.reserve("test:a", 60)
    assert counters.reserve("test:a", 60) == 2
    assert counters.peek("test:a") == {"test:a": 2}


def test_a_right_password_gives_its_reservation_back_by_the_end_of_the_request(
    counters_in, client, user, password
):
    """Through the whole middleware: the give-back is held back to the session's save."""
    from accounts import lockout

    client.post("/accounts/login/", {"username": user.username})
    client.post("/accounts/login/password/", {"password": password})
    ip = "127.0.0.1"
    account = lockout.account_key(lockout.password_limit(), user.username, user)
    counts = counters.peek(lockout.ip_key(ip), lockout.network_key(ip), account)
    assert counts[lockout.ip_key(ip)] == counts[lockout.network_key(ip)] == 0
    assert counts.get(account, 0) == 0  # given back, or cleared by the finished sign-in


def test_a_row_deleted_while_a_reserve_reads_it_back_is_reserved_again(
    monkeypatch, request, settings, db
):
    """Without Redis: a parallel reserve inserts the counter's row between this one's look and
    its insert, and a parallel clear deletes it before get_or_create reads it back; Django
    then raises the insert's IntegrityError. The reservation is made again, not a 500."""
    from django.db import IntegrityError

    from accounts.models import AttemptCounter

    use_counters_in("database", request, settings, "counters")
    once = counters._reserve_row_once
    raced = []

    def racing(key, window_seconds):  # type: ignore[no-untyped-def]
        if not raced:
            raced.append(key)
            raise IntegrityError("duplicate key value violates unique constraint")
        return once(key, window_seconds)

    monkeypatch.setattr(counters, "_reserve_row_once", racing)
    assert counters.reserve("sends:ani", 60) == 1
    assert raced == ["sends:ani"]
    assert AttemptCounter.objects.get(key="sends:ani").count == 1
