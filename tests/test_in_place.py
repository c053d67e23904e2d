"""A step's POST answered with the next step's page (sso/in_place.py): the same page its own
address shows, under that address, with working CSRF tokens and no caching."""

import copy
import logging
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.template import engines
from django.test import Client, RequestFactory

from tests.conftest import led_to

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _without_tokens(html: str) -> str:
    """The page with its per-render parts (CSRF tokens, the in-place address) taken out."""
    html = TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)
    return re.sub(r'<body data-address="[^"]*">', "<body>", html)


def test_next_is_answered_with_the_method_page_itself(client, user):
    answered = client.post("/accounts/login/", {"username": "ani"})
    assert answered.status_code == 200
    assert led_to(answered) == "/accounts/login/method/"
    assert "no-store" in answered["Cache-Control"]
    assert "Signing in as <strong>ani</strong>" in answered.text
    fetched = client.get("/accounts/login/method/")
    assert 'data-address="' not in fetched.text  # a page asked for by its address says nothing
    assert _without_tokens(answered.text) == _without_tokens(fetched.text)


def test_the_language_menu_of_a_page_in_place_returns_to_its_address(client, user):
    answered = client.post("/accounts/login/", {"username": "ani"})
    assert '<input name="next" type="hidden" value="/accounts/login/method/">' in answered.text


def test_an_invalid_username_stays_on_its_page(client, db):
    answered = client.post("/accounts/login/", {"username": ""})
    assert answered.status_code == 200
    assert led_to(answered) == ""
    assert "This field is required." in answered.text


def test_tokens_of_pages_shown_in_place_are_accepted_with_csrf_enforced(user, password, phone):
    """A browser posts each form with the token of the page it was shown: the in-place pages'
    tokens must pass Django's CSRF check, and a changed one must not."""
    browser = Client(enforce_csrf_checks=True)
    token = TOKEN.search(browser.get("/accounts/login/").text).group(1)
    method_page = browser.post(
        "/accounts/login/", {"username": "ani", "csrfmiddlewaretoken": token}
    )
    assert led_to(method_page) == "/accounts/login/method/"
    token = TOKEN.search(method_page.text).group(1)
    refused = browser.post(
        "/accounts/login/password/", {"password": password, "csrfmiddlewaretoken": token[:-1]}
    )
    assert refused.status_code == 403
    to_code = browser.post(
        "/accounts/login/password/", {"password": password, "csrfmiddlewaretoken": token}
    )
    assert led_to(to_code) == "/security/challenge/totp/"
    token = TOKEN.search(browser.get("/security/challenge/totp/").text).group(1)
    confirm_page = browser.post(
        "/security/challenge/totp/", {"code": phone.now(), "csrfmiddlewaretoken": token}
    )
    assert led_to(confirm_page) == "/security/challenge/confirm/"
    assert "Your code was accepted." in confirm_page.text
    assert "Confirm and Continue" in confirm_page.text
    assert SESSION_KEY not in browser.session  # Validate alone signs no one in
    token = TOKEN.search(confirm_page.text).group(1)
    done = browser.post(
        "/security/challenge/confirm/", {"remember": "on", "csrfmiddlewaretoken": token}
    )
    assert led_to(done) == "/"
    assert browser.session[SESSION_KEY] == str(user.pk)


def test_a_wrong_code_stays_on_the_code_page(client, user, password, phone):
    from tests.conftest import sign_in

    assert led_to(sign_in(client, "ani", password)) == "/security/challenge/totp/"
    wrong = "000000" if phone.now() != "000000" else "111111"
    answered = client.post("/security/challenge/totp/", {"code": wrong})
    assert answered.status_code == 200
    assert led_to(answered) == ""
    assert "Confirm and Continue" not in answered.text


def test_validate_posted_again_after_the_code_was_accepted_shows_the_confirm_page(
    client, user, password, phone, settings, time_machine
):
    """A reload of the Verified page before portal.js has put its address in the address bar
    (no script, a slow script) posts the accepted code again: the answer is the Verified page
    again, not "That code is not right", and no wrong answer is counted (enough of them ended
    the sign-in and counted toward the account's lock)."""
    from accounts.models import AuditEvent
    from tests.mfa.conftest import to_challenge, validate

    time_machine.move_to("2026-11-21 09:00:00+07:00", tick=False)
    to_challenge(client, password)
    code = phone.now()
    assert led_to(validate(client, "totp", code)) == "/security/challenge/confirm/"
    for second in range(settings.MFA_CODE_MAX_FAILURES):
        time_machine.move_to(f"2026-11-21 09:00:{2 * second + 2:02d}+07:00", tick=False)
        again = validate(client, "totp", code)
        assert led_to(again) == "/security/challenge/confirm/"
        assert "Confirm and Continue" in again.text
        assert "That code is not right" not in again.text
    assert not AuditEvent.objects.filter(result=AuditEvent.Result.FAILURE).exists()
    done = client.post("/security/challenge/confirm/", {"remember": "on"})
    assert led_to(done) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def _base_html(request, caplog) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """templates/base.html alone rendered for ``request``, and the variables it failed to find
    (Django logs each one at DEBUG, django.template)."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="django.template"):
        html = engines["django"].get_template("base.html").render({}, request)
    return html, [record.args[0] for record in caplog.records if record.name == "django.template"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_base_html_looks_up_nothing_a_page_does_not_have(method, settings, caplog):
    """Only pages shown in place are marked so (sso/in_place.py); every other page's base.html
    must learn that without looking for what is not there: a failed lookup raises and logs
    each time, and is written as ``string_if_invalid`` wherever its value is output."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = "INVALID[%s]"
    settings.TEMPLATES = templates
    request = getattr(RequestFactory(), method)("/accounts/login/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = default_storage(request)
    html, failed = _base_html(request, caplog)
    assert "INVALID" not in html and failed == []
    assert "<body data-reload-as-get>" in html if method == "post" else "<body>" in html
    if method == "get":
        request.shown_in_place = True  # as show_in_place marks the page it renders
        html, failed = _base_html(request, caplog)
        assert "INVALID" not in html and failed == []
        assert '<body data-address="/accounts/login/">' in html
