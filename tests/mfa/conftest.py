"""Fixtures for the second factor: a phone's authenticator app (pyotp), an e-mail factor."""

import re

from django.core import mail
from django.test import TestCase

from tests.conftest import led_to, sign_in


def run_on_commit(func, *args, **kwargs):
    """Runs a request and the tasks it queues on commit (inline Celery, locmem mail)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return func(*args, **kwargs)


def last_code() -> str:
    match = re.search(r"^\s+(\d{6})\s*$", mail.outbox[-1].body, re.MULTILINE)
    assert match, mail.outbox[-1].body
    return match.group(1)


def to_challenge(client, password: str, username: str = "ani"):
    """Password step done; returns the response: the challenge's page in place (sso.in_place),
    the picker or, for someone with one factor, that factor's page
    (mfa.flows.step_after_password)."""
    response = sign_in(client, username, password)
    assert response.status_code == 200
    assert led_to(response).startswith("/security/challenge/")
    return response


def pick(client, method: str):
    return run_on_commit(client.post, "/security/challenge/", {"method": method})


def validate(client, method: str, code: str):
    return client.post(f"/security/challenge/{method}/", {"code": code})


def confirm(client, remember: bool = True):
    data = {"remember": "on"} if remember else {}
    return client.post("/security/challenge/confirm/", data)


def to_code_page(client, password: str, method: str = "email", username: str = "ani"):
    """Password step done by someone whose one factor sends a code: it is sent at once
    (seeds/001); returns the response (that code's page, in place)."""
    response = run_on_commit(sign_in, client, username, password)
    assert response.status_code == 200
    assert led_to(response) == f"/security/challenge/{method}/"
    return response
