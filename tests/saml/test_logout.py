"""Single Logout both ways, with python3-saml as the service provider (Django's test client)."""

from urllib.parse import urlsplit

import pytest

from accounts.models import AuditEvent
from sso.saml.models import SamlSession
from tests.conftest import sign_in
from tests.saml.onelogin_sp import path_and_query, query
from tests.saml.test_sso import posted_fields, sso

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in_at_sp(client, onelogin_sp, user, password):
    """Signed in to the portal and, through it, to the SP; returns python3-saml's view."""
    sign_in(client, user.username, password)
    auth = onelogin_sp.consume(posted_fields(sso(client, onelogin_sp))["SAMLResponse"])
    assert auth.is_authenticated()
    return auth


def at_sp(url: str) -> bool:
    return url.startswith("https://sp.example.org/")


def test_sp_initiated_logout_ends_the_portal_session_and_answers_signed(
    client, onelogin_sp, signed_in_at_sp, user
):
    auth = onelogin_sp.auth()
    url = auth.logout(
        name_id=signed_in_at_sp.get_nameid(),
        session_index=signed_in_at_sp.get_session_index(),
        name_id_format=signed_in_at_sp.get_nameid_format(),
        return_to="https://sp.example.org/bye/",
    )
    logout_id = auth.get_last_request_id()
    response = client.get(path_and_query(url))
    while not at_sp(response["Location"]):
        response = client.get(response["Location"])
    answer = response["Location"]
    assert urlsplit(answer).path == "/sls/"
    # python3-saml checks the LogoutResponse: signature (query), issuer, InResponseTo, status.
    sp_side = onelogin_sp.auth("/sls/", get=query(answer))
    sp_side.process_slo(request_id=logout_id, delete_session_cb=lambda: None)
    assert sp_side.get_errors() == [], sp_side.get_last_error_reason()
    assert query(answer)["RelayState"] == "https://sp.example.org/bye/"
    assert "_auth_user_id" not in client.session
    assert SamlSession.objects.get(user=user).ended is not None
    assert AuditEvent.objects.filter(kind="saml.logout", user=user).count() == 1


def test_portal_sign_out_logs_out_of_the_saml_app_first(client, onelogin_sp, signed_in_at_sp):
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/saml/slo/next/"
    hop = client.get(response["Location"])["Location"]
    assert at_sp(hop)
    # The SP receives a signed LogoutRequest naming its session, ends it and answers.
    forgotten = []
    sp_side = onelogin_sp.auth("/sls/", get=query(hop))
    back = sp_side.process_slo(delete_session_cb=lambda: forgotten.append(True))
    assert sp_side.get_errors() == [], sp_side.get_last_error_reason()
    assert forgotten == [True]
    assert sp_side.get_last_request_xml().count(signed_in_at_sp.get_session_index()) == 1
    end = client.get(path_and_query(back))
    assert end["Location"] == "/saml/slo/next/"
    final = client.get(end["Location"])
    assert final["Location"] == "/accounts/login/"
    assert "You have signed out." in client.get(final["Location"]).content.decode()


def test_a_logout_answer_to_no_request_of_ours_is_refused(client, onelogin_sp, signed_in_at_sp):
    from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response

    client.post("/accounts/logout/")
    client.get("/saml/slo/next/")  # the portal's LogoutRequest is on its way to the SP
    answer = OneLogin_Saml2_Logout_Response(onelogin_sp.settings())
    answer.build("_an_id_the_portal_never_sent")
    response = client.get("/saml/slo/redirect/", {"SAMLResponse": answer.get_response()})
    assert response.status_code == 400


@pytest.mark.parametrize("require_signed_requests", [True, False])
def test_an_unsigned_logout_request_is_refused(
    client, onelogin_sp, signed_in_at_sp, user, require_signed_requests
):
    """Any site can make the browser send a LogoutRequest (a GET of the Redirect binding):
    unsigned, it ends nothing, even for an SP whose unsigned AuthnRequests the admin allows
    (SAML Profiles §4.4.3.1: the requester MUST authenticate itself)."""
    onelogin_sp.registration.require_signed_requests = require_signed_requests
    onelogin_sp.registration.save()
    url = onelogin_sp.auth(logoutRequestSigned=False).logout(
        name_id=signed_in_at_sp.get_nameid(),
        session_index=signed_in_at_sp.get_session_index(),
        name_id_format=signed_in_at_sp.get_nameid_format(),
    )
    response = client.get(path_and_query(url))
    assert response.status_code == 400
    assert client.session["_auth_user_id"] == str(user.pk)
    assert SamlSession.objects.get(user=user).ended is None


def test_deactivating_the_account_ends_its_saml_sessions(client, signed_in_at_sp, user):
    from accounts.lifecycle import deactivate_account

    deactivate_account(user, actor=None, reason="left the agency")
    assert SamlSession.objects.get(user=user).ended is not None
    assert AuditEvent.objects.filter(kind="saml.logout", user=user).count() == 1
