"""A code is used once, also when two exchanges of it run at the same moment (RFC 6749 §4.1.2):
the grant is deleted in the transaction that saves the tokens, so the second exchange, which
passed validation before the first ended, deletes nothing, gets invalid_grant, keeps no token,
and the first exchange's tokens are revoked as for any code used twice."""

import pytest
from oauth2_provider.models import get_access_token_model, get_id_token_model

from sso.oidc.validators import PortalOAuth2Validator
from tests.conftest import sign_in
from tests.oidc.helpers import exchange, get_code

pytestmark = pytest.mark.django_db


def test_a_code_exchanged_twice_at_once_gives_tokens_once(
    client, relying_app, user, password, monkeypatch
):
    sign_in(client, user.username, password)
    code, verifier = get_code(client)
    confirm = PortalOAuth2Validator.confirm_redirect_uri
    first: list = []

    def the_other_exchange_ends_meanwhile(self, *args, **kwargs):
        # The last check of the validation: the other exchange runs to its end here.
        if not first:
            first.append(None)
            first[0] = exchange(client, code, verifier)
        return confirm(self, *args, **kwargs)

    monkeypatch.setattr(
        PortalOAuth2Validator, "confirm_redirect_uri", the_other_exchange_ends_meanwhile
    )
    second = exchange(client, code, verifier)

    assert first[0].status_code == 200
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"
    # The second exchange kept nothing; the first one's tokens are revoked.
    assert not get_access_token_model().objects.exists()
    assert get_id_token_model().objects.count() == 1
    access_token = first[0].json()["access_token"]
    userinfo = client.get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    assert userinfo.status_code == 401
