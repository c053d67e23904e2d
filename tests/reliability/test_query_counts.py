"""SQL queries per sign-in step: a fixed, small number, whatever the account holds (no N+1).

Counted with Django's CaptureQueriesContext against the application database only: the cache
is Django's in-memory one here, so that the database cache of the embedded mode and Redis in
CI count the same; savepoints (which only the test's outer transaction causes) are left out.
When a change adds a query on purpose, update ``expected_counts`` and say why in the commit.
"""

from datetime import timedelta

from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.home.applications import applications_for as home_applications
from accounts.models import AttemptCounter, User
from mfa.models import RecoveryCode, TrustedDevice
from sso.oidc.csp import relying_app_origins
from sso.oidc.models import Application
from tests.conftest import PASSWORD, led_to
from tests.redis_databases import cache_redis_url

LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The default engine (SESSION_ENGINE may change it): a session read is a query.
DB_SESSIONS = "django.contrib.sessions.backends.db"

# (step, HTTP method, URL, form data, expected status); "CODE" is the authenticator's code.
SIGNIN = [
    ("username page", "get", "/accounts/login/", None, 200),
    # Next is answered with the method page, Sign in with the code page, Validate with Trust
    # this device: each page shown in place of a redirect to it (sso.in_place), from the
    # session the POST already read.
    ("username", "post", "/accounts/login/", {"username": "ani"}, 200),
    ("password page", "get", "/accounts/login/password/", None, 200),
    # The authenticator is the one factor: its page comes straight after the password (no
    # picker; "Choose another method" there leads to it).
    ("password", "post", "/accounts/login/password/", {"password": PASSWORD}, 200),
    ("code", "post", "/security/challenge/totp/", {"code": "CODE"}, 200),
    # Confirm and Continue is answered with Home in place: the user is the one just signed in,
    # the relying apps are in the cache.
    ("confirm", "post", "/security/challenge/confirm/", {"remember": "on"}, 200),
]


# Queries per step today. The pending user is read with what it has enrolled, one EXISTS per
# challenge method, in one query (mfa.challenge.factors): no count grows with the number of
# methods (MFA_CHALLENGE_METHODS).
def expected_counts() -> dict[str, int]:
    counts = {
        "username page": 0,  # no session yet
        "username": 2,  # session: is the key free? + insert (the method page asks nothing)
        "password page": 1,  # session
        # Without Redis (this test's cache) the attempt counters are database rows
        # (accounts.counters): each of 3 keys (IP, network, account) is reserved before the
        # check (update; then select, insert and a sweep of expired rows for a new key) and
        # given back after a right answer (update).
        # session, user, counters read, 3 keys x 4, lock and hash read again with the enrolled
        # factors (one query, mfa.challenge.factors.fresh_with_factors; the password is
        # checked against them: no third read of the user), 3 give backs, audit, session
        # update; then the code page in place asks nothing (the pending user and its factors
        # are those the step read)
        "password": 21,
        # session, pending user with its factors, counters (as for the password, with the
        # IP's and network's rows there already: update + select; and the attempt's count of
        # answers, a new key: 4, accounts.attempts.AnswerLimit), the lock read again
        # with the device (one read, mfa.totp.fresh_with_device), the device's guarded update
        # (django-otp's replay guard) with the audit event of the right code in the same
        # statement (accounts.attempts.SuccessRecord), 3 give backs, session update (Trust
        # this device's page asks nothing)
        "code": 21,
        # session, pending user (its row alone), the old session row deleted (first, so that
        # of parallel Confirms only one signs in: accounts.sessions.end_key_once), new session
        # key (is it free, insert, old one read: gone), counters cleared, one statement for
        # the new rows (user session, known and trusted device, both audit events),
        # last_login and whether the account knew a browser before (accounts.inserts),
        # session update
        "confirm": 9,
    }
    if connection.vendor != "postgresql":
        # The confirm step's one statement is PostgreSQL's (accounts.inserts); elsewhere one
        # per table written (4), the last_login UPDATE and the known-browser question.
        counts["confirm"] += 5
        # The lock and the device are read apart, the device locked (mfa.totp), and the
        # audit event is an INSERT of its own.
        counts["code"] += 2
        # The ORM builds the factors' read each time there (SQLite converts booleans): after
        # the lock and hash, apart.
        counts["password"] += 1
    return counts


# With Redis the portal reads sessions from the cache (sso/sessions.py): no session is read
# from the database, a session before sign-in is written to the cache only, and a signed-in
# one to both (one upsert per change). The new key at sign-in is the one upsert of the confirm
# step: the old key had no row to delete.
CACHED_SESSIONS = "sso.sessions"


def expected_counts_with_cached_sessions() -> dict[str, int]:
    counts = expected_counts()
    reads = ["password page", "password", "code", "confirm"]
    for step in reads:
        counts[step] -= 1  # the session's row is not read
    for step in ("password", "code"):
        counts[step] -= 1  # the session before sign-in is not written to the database
    counts["username"] = 0  # the new session is added to the cache only
    counts["confirm"] -= 4  # new key: one upsert (not: is it free, insert, read and delete old)
    if connection.vendor == "postgresql":
        # ... and that row is written in the statement of the sign-in's rows (accounts.inserts,
        # sso.sessions.SessionStore.new_row_elsewhere): Home, shown in place, changes nothing.
        counts["confirm"] -= 1
    return counts


def _sql_of(queries: list[dict]) -> list[str]:
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"].upper()]


def walk_signin(client: Client, phone, steps: list = SIGNIN) -> dict[str, list[str]]:
    """Signs in step by step; returns the SQL of each step.

    The authenticator never takes a code twice (replay guard), so its counter is moved back
    first: several sign-ins fit in one 30-second step here.
    """
    TOTPDevice.objects.update(last_t=-1)
    # Every walk starts with no attempt counters, as after the counting window.
    AttemptCounter.objects.all().delete()
    # The CSP's relying-app origins are cached for minutes, not read per request; so is
    # Home's list of apps, until one changes (accounts.home.applications).
    relying_app_origins()
    home_applications(User.objects.get(username="ani"))
    per_step: dict[str, list[str]] = {}
    for step, method, url, data, status in steps:
        if data and data.get("code") == "CODE":
            data = {"code": phone.now()}
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        assert response.status_code == status, (step, response.status_code)
        per_step[step] = _sql_of(captured.captured_queries)
    return per_step


@override_settings(CACHES=LOCAL_CACHE, SESSION_ENGINE=DB_SESSIONS)
def test_each_signin_step_runs_the_expected_number_of_queries(client, user, phone):
    per_step = walk_signin(client, phone)
    counts = {step: len(sql) for step, sql in per_step.items()}
    details = "\n".join(
        f"{step}: {len(sql)}\n  " + "\n  ".join(sql) for step, sql in per_step.items()
    )
    assert counts == expected_counts(), details
    # Confirm and Continue reads the pending user alone, not what it has enrolled.
    assert not [sql for sql in per_step["confirm"] if "EXISTS" in sql.upper()]


@override_settings(CACHES=LOCAL_CACHE, SESSION_ENGINE=CACHED_SESSIONS)
def test_with_sessions_in_the_cache_no_step_reads_the_session_row(client, user, phone):
    per_step = walk_signin(client, phone)
    counts = {step: len(sql) for step, sql in per_step.items()}
    details = "\n".join(
        f"{step}: {len(sql)}\n  " + "\n  ".join(sql) for step, sql in per_step.items()
    )
    expected = expected_counts_with_cached_sessions()
    assert counts == expected, details
    reads = [sql for step in per_step.values() for sql in step if sql.startswith("SELECT")]
    assert not [sql for sql in reads if "django_session" in sql]


@override_settings(CACHES=LOCAL_CACHE, SESSION_ENGINE=DB_SESSIONS)
def test_query_counts_do_not_grow_with_what_the_account_holds(make_user, password, phone, user):
    """No N+1: an account with many trusted devices, recovery codes, sessions and relying
    apps signs in with the same queries as a bare one."""
    baseline = {step: len(sql) for step, sql in walk_signin(Client(), phone).items()}

    later = timezone.now() + timedelta(days=10)
    TrustedDevice.objects.bulk_create(
        TrustedDevice(user=user, token_hash=f"{i:064x}", expires_at=later) for i in range(25)
    )
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=f"{i:064x}") for i in range(10)
    )
    Application.objects.bulk_create(
        Application(
            client_id=f"app-{i}",
            name=f"App {i}",
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=f"https://app{i}.example.com/callback",
            launch_url=f"https://app{i}.example.com/",
        )
        for i in range(8)
    )
    for _ in range(5):  # other sessions of the same account, elsewhere
        walk_signin(Client(), phone)

    loaded = {step: len(sql) for step, sql in walk_signin(Client(), phone).items()}
    assert loaded == baseline


@override_settings(CACHES=LOCAL_CACHE, SESSION_ENGINE=DB_SESSIONS)
def test_picking_an_email_code_is_a_fixed_number_of_queries(
    client, user, password, phone, email_factor
):
    """Authenticator and e-mail: the picker; the e-mail pick also writes the CodeChallenge row
    (delivery runs in the worker)."""
    for _step, verb, url, data, _status in SIGNIN[:4]:
        response = getattr(client, verb)(url, data) if data else getattr(client, verb)(url)
    assert led_to(response) == "/security/challenge/"  # two factors: the picker
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/security/challenge/").status_code == 200
    sql = _sql_of(captured.captured_queries)
    # session, pending user with its factors (one query for every method), the e-mail device
    # (its masked address)
    assert len(sql) == 3, "\n".join(sql)
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/security/challenge/", {"method": "email"})
    assert led_to(response) == "/security/challenge/email/"
    sql = _sql_of(captured.captured_queries)
    # session, pending user with its factors, e-mail device, challenge get-or-create (up to 2
    # statements) under lock, challenge update, and what the send counts: without Redis (this
    # test's cache) the send counter is a row (accounts.counters: update, then select, insert
    # and a sweep of expired rows for a new key)
    assert len(sql) <= 15, "\n".join(sql)


# Someone whose only factor is e-mail: the code is sent with the password (seeds/001), so the
# picker's page and its pick POST are gone from the walk.
EMAIL_SIGNIN = SIGNIN[:4]


@override_settings(CACHES=LOCAL_CACHE, SESSION_ENGINE=DB_SESSIONS)
def test_email_only_sign_in_sends_with_the_password(client, user, password, email_factor):
    AttemptCounter.objects.all().delete()
    relying_app_origins()
    counts = {}
    for step, verb, url, data, status in EMAIL_SIGNIN:
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, verb)(url, data) if data else getattr(client, verb)(url)
        assert response.status_code == status, (step, response.status_code)
        counts[step] = _sql_of(captured.captured_queries)
    details = "\n".join(
        f"{step}: {len(sql)}\n  " + "\n  ".join(sql) for step, sql in counts.items()
    )
    first_steps = ("username page", "username", "password page")
    assert {step: len(sql) for step, sql in counts.items()} == {
        **{step: expected_counts()[step] for step in first_steps},
        # As for the authenticator (21), then the pick's send: e-mail device, challenge
        # get-or-create (select under lock, insert), the send counter (a new row without
        # Redis: 4, accounts.counters), challenge update; then the code page in place: the
        # e-mail device, the challenge. Picker page and pick POST (<= 15) are not walked.
        "password": 32 if connection.vendor != "postgresql" else 31,
    }, details


# The same sign-in as Chromium runs it with script (portal.js): the username page holds step 2
# and its password form, so the password goes with the username and there is no Next request.
SIGNIN_WITH_SCRIPT = [
    SIGNIN[0],
    (
        "password",
        "post",
        "/accounts/login/password/",
        {"username": "ani", "password": PASSWORD},
        200,
    ),
    *SIGNIN[4:],
]


@override_settings(CACHES=LOCAL_CACHE, SESSION_ENGINE=CACHED_SESSIONS)
def test_the_sign_in_with_script_runs_the_same_queries_without_the_next_request(
    client, user, phone
):
    """Step 1 done by the password POST costs no query more: the sign-in under way is kept
    in the cache's session until someone is signed in."""
    per_step = walk_signin(client, phone, SIGNIN_WITH_SCRIPT)
    counts = {step: len(sql) for step, sql in per_step.items()}
    expected = expected_counts_with_cached_sessions()
    assert counts == {step: expected[step] for step in counts}, per_step
    assert list(counts) == ["username page", "password", "code", "confirm"]


# Round trips to Redis per step, with the cache and the sessions there (production's set-up):
# every write to a Redis connection is one, whatever rides in it (sso.redis_commands holds a
# counter's give-back back to the request's next command, the session's save at the latest).
REDIS_ROUND_TRIPS = {
    "username page": 0,  # no session yet
    "username": 1,  # the new session, written only if its key is free (SET NX)
    "password page": 1,  # the session read
    # the session read; the counters' reservation (IP, network, account: one script); the
    # session's save, with the give-back ahead of it
    "password": 3,
    # the same three: the challenge's count of answers is reserved in the counters' one
    # script (accounts.attempts.AnswerLimit)
    "code": 3,
    # the session read; the old session dropped (its DEL tells whether this Confirm is the
    # one that signs in: accounts.sessions.end_key_once); the signed-in session's key taken
    # and written, with the attempt counter's clear ahead of it; Home's relying apps (cache)
    "confirm": 4,
}


def test_each_signin_step_makes_the_expected_redis_round_trips(
    user, phone, redis_server, settings, monkeypatch
):
    import redis.connection
    from django.core.cache import cache

    location = cache_redis_url(redis_server)
    settings.CACHES = {"default": {"BACKEND": "sso.cache.PortalRedisCache", "LOCATION": location}}
    settings.SESSION_ENGINE = CACHED_SESSIONS
    cache.clear()
    # A first sign-in opens the connections and loads the counters' scripts, as a running
    # worker has; the second one is counted.
    walk_signin(Client(), phone)
    writes = 0
    send = redis.connection.AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):  # type: ignore[no-untyped-def]
        nonlocal writes
        writes += 1
        return send(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    TOTPDevice.objects.update(last_t=-1)
    client = Client()
    per_step: dict[str, int] = {}
    for step, method, url, data, status in SIGNIN:
        if data and data.get("code") == "CODE":
            data = {"code": phone.now()}
        writes = 0
        response = getattr(client, method)(url, data) if data else getattr(client, method)(url)
        assert response.status_code == status, (step, response.status_code)
        per_step[step] = writes
    assert per_step == REDIS_ROUND_TRIPS, per_step
