"""The preferred language of the Profile tab: it persists, the pages switch to it at sign-in
without a query per page, and every mail to the person is written in it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from mfa.rollout import reminders
from mfa.rollout.models import GroupPolicy, Level
from tests.conftest import led_to, sign_in
from tests.mfa.conftest import to_code_page

pytestmark = pytest.mark.django_db


def test_choosing_bahasa_indonesia_persists_and_switches_the_pages(user, password):
    browser = Client()
    sign_in(browser, user.username, password)
    page = browser.get("/accounts/profile/")
    assert "Preferred language" in page.text
    saved = browser.post(
        "/accounts/profile/", {"full_name": "Ani", "preferred_language": "id"}, follow=True
    )
    user.refresh_from_db()
    assert user.preferred_language == "id"
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    assert 'lang="id"' in saved.text
    assert "Profil Anda telah disimpan." in saved.text
    assert 'value="id" selected' in saved.text


def test_the_preference_is_applied_at_sign_in_in_a_new_browser(make_user, password):
    make_user("budi", preferred_language="id")
    browser = Client()  # an English browser: no language cookie, no Accept-Language
    assert 'lang="en"' in browser.get("/accounts/login/").text
    assert led_to(sign_in(browser, "budi", password)) == "/"
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    assert 'lang="id"' in browser.get("/").text


def test_the_header_switcher_stores_a_signed_in_persons_choice(make_user, password):
    """Changing the language in the header while signed in is a choice of language, as on the
    Profile: the next sign-in, in another browser, and the mails speak it."""
    make_user("budi", preferred_language="en")
    browser = Client()
    sign_in(browser, "budi", password)
    switched = browser.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert switched.status_code == 302
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    assert User.objects.get(username="budi").preferred_language == "id"

    elsewhere = Client()
    sign_in(elsewhere, "budi", password)
    assert 'lang="id"' in elsewhere.get("/").text


@pytest.mark.parametrize(("sent", "stored"), [("id-id", "id"), ("id-ID", "id"), ("fr", "en")])
def test_the_header_switcher_stores_the_language_the_pages_then_speak(
    make_user, password, sent, stored
):
    """A variant (id-ID) sets the cookie and the pages speak Indonesian: that is stored too (it
    was not); a language the portal does not speak stores nothing."""
    make_user("budi", preferred_language="en")
    browser = Client()
    sign_in(browser, "budi", password)
    browser.post("/i18n/setlang/", {"language": sent, "next": "/"})
    assert User.objects.get(username="budi").preferred_language == stored
    assert f'lang="{stored}"' in browser.get("/").text


def test_the_header_switcher_signed_out_changes_the_browser_only(make_user, password):
    make_user("budi", preferred_language="en")
    browser = Client()
    browser.post("/i18n/setlang/", {"language": "id", "next": "/accounts/login/"})
    assert browser.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    assert User.objects.get(username="budi").preferred_language == "en"
    browser.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert User.objects.get(username="budi").preferred_language == "en"


def test_no_query_for_the_language_on_later_pages(make_user, password):
    # The cookie carries it: a page costs the same queries whatever the preference.
    counts = {}
    for name, language in (("budi", "id"), ("citra", "")):
        make_user(name, preferred_language=language)
        browser = Client()
        sign_in(browser, name, password)
        browser.get("/")
        with CaptureQueriesContext(connection) as queries:
            browser.get("/")
        counts[name] = len(queries)
    assert counts["budi"] == counts["citra"]


def test_a_code_mail_is_in_the_persons_language(client, user, password, email_factor):
    User.objects.filter(pk=user.pk).update(preferred_language="id")
    # The page is in English (the browser's choice of the moment); the mail follows the account.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    to_code_page(client, password)  # the only factor: its code goes out with the password
    [message] = mail.outbox
    assert message.subject.startswith("Kode ")
    assert "Kode masuk" in message.body and "Anda adalah:" in message.body


def test_a_rollout_reminder_is_in_the_persons_language(make_user, time_machine):
    now = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    time_machine.move_to(now, tick=False)
    finance = Group.objects.create(name="Finance")
    GroupPolicy.objects.create(
        group=finance, level=Level.REQUIRED, deadline=now + timedelta(days=10)
    )
    for name, language in (("ani", "id"), ("budi", "")):
        person = make_user(name, email=f"{name}@example.com", preferred_language=language)
        person.groups.add(finance)
        assert reminders.send_reminder(person.pk) == reminders.SENT
    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address["ani@example.com"].subject.startswith("Siapkan faktor kedua untuk")
    assert "tinggal 10 hari" in by_address["ani@example.com"].body
    assert by_address["budi@example.com"].subject.startswith("Set up a second factor for")
