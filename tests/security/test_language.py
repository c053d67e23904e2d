"""The language of a page: chosen by each visitor's own request, never taken from the visitor
before (Django leaves the last request's language active in the thread), and never a way to
put markup in the page (the template loader folds ``<html lang>`` per language, sso/templating.py).
"""

import pytest
from django.conf import settings
from django.test import Client

from sso.oidc.middleware import machine_paths

FORM = "application/x-www-form-urlencoded"
UNREADABLE_FIELD_EN = "A field holds characters or a length the portal refuses."
HOSTILE = [
    'xx-"><script>alert(1)</script>',
    "id-<svg onload=alert(1)>",
    "id;q=1, <b>en</b>",
    "../../../../etc/passwd",
    "en-" + "a" * 300,
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(machine_paths()))
def test_an_early_refusal_speaks_the_default_language_not_the_last_visitors(path):
    person = Client()
    assert person.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="id")["Content-Language"] == "id"
    relying_app = Client()
    response = relying_app.post(path, "a=%zz", content_type=FORM)
    assert response.status_code == 400, response.content
    assert UNREADABLE_FIELD_EN in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_no_language_input_reaches_the_page(value):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = value
    response = client.get(
        f"/accounts/login/?lang={value}&language={value}", HTTP_ACCEPT_LANGUAGE=value
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] in dict(settings.LANGUAGES)
    assert f'<html lang="{response["Content-Language"]}">' in page
    assert "<script>alert" not in page and "<svg" not in page and "<b>en" not in page


@pytest.mark.django_db
def test_the_next_person_gets_their_own_language():
    Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="id")
    page = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "en" and '<html lang="en">' in page.content.decode()
    assert "Vary" in page and "Accept-Language" in page["Vary"] and "Cookie" in page["Vary"]
    assert "private" in page["Cache-Control"] or "no-store" in page["Cache-Control"]
