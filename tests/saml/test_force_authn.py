"""ForceAuthn asks for a fresh sign-in; it never signs anyone out (python3-saml as the SP).

An AuthnRequest can reach the portal from any site (a cross-site GET of the Redirect binding).
With ForceAuthn (SAML Core §3.4.1) the sign-in pages run beside the portal session, which goes
on untouched until a new sign-in completes; that sign-in replaces it (a new session key) and
the response carries its AuthnInstant.
"""

import re
import time
from base64 import b64decode
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest

from accounts.models import AuditEvent
from accounts.signin.flows import AUTH_TIME_SESSION_KEY
from sso.saml.models import SamlSession
from tests.conftest import post_username, sign_in
from tests.saml.onelogin_sp import path_and_query, query
from tests.saml.test_sso import UID, follow, posted_fields, sso

pytestmark = pytest.mark.django_db

AN_HOUR_AGO = time.time() - 3600


def authn_instant(saml_response: str) -> datetime:
    xml = b64decode(saml_response).decode()
    (instant,) = re.findall(r'AuthnInstant="([^"]+)"', xml)
    return datetime.fromisoformat(instant.replace("Z", "+00:00"))


def signed_in_an_hour_ago(client, onelogin_sp, user, password):
    """Signed in to the portal (an hour ago, as far as the session knows) and to the SP."""
    sign_in(client, user.username, password)
    session = client.session
    session[AUTH_TIME_SESSION_KEY] = AN_HOUR_AGO
    session.save()
    fields = posted_fields(sso(client, onelogin_sp))
    auth = onelogin_sp.consume(fields["SAMLResponse"])
    assert auth.is_authenticated(), auth.get_last_error_reason()
    assert authn_instant(fields["SAMLResponse"]).timestamp() == int(AN_HOUR_AGO)
    return auth


def force_authn(client, onelogin_sp) -> str:
    """An AuthnRequest with ForceAuthn arrives; returns where the sign-in page leads back."""
    response = sso(client, onelogin_sp, force_authn=True)
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/accounts/login/"
    back = unquote(response.request["QUERY_STRING"]).removeprefix("next=")
    assert back.startswith("/saml/sso/resume/")
    return back


def test_force_authn_ends_nothing_and_abandoned_leaves_the_person_signed_in(
    client, onelogin_sp, user, password
):
    signed_in_an_hour_ago(client, onelogin_sp, user, password)
    key = client.session.session_key
    back = force_authn(client, onelogin_sp)

    # The sign-in page is shown, and the portal session is the same as before.
    assert client.session.session_key == key
    assert client.session["_auth_user_id"] == str(user.pk)
    assert SamlSession.objects.get(user=user).ended is None
    assert not AuditEvent.objects.filter(kind__in=["signout", "saml.logout"]).exists()
    # Until a sign-in completes, the request is not answered with the old session.
    assert client.get(back)["Location"].startswith("/accounts/login/?next=")

    # The person types a name, then thinks better of it ("Not you?") and walks away.
    post_username(client, user.username, back)
    client.post("/accounts/login/restart/")
    home = client.get("/")
    assert home.status_code == 200
    assert client.session.session_key == key
    assert SamlSession.objects.get(user=user).ended is None


def test_the_fresh_sign_in_answers_with_its_own_authn_instant(client, onelogin_sp, user, password):
    signed_in_an_hour_ago(client, onelogin_sp, user, password)
    key = client.session.session_key
    back = force_authn(client, onelogin_sp)

    before = datetime.now(UTC).replace(microsecond=0)
    response = follow(client, sign_in(client, user.username, password, next_url=back))
    fields = posted_fields(response)
    auth = onelogin_sp.consume(fields["SAMLResponse"])
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_attribute(UID) == [user.username]
    assert authn_instant(fields["SAMLResponse"]) >= before
    assert client.session.session_key != key  # the new sign-in has its own key
    # The same person signed in again: their apps' sessions go on.
    assert SamlSession.objects.filter(user=user, ended__isnull=True).count() == 2
    assert not AuditEvent.objects.filter(kind="signout").exists()


def test_another_account_signing_in_afresh_signs_the_first_out_of_its_apps(
    client, onelogin_sp, user, make_user, password
):
    """A shared computer: someone else signs in at the ForceAuthn. The first account signs out
    as with Sign Out (the SP is told, SAML Profiles §4.4), and the SP gets the second one."""
    make_user("budi")
    first = signed_in_an_hour_ago(client, onelogin_sp, user, password)
    back = force_authn(client, onelogin_sp)

    response = sign_in(client, "budi", password, next_url=back)
    assert response["Location"] == "/saml/slo/next/"
    hop = client.get(response["Location"])["Location"]
    sp_side = onelogin_sp.auth("/sls/", get=query(hop))
    answer = sp_side.process_slo(delete_session_cb=lambda: None)
    assert sp_side.get_errors() == [], sp_side.get_last_error_reason()
    assert first.get_session_index() in sp_side.get_last_request_xml()
    assert SamlSession.objects.get(user=user).ended is not None
    assert AuditEvent.objects.filter(kind="signout", user=user).count() == 1

    fields = posted_fields(follow(client, client.get(path_and_query(answer))))
    auth = onelogin_sp.consume(fields["SAMLResponse"])
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_attribute(UID) == ["budi"]
