"""An application edited by another worker (or an admin on another node) takes effect at the
next authorize: no code, no error redirect and no skipped consent from a row read earlier.

Another worker's edit sends no signal to this process: ``QuerySet.update`` stands in for it.
A per-worker copy of the application kept for 5 s was tried and taken back: it let a code, or an
error, go to a redirect URI an admin had just removed (outside testing, 2026-12-01).
"""

import pytest
from django.utils import timezone
from oauth2_provider.models import Grant

from sso.oidc.models import Application
from tests.conftest import sign_in
from tests.oidc.conftest import REDIRECT_URI
from tests.oidc.helpers import authorize_url, get_code, pkce_pair

pytestmark = pytest.mark.django_db
REMOVED = REDIRECT_URI


def _edited_elsewhere(**fields) -> None:
    Application.objects.filter(client_id="relying-app").update(updated=timezone.now(), **fields)


def test_consent_withdrawn_elsewhere_shows_the_consent_page(client, relying_app, user, password):
    sign_in(client, user.username, password)
    get_code(client)
    _edited_elsewhere(skip_authorization=False)  # now a third-party app: consent first

    _, challenge = pkce_pair()
    grants = Grant.objects.count()
    response = client.get(authorize_url(challenge))
    assert response.status_code == 200
    assert b'name="allow"' in response.content
    assert Grant.objects.count() == grants


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


def test_a_redirect_uri_removed_elsewhere_gets_no_error_redirect(
    client, relying_app, user, password
):
    sign_in(client, user.username, password)
    get_code(client)
    _edited_elsewhere(redirect_uris="http://rp.example.test/elsewhere")

    _, challenge = pkce_pair()
    response = client.get(authorize_url(challenge, max_age="abc"))  # an invalid_request
    assert response.status_code == 400
    assert not response.get("Location", "").startswith(REMOVED)
