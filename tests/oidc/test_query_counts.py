"""SQL queries of an OpenID Connect code exchange: authorize with a live session, then token.

A fixed, small number per step (docs/performance.md; bench/oidc_cpu.py measures the CPU):
django-oauth-toolkit asks the database once per question (the code's scopes, nonce, PKCE
challenge, redirect URI...); the portal's validator reads each row once. Counted with Django's
CaptureQueriesContext, savepoints left out (only the test's outer transaction makes them), with
database sessions so that the session read counts too. When a change adds a query on purpose,
update the counts here and say why in the commit.
"""

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from sso.oidc.models import Application, SignInContext
from tests.conftest import sign_in
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import authorize_url, basic_auth, pkce_pair, query_of
from tests.oidc.helpers import unverified_claims as claims_of

pytestmark = [
    pytest.mark.django_db,
    # The one-statement steps are PostgreSQL's (sso/oidc/rows.py); elsewhere (the embedded
    # SQLite default) django-oauth-toolkit's own saves run, with their own counts.
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the code exchange's one-statement steps need PostgreSQL (sso/oidc/rows.py)",
    ),
]

DB_SESSIONS = "django.contrib.sessions.backends.db"

# The SQL of one exchange, in order (BEGIN/COMMIT of DOT's transactions are not queries here).
AUTHORIZE = [
    "session",
    "user",
    "application",  # once per request, however often oauthlib validates it; DOT's `get`,
    # which read it again by client_id, runs only for the consent page
    "insert grant and sign-in context",  # one statement (sso/oidc/rows.py)
]
TOKEN = [
    "grant (with its user, application and sign-in context)",  # once, for scopes, nonce,
    # PKCE, redirect URI, expiry, the ID token's session facts, and the client itself (DOT
    # checks it is usable, then the client authenticates)
    # One statement: the code's end first (a concurrent exchange of the same code waits,
    # deletes nothing, inserts nothing and gets invalid_grant), then the ID, access and
    # refresh tokens (the refresh token in the family the sign-in context named at authorize).
    "delete grant, insert ID, access and refresh token",
]
# DOT opens three transactions per exchange (ID token, access + refresh token, grant); the
# portal none: its one statement is atomic on its own.
TOKEN_TRANSACTIONS = 0


def _sql_of(queries: list[dict]) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "SAVEPOINT" not in q["sql"].upper() and q["sql"] not in ("BEGIN", "COMMIT")
    ]


def _transactions(queries: list[dict]) -> int:
    return sum(1 for q in queries if q["sql"].upper().startswith("SAVEPOINT"))


def exchange_queries(browser: Client, rp: Client, **token_extra) -> tuple[list, list, dict]:
    verifier, challenge = pkce_pair()
    with CaptureQueriesContext(connection) as authorize:
        response = browser.get(authorize_url(challenge))
    assert response.status_code == 302
    code = query_of(response["Location"])["code"]
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        **token_extra,
    }
    with CaptureQueriesContext(connection) as token:
        answer = rp.post("/o/token/", data, **token_headers(token_extra))
    assert answer.status_code == 200, answer.content
    assert _transactions(token.captured_queries) == TOKEN_TRANSACTIONS
    return _sql_of(authorize.captured_queries), _sql_of(token.captured_queries), answer.json()


def token_headers(token_extra: dict) -> dict:
    return {} if "client_id" in token_extra else {"HTTP_AUTHORIZATION": basic_auth()}


def _details(step: str, sql: list[str]) -> str:
    return f"{step}: {len(sql)}\n  " + "\n  ".join(s[:160] for s in sql)


@override_settings(SESSION_ENGINE=DB_SESSIONS)
@pytest.mark.parametrize(
    "client_type", [Application.CLIENT_CONFIDENTIAL, Application.CLIENT_PUBLIC]
)
def test_a_code_exchange_runs_the_expected_number_of_queries(make_app, user, password, client_type):
    make_app(client_type=client_type)
    browser, rp = Client(), Client()  # the relying app has no browser cookies
    sign_in(browser, user.username, password)
    extra = {"client_id": "relying-app"} if client_type == Application.CLIENT_PUBLIC else {}
    # The session's first authorization also gives it its `sid` (one session write).
    exchange_queries(browser, rp, **extra)
    authorize, token, answer = exchange_queries(browser, rp, **extra)
    assert len(authorize) == len(AUTHORIZE), _details("authorize", authorize)
    assert len(token) == len(TOKEN), _details("token", token)
    # The fewer queries still give the whole answer: tokens, ID token with the session facts.
    assert {"access_token", "refresh_token", "id_token"} <= answer.keys()
    claims = claims_of(answer["id_token"])
    assert claims["nonce"] == "nonce-1"
    assert claims["amr"] == ["pwd"]
    assert claims["sid"]
    # Both exchanges' contexts know their token family (revocation at sign-out needs it).
    assert SignInContext.objects.filter(sid=claims["sid"]).count() == 2
    assert not SignInContext.objects.filter(token_family=None).exists()


@override_settings(SESSION_ENGINE=DB_SESSIONS)
def test_query_counts_do_not_grow_with_earlier_exchanges(relying_app, user, password):
    """No N+1: the tenth exchange of a session costs what the second did (the first also
    gives the session its `sid`)."""
    browser, rp = Client(), Client()
    sign_in(browser, user.username, password)
    exchange_queries(browser, rp)
    first = exchange_queries(browser, rp)[:2]
    for _ in range(7):
        exchange_queries(browser, rp)
    tenth = exchange_queries(browser, rp)[:2]
    assert [len(sql) for sql in tenth] == [len(sql) for sql in first]
