"""Shared fixtures: users, a clean cache, and real services (Redis) when reachable."""

import os
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from accounts.models import User

PASSWORD = "correct horse battery staple"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    """Rate-limit counters must not leak from one test into the next.

    The database cache is rolled back with each test's transaction; Redis must be emptied.
    """
    in_redis = "redis" in settings.CACHES["default"]["BACKEND"].lower()
    if in_redis:
        cache.clear()
    yield
    if in_redis:
        cache.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_user(db):
    def make(username: str = "ani", password: str = PASSWORD, **fields) -> User:
        fields.setdefault("email", f"{username}@example.com")
        fields.setdefault("full_name", username.title())
        user = User(username=username, **fields)
        user.set_password(password)
        user.save()
        return user

    return make


@pytest.fixture
def user(make_user) -> User:
    return make_user()


def redis_url_for_tests() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_server() -> str:
    """A reachable Redis URL; skipped (with its reason) without one, except under CI=true."""
    url = redis_url_for_tests()
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"CI=true but Redis at {url} is not reachable: {exc}")
        pytest.skip(f"Redis at {url} is not reachable ({exc}); set REDIS_URL or start redis")
    return url


def post_username(client, username: str, next_url: str = ""):
    data = {"username": username}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def sign_in(client, username: str, password: str, next_url: str = ""):
    """Walks the username-first pages as a person does; returns the password step's response."""
    post_username(client, username, next_url)
    client.get("/accounts/login/method/")
    return client.post("/accounts/login/password/", {"password": password})
