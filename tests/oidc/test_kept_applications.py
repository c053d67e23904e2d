"""The authorize endpoint keeps each application it read for a few seconds per worker
(sso/oidc/applications.py); no code is made from a row that changed since.

An edit in another worker sends no signal to this one: ``QuerySet.update`` stands in for it
here (it moves ``updated`` as ``save()`` would, and sends nothing).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from oauth2_provider.models import Grant

from sso.oidc import applications
from sso.oidc.models import Application
from tests.conftest import sign_in
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import authorize_url, get_code, pkce_pair

pytestmark = pytest.mark.django_db


def _edited_elsewhere(**fields) -> None:
    Application.objects.filter(client_id="relying-app").update(updated=timezone.now(), **fields)


def _application_reads(queries) -> int:
    """Selects of the application (the code's insert only checks its row in passing)."""
    return sum(
        q["sql"].startswith("SELECT") and 'FROM "oidc_application"' in q["sql"]
        for q in queries.captured_queries
    )


def test_a_kept_application_is_not_read_again(client, relying_app, user, password):
    sign_in(client, user.username, password)
    get_code(client)  # reads and keeps the application
    _, challenge = pkce_pair()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(authorize_url(challenge))
    assert response["Location"].startswith(REDIRECT_URI + "?code=")
    assert _application_reads(queries) == 0


def test_consent_withdrawn_elsewhere_shows_the_consent_page(client, relying_app, user, password):
    sign_in(client, user.username, password)
    get_code(client)
    _edited_elsewhere(skip_authorization=False)  # now a third-party app: consent first

    _, challenge = pkce_pair()
    grants = Grant.objects.count()
    response = client.get(authorize_url(challenge))
    assert response.status_code == 200
    assert b'name="allow"' in response.content
    assert Grant.objects.count() == grants  # no code from the kept row


def test_a_redirect_uri_removed_elsewhere_gets_no_code(client, relying_app, user, password):
    sign_in(client, user.username, password)
    get_code(client)
    _edited_elsewhere(redirect_uris="http://rp.example.test/elsewhere")

    _, challenge = pkce_pair()
    grants = Grant.objects.count()
    response = client.get(authorize_url(challenge))
    assert response.status_code == 400  # oauthlib's error page, no redirect to the old URI
    assert "Location" not in response
    assert Grant.objects.count() == grants


def test_saving_an_application_drops_the_kept_rows(client, relying_app, user, password):
    sign_in(client, user.username, password)
    get_code(client)
    assert applications._kept
    relying_app.name = "Renamed"
    relying_app.save()
    assert not applications._kept
