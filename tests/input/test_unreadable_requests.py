"""A request whose body or parameters the portal cannot read gets a 400 page, never a 500.

Each case is sent as a browser would, with a real CSRF cookie and token, because Django's
CSRF check is what first reads the form (and, for a UTF-16 form, used to turn the 400 into a
500 with a traceback in the log).
"""

import logging
import sys
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import AuditEvent
from sso.request_input import NoTracebackForClientErrors
from tests.conftest import led_to

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
URLENCODED = "application/x-www-form-urlencoded"

# Forms anyone can post, before signing in.
ANONYMOUS_FORMS = [
    "/accounts/login/",
    "/accounts/login/password/",
    "/accounts/password/forgot/",
    "/i18n/setlang/",
]


@pytest.fixture
def browser(db) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT=BROWSER_ACCEPT)
    client.get("/accounts/login/")
    return client


def csrf_token(client: Client) -> str:
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def post(client: Client, url: str, body: bytes, content_type: str):
    return client.generic(
        "POST", url, body, content_type=content_type, HTTP_X_CSRFTOKEN=csrf_token(client)
    )


def assert_clear_400(response, caplog, status: int = 400) -> None:
    assert response.status_code == status, response.content[:300]
    assert "Bad request" in response.text
    assert "Traceback" not in response.text
    for record in caplog.records:
        assert record.exc_info is None, f"a traceback was logged: {record.getMessage()}"
        assert record.levelno < logging.ERROR, record.getMessage()


def form(client: Client, **fields: str) -> bytes:
    return urlencode({"csrfmiddlewaretoken": csrf_token(client), **fields}).encode()


@pytest.mark.parametrize("url", ANONYMOUS_FORMS)
@pytest.mark.parametrize(
    "charset", ["utf-16", "UTF-16LE", "utf-32", "iso-8859-1", "utf8", "x-no-such-charset"]
)
def test_a_form_in_another_charset_is_a_400(browser, caplog, url, charset):
    body = form(browser, username="ani").decode().encode("utf-16")
    response = post(browser, url, body, f"{URLENCODED}; charset={charset}")
    assert_clear_400(response, caplog)
    assert "UTF-8" in response.text


@pytest.mark.parametrize("url", ANONYMOUS_FORMS)
@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=" + "x" * 300,
        "multipart/form-data; boundary=\x00",
    ],
)
def test_a_multipart_form_without_a_usable_boundary_is_a_400(browser, caplog, url, content_type):
    body = b"--abc\r\nContent-Disposition: form-data; name=username\r\n\r\nani\r\n--abc--\r\n"
    assert_clear_400(post(browser, url, body, content_type), caplog)


@pytest.mark.parametrize("url", ANONYMOUS_FORMS)
@pytest.mark.parametrize(
    "raw",
    [
        b"username=ani\xff\xfe",  # raw bytes that are not UTF-8
        b"username=%ff%fe%fd",  # percent-escaped bytes that are not UTF-8
        b"username=ani%00",  # a NUL
        b"user%00name=ani",  # a NUL in a field name
        b"username=" + b"a" * 70_000,  # longer than SSO_MAX_FIELD_CHARS
    ],
)
def test_a_field_that_cannot_be_stored_is_a_400(browser, caplog, url, raw):
    before = AuditEvent.objects.count()
    body = raw + b"&csrfmiddlewaretoken=" + csrf_token(browser).encode()
    assert_clear_400(post(browser, url, body, URLENCODED), caplog)
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("query", ["?next=%00", "?next=%ff", "?next=%", "?%=%%&=&&", "?a=%zz"])
def test_a_query_parameter_that_cannot_be_stored_is_a_400(browser, caplog, query):
    assert_clear_400(browser.get("/accounts/login/" + query), caplog)


def test_a_query_string_longer_than_the_limit_is_a_414(browser, caplog):
    # Signed out, this page redirects to sign-in with the whole address as `next`.
    response = browser.get("/security/?" + urlencode({"q": "a" * 9000}))
    assert_clear_400(response, caplog, status=414)
    assert "The address is too long." in response.text


def test_a_broken_escape_at_a_protocol_endpoint_is_a_json_400(db, caplog):
    # oauthlib raises ValueError on it; the door refuses it first, in OAuth's error shape.
    for path in ("/o/authorize/?%=%%&=&&", "/o/userinfo/?a=%", "/o/introspect/?token=%g1"):
        response = Client().get(path)
        assert response.status_code == 400, path
        assert response.json()["error"] == "invalid_request"
    response = Client().post("/o/token/", b"grant_type=%", content_type=URLENCODED)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_body_larger_than_the_limit_is_a_413(browser, caplog, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = form(browser, username="ani", filler="a" * 2000)
    assert_clear_400(post(browser, "/accounts/login/", body, URLENCODED), caplog, status=413)


@pytest.mark.parametrize(
    ("url", "accept"),
    [("/accounts/login/", "application/json"), ("/o/token/", "*/*"), ("/o/token/", "")],
)
def test_a_program_gets_the_refusal_as_json(db, url, accept):
    response = Client(HTTP_ACCEPT=accept).generic(
        "POST", url, b"grant_type=x", content_type=f"{URLENCODED}; charset=utf-16"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_the_page_speaks_indonesian(browser, caplog):
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    response = post(browser, "/accounts/login/", b"username=a", f"{URLENCODED}; charset=utf-16")
    assert response.status_code == 400
    assert 'lang="id"' in response.text
    assert "Kirim permintaan dengan pengodean UTF-8." in response.text


@pytest.mark.parametrize("charset", ["", "; charset=utf-8", "; charset=UTF-8"])
def test_a_utf8_form_still_leads_on(browser, user, charset):
    body = form(browser, username="ani")
    response = post(browser, "/accounts/login/", body, URLENCODED + charset)
    assert led_to(response) == "/accounts/login/method/"


def test_a_multipart_form_still_leads_on(browser, user):
    token = csrf_token(browser)
    response = browser.post(
        "/accounts/login/",
        {"username": "ani", "csrfmiddlewaretoken": token},
        HTTP_X_CSRFTOKEN=token,
    )
    assert led_to(response) == "/accounts/login/method/"


def _record(name: str, status: int | None) -> logging.LogRecord:
    try:
        raise ValueError("client input")
    except ValueError:
        record = logging.LogRecord(name, logging.ERROR, __file__, 1, "m", (), sys.exc_info())
    if status is not None:
        record.status_code = status
    return record


@pytest.mark.parametrize(
    ("name", "status", "keeps_traceback"),
    [
        ("django.security.DisallowedModelAdminToField", None, False),
        ("django.request", 400, False),
        ("django.request", 404, False),
        ("django.request", 500, True),
        ("mfa.passkeys", None, True),
    ],
)
def test_the_log_keeps_tracebacks_only_for_faults_of_the_portal(name, status, keeps_traceback):
    record = _record(name, status)
    assert NoTracebackForClientErrors().filter(record) is True
    assert (record.exc_info is not None) is keeps_traceback
