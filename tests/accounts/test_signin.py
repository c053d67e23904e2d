"""Username-first sign-in: seeds/003 Table 1 login cases and the seed's labels."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from tests.conftest import led_to, post_username, sign_in

WRONG = "Wrong username or password."


def test_pages_speak_the_manuals_words(client, user):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "Next" in page.text
    assert 'autocomplete="username"' in page.text
    method = client.post("/accounts/login/", {"username": "ani"}, follow=True)
    assert "Sign in with password" in method.text
    password_page = client.get("/accounts/login/password/")
    assert ">Sign in<" in password_page.text.replace("\n", "").replace("  ", "")
    assert 'autocomplete="current-password"' in password_page.text


def test_the_method_page_holds_the_password_form_a_browser_shows_in_place(client, user, password):
    """ "Sign in with password" leads to the form on the same page (#password-step, shown by
    CSS :target), so a browser signs in without fetching the password page."""
    post_username(client, "ani")
    method = client.get("/accounts/login/method/")
    assert 'href="#password-step"' in method.text
    assert 'id="password-step"' in method.text
    assert 'action="/accounts/login/password/"' in method.text
    assert 'autocomplete="current-password"' in method.text
    # Hidden until revealed, so it must not steal the focus from the choices.
    assert "autofocus" not in method.text
    response = client.post("/accounts/login/password/", {"password": password})
    assert response.status_code == 200  # Home, shown in place
    assert led_to(response) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_right_username_and_password_lands_on_home(client, user, password):
    response = sign_in(client, "ani", password)
    assert response.status_code == 200  # Home, shown in place
    assert led_to(response) == "/"
    home = client.get("/")
    assert "Welcome, Ani" in home.text
    assert "Security Settings" in home.text
    assert "Sign Out" in home.text


def test_username_is_matched_whatever_its_case(client, user, password):
    response = sign_in(client, "ANI", password)
    assert led_to(response) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_unknown_account_goes_through_the_same_pages(client, db):
    step1 = post_username(client, "nobody-here")
    assert step1.status_code == 200
    assert led_to(step1) == "/accounts/login/method/"
    response = client.post("/accounts/login/password/", {"password": "whatever-it-is"})
    assert response.status_code == 200
    assert WRONG in response.text


def test_wrong_password_keeps_username_and_says_the_same(client, user):
    response = sign_in(client, "ani", "not the password at all")
    assert response.status_code == 200
    assert WRONG in response.text
    assert "ani" in response.text
    assert SESSION_KEY not in client.session


def test_unknown_user_and_wrong_password_look_alike(client, user, password):
    unknown = sign_in(client, "budi", password)
    client.post("/accounts/login/restart/")
    wrong = sign_in(client, "ani", "wrong-password-123")
    assert unknown.status_code == wrong.status_code == 200
    for response in (unknown, wrong):
        assert WRONG in response.text


def test_wrong_username_with_someone_elses_right_password(client, user, password):
    response = sign_in(client, "an1", password)
    assert WRONG in response.text
    assert SESSION_KEY not in client.session


def test_password_differing_only_in_letter_case_is_refused(client, user, password):
    response = sign_in(client, "ani", password.upper())
    assert WRONG in response.text
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("url", "data", "field_message"),
    [
        ("/accounts/login/", {"username": ""}, "This field is required."),
        ("/accounts/login/", {}, "This field is required."),
    ],
)
def test_empty_username_is_a_form_error(client, db, url, data, field_message):
    response = client.post(url, data)
    assert response.status_code == 200
    assert field_message in response.text


def test_empty_password_is_a_form_error(client, user):
    post_username(client, "ani")
    response = client.post("/accounts/login/password/", {"password": ""})
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert SESSION_KEY not in client.session


def test_password_page_without_a_username_starts_over(client, db):
    response = client.get("/accounts/login/password/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_home_needs_a_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_session_key_changes_at_sign_in(client, user, password):
    post_username(client, "ani")
    before = client.session.session_key
    client.post("/accounts/login/password/", {"password": password})
    assert client.session.session_key != before
    assert client.session[SESSION_KEY] == str(user.pk)


def test_a_sign_in_records_its_time_as_last_login(client, user, password, time_machine):
    """Written with the sign-in's other rows (accounts.inserts.together); a password reset
    link mailed before the sign-in dies with it (Django's token hashes last_login)."""
    from django.contrib.auth.tokens import default_token_generator

    time_machine.move_to("2026-11-21 09:00:00+07:00", tick=False)
    token = default_token_generator.make_token(user)
    time_machine.move_to("2026-11-21 09:05:00+07:00", tick=False)
    assert led_to(sign_in(client, "ani", password)) == "/"
    user.refresh_from_db()
    assert user.last_login == timezone.now()
    assert not default_token_generator.check_token(user, token)


def test_sign_out_is_a_post_and_ends_the_session(client, user, password):
    sign_in(client, "ani", password)
    page = client.get("/accounts/logout/")
    assert page.status_code == 200
    assert SESSION_KEY in client.session  # a GET does not sign anyone out
    response = client.post("/accounts/logout/", follow=True)
    assert "You have signed out." in response.text
    assert SESSION_KEY not in client.session
    assert client.get("/").status_code == 302


def test_safe_next_is_followed(client, user, password):
    response = sign_in(client, "ani", password, next_url="/security/")
    assert response["Location"] == "/security/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "http://evil.example", "javascript:x"]
)
def test_next_to_another_host_is_refused(client, user, password, target):
    response = sign_in(client, "ani", password, next_url=target)
    assert response.status_code == 200  # Home, shown in place
    assert led_to(response) == "/"


def test_inactive_account_cannot_sign_in(client, make_user, password):
    make_user("dewi", is_active=False)
    response = sign_in(client, "dewi", password)
    assert WRONG in response.text
    assert SESSION_KEY not in client.session


def test_csrf_is_enforced(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": "ani"})
    assert response.status_code == 403
    assert "Page expired" in response.text
    page = strict.get("/accounts/login/")
    token = page.cookies["csrftoken"].value
    ok = strict.post("/accounts/login/", {"username": "ani", "csrfmiddlewaretoken": token})
    assert led_to(ok) == "/accounts/login/method/"


def test_language_switch_to_indonesian(client, db):
    client.post("/i18n/setlang/", {"language": "id", "next": "/accounts/login/"})
    page = client.get("/accounts/login/")
    assert 'lang="id"' in page.text
    assert "Berikutnya" in page.text


CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_not_you_forgets_the_username_by_post_only(user):
    """ "Not you?" changes the session: a GET (a link or image on another site) changes
    nothing, a POST without its CSRF token is refused, the page's form works."""
    browser = Client(enforce_csrf_checks=True)
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get("/accounts/login/").text
    )
    method_page = browser.post(
        "/accounts/login/", {"username": "ani", "csrfmiddlewaretoken": token.group(1)}
    )
    assert 'form="restart"' in method_page.text and 'id="restart"' in method_page.text
    assert browser.get("/accounts/login/restart/").status_code == 405
    assert browser.post("/accounts/login/restart/").status_code == 403
    assert "Signing in as" in browser.get("/accounts/login/method/").text
    token = CSRF_TOKEN.search(method_page.text).group(1)
    restarted = browser.post("/accounts/login/restart/", {"csrfmiddlewaretoken": token})
    assert restarted["Location"] == "/accounts/login/"
    assert browser.get("/accounts/login/method/")["Location"] == "/accounts/login/"


def test_not_you_keeps_where_the_sign_in_was_going(client, user):
    """The next person is sent where the sign-in was going (a relying app, a page), as the
    username page had it; the half-done sign-in itself is forgotten."""
    post_username(client, "ani", next_url="/security/")
    restarted = client.post("/accounts/login/restart/")
    assert restarted["Location"] == "/accounts/login/?next=%2Fsecurity%2F"
    assert "accounts.signin" not in client.session
    page = client.get(restarted["Location"])
    assert 'name="next" value="/security/"' in page.text


@pytest.mark.parametrize(
    ("posted", "location"),
    [
        ("/security/", "/accounts/login/?next=%2Fsecurity%2F"),  # step 2 on the username page
        ("https://evil.example/", "/accounts/login/"),  # not this portal: dropped
        ("", "/accounts/login/"),
    ],
)
def test_not_you_on_the_username_page_posts_its_next(client, db, posted, location):
    """Step 2 shown on the username page (portal.js) has no sign-in under way in the session:
    its "Not you?" form carries the page's next."""
    assert client.post("/accounts/login/restart/", {"next": posted})["Location"] == location
