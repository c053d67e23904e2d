"""Whatever a user or attacker sends: a form error, 200/400/405, never a 500."""

import pytest
from django.contrib.auth import SESSION_KEY

from tests.conftest import led_to, post_username, sign_in

ODD_VALUES = [
    "a" * 10_000,
    "ani\x00",
    "\x00",
    "ｅｖｉｌ‮gnp.exe",  # noqa: RUF001 (look-alike letters on purpose)
    "👩‍💻" * 40,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
]


def assert_refused_before_the_form(response) -> None:
    """A NUL never reaches a form (sso/request_input.py): no text column can store one."""
    assert response.status_code == 400
    assert "Bad request" in response.text
    assert "A field holds characters or a length the portal refuses." in response.text


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_usernames_never_break_the_username_step(client, db, value):
    response = client.post("/accounts/login/", {"username": value})
    if "\x00" in value:
        assert_refused_before_the_form(response)
        return
    assert response.status_code == 200
    if led_to(response) != "/accounts/login/method/":  # else Next led on, to the method page
        assert 'class="field-error"' in response.text
    else:
        assert "<script>alert" not in response.text  # the username is shown escaped


@pytest.mark.parametrize("value", ["a" * 151, "a" * 10_000])
def test_overlong_username_is_a_form_error(client, db, value):
    response = client.post("/accounts/login/", {"username": value})
    assert response.status_code == 200
    assert "Ensure this value has at most 150 characters" in response.text


def test_nul_byte_is_a_400(client, db):
    assert_refused_before_the_form(client.post("/accounts/login/", {"username": "ani\x00x"}))


@pytest.mark.parametrize("value", [*ODD_VALUES, "p" * 129])
def test_odd_passwords_never_break_the_password_step(client, user, value):
    post_username(client, "ani")
    response = client.post("/accounts/login/password/", {"password": value})
    if "\x00" in value:
        assert_refused_before_the_form(response)
    else:
        assert response.status_code == 200
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/accounts/login/"),
        ("delete", "/accounts/login/password/"),
        ("post", "/accounts/login/method/"),
        ("post", "/accounts/password/forgot/sent/"),
    ],
)
def test_wrong_http_method_is_405(client, db, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 405


def test_missing_fields_on_forgot_password(client, db):
    response = client.post("/accounts/password/forgot/", {})
    assert response.status_code == 200
    assert response.text.count("This field is required.") == 2


def test_unicode_username_that_exists_signs_in(client, make_user, password):
    make_user("dévi")
    post_username(client, "Dévi")
    response = client.post("/accounts/login/password/", {"password": password})
    assert led_to(response) == "/"


@pytest.mark.parametrize("next_url", ["-1", "b", "home", "1e309", "\r\nSet-Cookie: x=1", "[]"])
def test_a_next_that_is_not_an_address_leads_home(client, user, password, next_url):
    """``redirect()`` reads a bare word as a view name: such a `next` is ignored, not a 500."""
    assert led_to(sign_in(client, "ani", password)) == "/"
    response = client.get("/accounts/login/", {"next": next_url})
    assert response.status_code == 302
    assert led_to(response) == "/"
