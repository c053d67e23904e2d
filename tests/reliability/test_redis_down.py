"""Redis stops while people sign in: a clear "try again" page (503), never an error 500 or a
stack trace; once Redis is back, the same browsers carry on within seconds.

The cache (rate limits, lockout counters, sessions) is a redis-server of this test's own,
frozen (out of reach, data kept) or killed and started again empty on the same port.
PortalMiddleware (sso/middleware.py) turns redis/kombu connection errors into the
503 page, and the session middleware (sso/sessions.py) does for a session it cannot read.
"""

import time

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import PASSWORD, led_to

MIDDLEWARE_PATH = "sso.middleware.PortalMiddleware"
# How soon after Redis is back the portal must answer normally again.
RECOVERY_SECONDS = 5


@pytest.fixture
def portal_on_private_redis(settings, private_redis):
    """The cache on the test's own Redis (short timeouts), and the 503 middleware on."""
    settings.CACHES = {
        "default": {
            "BACKEND": "sso.cache.PortalRedisCache",
            "LOCATION": private_redis.url,
            "KEY_PREFIX": "sso",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:2], MIDDLEWARE_PATH, *settings.MIDDLEWARE[2:]]
    return private_redis


def to_password_page(client: Client, username: str = "ani") -> None:
    method_page = client.post("/accounts/login/", {"username": username})
    assert led_to(method_page) == "/accounts/login/method/"


def assert_try_again_page(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"]
    text = response.content.decode()
    assert "try again" in text.lower()
    assert "Traceback" not in text
    assert "redis" not in text.lower()  # nothing about the inside reaches the page


def test_redis_down_gives_503_then_sign_in_resumes(
    portal_on_private_redis, user, phone, transactional_db
):
    redis = portal_on_private_redis
    ana, budi, citra = Client(), Client(), Client()
    to_password_page(ana)
    to_password_page(budi)
    # Citra is signed in already: the pages she uses do not need Redis.
    to_password_page(citra)
    right = citra.post("/accounts/login/password/", {"password": PASSWORD})
    assert led_to(right).startswith("/security/challenge/")
    citra.post("/security/challenge/", {"method": "totp"})
    validated = citra.post("/security/challenge/totp/", {"code": phone.now()})
    assert led_to(validated) == "/security/challenge/confirm/"
    assert led_to(citra.post("/security/challenge/confirm/", {"remember": "on"})) == "/"

    redis.freeze()  # out of reach: every command times out; its data is kept

    statuses = []
    for browser in (ana, budi):
        response = browser.post("/accounts/login/password/", {"password": PASSWORD})
        assert_try_again_page(response)
        statuses.append(response.status_code)
    # A wrong password is counted in Redis too: the same page, not a 500.
    assert_try_again_page(ana.post("/accounts/login/password/", {"password": "wrong" * 3}))
    # Pages that need no Redis keep working.
    assert Client().get("/accounts/login/").status_code == 200
    assert citra.get("/").status_code == 200

    redis.thaw()
    back = time.monotonic()
    while True:
        response = ana.post("/accounts/login/password/", {"password": PASSWORD})
        if response.status_code != 503 or time.monotonic() - back > RECOVERY_SECONDS:
            break
        assert response.status_code == 503
        time.sleep(0.2)
    recovered_after = time.monotonic() - back
    assert response.status_code == 200, (
        f"still {response.status_code} after {recovered_after:.1f} s"
    )
    assert led_to(response) == "/security/challenge/totp/"  # the one factor's page
    print(f"answering normally {recovered_after:.2f} s after Redis came back")
    # Budi carries on from where the outage stopped him, in the same browser.
    right = budi.post("/accounts/login/password/", {"password": PASSWORD})
    assert led_to(right) == "/security/challenge/totp/"


def test_broker_down_when_a_code_is_asked_gives_503(
    settings, user, email_factor, transactional_db, private_redis
):
    """The cache answers but Celery's broker does not: queuing the code mail fails with a
    kombu error, which gets the same 503 page."""
    from sso.celery import app

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE[:2], MIDDLEWARE_PATH, *settings.MIDDLEWARE[2:]]
    previous = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=private_redis.url, task_always_eager=False)
    app._after_fork()  # drop pooled broker connections
    try:
        client = Client()
        to_password_page(client)
        private_redis.stop()
        # E-mail is the only factor: its code is queued with the password (seeds/001).
        response = client.post("/accounts/login/password/", {"password": PASSWORD})
        assert_try_again_page(response)
    finally:
        app.conf.update(**previous)
        app._after_fork()


def test_the_shared_redis_client_reconnects_after_a_restart(portal_on_private_redis):
    """sso/cache.py keeps one redis-py client per pool: it must carry on once Redis is back."""
    import redis as redis_lib
    from django.core.cache import cache

    cache.set("greeting", "halo")
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client
    portal_on_private_redis.stop()
    with pytest.raises(redis_lib.ConnectionError):
        cache.get("greeting")
    portal_on_private_redis.start()
    cache.set("greeting", "selamat datang")
    assert cache.get("greeting") == "selamat datang"
    assert cache._cache.get_client() is client


def signed_in_browser(phone) -> Client:
    browser = Client()
    to_password_page(browser)
    right = browser.post("/accounts/login/password/", {"password": PASSWORD})
    assert led_to(right).startswith("/security/challenge/")
    validated = browser.post("/security/challenge/totp/", {"code": phone.now()})
    assert led_to(validated) == "/security/challenge/confirm/"
    assert led_to(browser.post("/security/challenge/confirm/", {"remember": "on"})) == "/"
    assert browser.get("/").status_code == 200
    return browser


@pytest.mark.skipif(
    settings.SESSION_ENGINE != "sso.sessions",
    reason="the portal's session engine with Redis (sso/sessions.py)",
)
def test_sessions_outlive_a_redis_restart_and_a_sign_out_waits_for_redis(
    portal_on_private_redis, user, phone, transactional_db
):
    """Sessions are read from Redis and signed-in ones kept in the database too
    (sso/sessions.py): a Redis that restarts empty signs nobody out, and a sign-in half done
    (in Redis only) starts again from the username page; a sign-out while Redis is out of
    reach is refused (503) rather than left half done, and once it went through the session
    is gone for good."""
    redis = portal_on_private_redis
    citra = signed_in_browser(phone)
    halfway = Client()
    to_password_page(halfway)

    redis.stop()
    redis.start()  # empty: no persistence
    assert citra.get("/").status_code == 200
    response = halfway.post("/accounts/login/password/", {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert response["Location"] != "/accounts/login/password/"
    to_password_page(halfway)  # the sign-in starts again, and goes through
    response = halfway.post("/accounts/login/password/", {"password": PASSWORD})
    assert led_to(response).startswith("/security/challenge/")

    redis.stop()
    response = citra.post("/accounts/logout/")
    assert_try_again_page(response)
    assert citra.get("/").status_code == 200  # still signed in, read from the database
    redis.start()
    assert citra.post("/accounts/logout/").status_code == 302
    response = citra.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
