"""PostgreSQL drops the portal's connections (a restart, a failover, pg_terminate_backend): the
next requests reconnect and succeed, because CONN_HEALTH_CHECKS checks a kept connection before
a request uses it.

The portal runs under gunicorn as in production (persistent connections, CONN_MAX_AGE=60) on
a PostgreSQL database of the test's own; only that database's connections are terminated.
"""

import os
import re
import subprocess
import sys

import httpx
import pytest

from tests.reliability.conftest import REPO, terminate_backends

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def portal_env(database_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "60",
        "DEBUG": "false",
    }
    env.pop("REDIS_URL", None)  # the database cache: this test is about PostgreSQL alone
    return env


def start_signin(client: httpx.Client, username: str) -> None:
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    token = CSRF_RE.search(page.text).group(1)
    response = client.post(
        "/accounts/login/", data={"csrfmiddlewaretoken": token, "username": username}
    )
    # Next leads on: the method page, shown in place (sso.in_place), names the person.
    assert response.status_code == 200, response.text[:300]
    assert 'data-address="/accounts/login/method/"' in response.text


@pytest.mark.slow
def test_requests_recover_after_postgres_drops_the_connections(
    own_postgres_database, gunicorn_portal
):
    database_url, name = own_postgres_database
    env = portal_env(database_url)
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    base_url = gunicorn_portal(env, workers=1)

    with httpx.Client(base_url=base_url, timeout=15) as client:
        start_signin(client, "ani")
        assert client.get("/accounts/login/method/").status_code == 200

        for _ in range(2):  # twice: a reconnected connection must be kept and checked too
            assert terminate_backends(name) >= 1, "the portal kept no connection to drop"
            # A read (the session) and a write (a new session) both go through.
            method_page = client.get("/accounts/login/method/")
            assert method_page.status_code == 200, method_page.text[:300]
            assert "ani" in method_page.text
            with httpx.Client(base_url=base_url, timeout=15) as other:
                start_signin(other, "budi")
                assert other.get("/accounts/login/method/").status_code == 200
