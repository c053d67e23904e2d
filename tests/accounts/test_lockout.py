"""Brute-force protection: per-account lock after 5 failures, per-IP limit, admin unlock."""

import os
import subprocess
import sys

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import override_settings

from accounts.models import User
from tests.conftest import led_to, sign_in
from tests.redis_databases import cache_redis_url

LOCKED = "This account is locked for"
WRONG = "Wrong username or password."


def fail(client, username: str, times: int) -> None:
    for _ in range(times):
        response = sign_in(client, username, "definitely-wrong-password")
        assert led_to(response) == ""  # the password page again


def test_five_failures_lock_the_account(client, user, password):
    fail(client, "ani", 4)
    user.refresh_from_db()
    assert not user.is_locked
    response = sign_in(client, "ani", "definitely-wrong-password")
    assert LOCKED in response.text
    user.refresh_from_db()
    assert user.is_locked


def test_locked_account_refuses_even_the_right_password_with_the_same_message(
    client, user, password
):
    fail(client, "ani", 5)
    right = sign_in(client, "ani", password)
    wrong = sign_in(client, "ani", "still-wrong-password")
    assert LOCKED in right.text and LOCKED in wrong.text
    assert right.status_code == wrong.status_code
    assert SESSION_KEY not in client.session


def test_unknown_usernames_lock_the_same_way(client, db):
    fail(client, "ghost", 5)
    response = sign_in(client, "ghost", "anything-at-all")
    assert LOCKED in response.text


def test_a_lock_written_after_the_first_look_refuses_the_right_password(
    client, user, password, monkeypatch
):
    """A parallel attempt may lock the account between this attempt's first read of it and its
    reservation: the lock (and hash) read again after the reservation is what counts."""
    from accounts import lockout

    first_look = lockout.find_user

    def then_locked(username: str):
        found = first_look(username)
        lockout.lock_account(User.objects.get(pk=found.pk), 15)
        return found

    monkeypatch.setattr(lockout, "find_user", then_locked)
    response = sign_in(client, "ani", password)
    assert LOCKED in response.text
    assert SESSION_KEY not in client.session


def test_a_password_changed_after_the_first_look_is_the_one_checked(
    client, user, password, monkeypatch
):
    from accounts import lockout

    first_look = lockout.find_user

    def then_changed(username: str):
        found = first_look(username)
        changed = User.objects.get(pk=found.pk)
        changed.set_password("an entirely new passphrase")
        changed.save()
        return found

    monkeypatch.setattr(lockout, "find_user", then_changed)
    response = sign_in(client, "ani", password)
    assert WRONG in response.text
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("compiled", [True, False])
def test_both_reads_work_compiled_once_or_built_by_the_orm(
    client, user, password, monkeypatch, compiled
):
    """A backend that converts columns (SQLite) has the ORM build both reads each time."""
    from accounts import lockout

    if not compiled:
        monkeypatch.setattr(lockout, "_statement", lambda kind, vendor: None)
    lockout.lock_account(user, 15)
    assert LOCKED in sign_in(client, "ANI", password).text
    lockout.unlock(user)
    assert WRONG in sign_in(client, "ani", "definitely-wrong-password").text
    assert led_to(sign_in(client, "Ani", password)) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_lock_ends_after_fifteen_minutes(client, user, password, time_machine):
    time_machine.move_to("2026-11-21 10:00:00+07:00", tick=False)
    fail(client, "ani", 5)
    time_machine.move_to("2026-11-21 10:14:00+07:00", tick=False)
    assert LOCKED in sign_in(client, "ani", password).text
    time_machine.move_to("2026-11-21 10:15:30+07:00", tick=False)
    assert led_to(sign_in(client, "ani", password)) == "/"


def test_success_resets_the_account_counter(client, user, password):
    fail(client, "ani", 4)
    assert led_to(sign_in(client, "ani", password)) == "/"
    client.post("/accounts/logout/")
    fail(client, "ani", 4)
    user.refresh_from_db()
    assert not user.is_locked


@override_settings(ACCOUNTS_IP_FAILURE_LIMIT=8)
def test_per_ip_limit_blocks_spraying_many_accounts(client, db):
    for n in range(8):
        sign_in(client, f"user{n}", "wrong-password-x")
    response = sign_in(client, "someone-else", "wrong-password-x")
    assert response.status_code == 429
    assert "Too many failed attempts from your network" in response.text


@override_settings(ACCOUNTS_IP_FAILURE_LIMIT=6)
def test_a_blocked_network_is_told_before_a_locked_account(client, user, password):
    fail(client, "ani", 5)  # locks the account; five of the IP's failures
    assert led_to(sign_in(client, "someone", "wrong-password-x")) == ""  # the sixth
    response = sign_in(client, "ani", password)
    assert response.status_code == 429
    assert "Too many failed attempts from your network" in response.text
    assert LOCKED not in response.text


@override_settings(ACCOUNTS_IP_FAILURE_LIMIT=3)
def test_a_blocked_client_counts_nothing_against_the_account(client, user, password):
    from accounts import counters, lockout

    for n in range(3):
        sign_in(client, f"user{n}", "wrong-password-x")
    assert sign_in(client, "ani", "wrong-password-x").status_code == 429
    account = lockout.account_key(lockout.password_limit(), "ani", user)
    assert counters.peek(account, *lockout.ip_limits("127.0.0.1")) == {
        "signin:failures:ip:127.0.0.1": 3,
        "signin:failures:net:127.0.0.0/24": 3,
    }


def sign_in_from(address: str, username: str, password: str):
    """A new browser behind the trusted proxy at 10.0.0.1, whose client is ``address``."""
    from django.test import Client

    browser = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=address)
    return sign_in(browser, username, password)


@override_settings(
    SSO_TRUSTED_PROXIES=["10.0.0.1/32"],
    ACCOUNTS_IP_FAILURE_LIMIT=50,
    ACCOUNTS_NETWORK_FAILURE_LIMIT=6,
)
def test_per_network_limit_stops_walking_through_neighbouring_addresses(user, password):
    """Spraying from a new address of the same /24 for every guess: each address stays under
    its own limit, the network does not. Another network is not affected."""
    for n in range(6):
        assert WRONG in sign_in_from(f"198.51.100.{n + 1}", f"user{n}", "wrong-password-x").text
    refused = sign_in_from("198.51.100.200", "ani", password)
    assert refused.status_code == 429
    assert "Too many failed attempts from your network" in refused.text
    assert led_to(sign_in_from("203.0.113.7", "ani", password)) == "/"


@override_settings(
    SSO_TRUSTED_PROXIES=["10.0.0.1/32"],
    ACCOUNTS_IP_FAILURE_LIMIT=50,
    ACCOUNTS_NETWORK_FAILURE_LIMIT=4,
)
def test_an_ipv6_host_cannot_reset_the_count_by_changing_address(user, password):
    for n in range(4):
        sign_in_from(f"2001:db8:1:2::{n + 1:x}", f"user{n}", "wrong-password-x")
    assert sign_in_from("2001:db8:1:2:ffff::9", "ani", password).status_code == 429
    assert led_to(sign_in_from("2001:db8:1:3::1", "ani", password)) == "/"


@pytest.mark.parametrize(
    ("ip", "network"),
    [
        ("198.51.100.77", "198.51.100.0/24"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("not-an-address", "not-an-address"),
        ("", ""),
    ],
)
def test_client_network(ip, network):
    from sso.net import client_network

    assert client_network(ip) == network


@override_settings(ACCOUNTS_NETWORK_PREFIX_V4=99, ACCOUNTS_NETWORK_PREFIX_V6=-1)
def test_a_mistyped_prefix_setting_never_breaks_sign_in():
    from sso.net import client_network

    assert client_network("198.51.100.77") == "198.51.100.77/32"
    assert client_network("2001:db8::1") == "::/0"


def test_admin_sees_and_clears_the_lock(client, user, password, make_user):
    fail(client, "ani", 5)
    make_user("root", is_staff=True, is_superuser=True)
    admin = type(client)()
    admin.force_login(User.objects.get(username="root"))
    listing = admin.get("/admin/accounts/user/?locked=yes")
    assert listing.status_code == 200
    assert ">ani<" in listing.text
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "unlock_accounts", "_selected_action": [user.pk]},
        follow=True,
    )
    assert "1 account unlocked." in response.text
    user.refresh_from_db()
    assert not user.is_locked
    assert led_to(sign_in(client, "ani", password)) == "/"


def test_admin_search_finds_by_name_and_email(client, make_user):
    make_user("root", is_staff=True, is_superuser=True)
    make_user("budi", full_name="Budi Santoso", email="budi@kantor.go.id")
    admin = type(client)()
    admin.force_login(User.objects.get(username="root"))
    assert "budi" in admin.get("/admin/accounts/user/?q=Santoso").text
    assert "budi" in admin.get("/admin/accounts/user/?q=kantor.go.id").text
    assert ">budi<" not in admin.get("/admin/accounts/user/?q=nomatch").text


SECOND_PROCESS = """
import django, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
django.setup()
from django.core.cache import cache
from accounts import counters, lockout
from accounts.models import User
# The account as the web process knows it (this process has no test database): counters are
# keyed on the account id; a failure is a reservation that is not given back.
ani = User(pk=int(sys.argv[2]), username="ani")
key = lockout.account_key(lockout.password_limit(), "ani", ani)
for _ in range(int(sys.argv[1])):
    count = counters.reserve(key, 900)
print(count)
"""


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_failures_are_shared_with_a_second_process_through_redis(
    redis_server, client, make_user, password, settings
):
    """Two web processes, one Redis: failures in either count toward the same lock."""
    redis_cache = {
        "default": {
            "BACKEND": "sso.cache.PortalRedisCache",
            # This run's own cache database: parallel runs on one machine keep apart.
            "LOCATION": cache_redis_url(redis_server),
            "KEY_PREFIX": "sso",
        }
    }
    settings.CACHES = redis_cache
    from django.core.cache import cache

    cache.clear()
    ani = make_user("ani")
    fail(client, "ani", 2)
    env = {"REDIS_URL": redis_server, "PATH": "/usr/bin:/bin"}
    env.update(
        {
            k: v
            for k, v in os.environ.items()
            if k in ("DATABASE_URL", "HOME", "TEST_CACHE_REDIS_DB")
        }
    )
    out = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, "2", str(ani.pk)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "4"  # the other process saw this one's two failures
    response = sign_in(client, "ani", "wrong-once-more")
    assert LOCKED in response.text
    cache.clear()
