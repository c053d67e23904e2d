"""SP-initiated single sign-on with python3-saml on the other side (Django's test client)."""

import re
from base64 import b64decode
from html import unescape
from urllib.parse import unquote

import pytest

from accounts.models import AuditEvent
from accounts.signin.flows import AUTH_METHODS_SESSION_KEY
from sso.saml import assurance
from sso.saml.models import Pseudonym, SamlSession
from tests.conftest import sign_in
from tests.saml.onelogin_sp import path_and_query

pytestmark = pytest.mark.django_db

UID = "urn:oid:0.9.2342.19200300.100.1.1"
MAIL = "urn:oid:0.9.2342.19200300.100.1.3"
DISPLAY_NAME = "urn:oid:2.16.840.1.113730.3.1.241"
IS_MEMBER_OF = "urn:oid:1.3.6.1.4.1.5923.1.5.1.1"
NO_AUTHN_CONTEXT = "urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext"


def set_methods(client, methods: list[str]) -> None:
    session = client.session
    session[AUTH_METHODS_SESSION_KEY] = methods
    session.save()


def follow(client, response):
    """Follows the portal's redirects; returns the last response."""
    while response.status_code in (301, 302, 303):
        response = client.get(response["Location"])
    return response


def posted_fields(response) -> dict[str, str]:
    html = response.content.decode()
    assert "data-auto-submit" in html, html[:2000]
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    return {name: unescape(value) for name, value in fields.items()}


def sso(client, sp, **login_options):
    return follow(client, client.get(path_and_query(sp.login_url(**login_options))))


def test_redirect_binding_gives_a_signed_assertion_with_the_released_attributes(
    client, onelogin_sp, user, password
):
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.create(name="library-staff"))
    sign_in(client, user.username, password)
    response = sso(client, onelogin_sp, return_to="https://sp.example.org/shelf/")
    assert response["Content-Security-Policy"].count("form-action 'self' https://sp.example.org")
    fields = posted_fields(response)
    assert fields["RelayState"] == "https://sp.example.org/shelf/"
    auth = onelogin_sp.consume(fields["SAMLResponse"])
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.is_authenticated()
    assert auth.get_attribute(UID) == ["ani"]
    assert auth.get_attribute(MAIL) == ["ani@example.com"]
    assert auth.get_attribute(DISPLAY_NAME) == ["Ani"]
    assert auth.get_attribute(IS_MEMBER_OF) == ["library-staff"]
    # Persistent pseudonymous NameID by default: random, stable, not the username.
    assert auth.get_nameid_format() == "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    assert auth.get_nameid() == Pseudonym.objects.get(user=user).value != "ani"
    assert auth.get_last_authn_contexts() == [assurance.PASSWORD_PROTECTED_TRANSPORT]
    saml_session = SamlSession.objects.get(user=user)
    assert saml_session.session_index == auth.get_session_index()
    event = AuditEvent.objects.get(kind="saml.signin")
    assert (event.user, event.result) == (user, AuditEvent.Result.SUCCESS)
    assert event.details["application"] == onelogin_sp.entity_id


def test_post_binding_and_the_second_visit_needs_no_sign_in(client, onelogin_sp, user, password):
    sign_in(client, user.username, password)
    set_methods(client, ["otp", "pwd"])
    for _ in range(2):
        response = follow(
            client,
            client.post("/saml/sso/post/", {"SAMLRequest": onelogin_sp.signed_post_request()}),
        )
        auth = onelogin_sp.consume(posted_fields(response)["SAMLResponse"])
        assert auth.get_errors() == [], auth.get_last_error_reason()
        assert auth.get_last_authn_contexts() == [assurance.REFEDS_MFA]
    # the same pseudonym both times
    assert Pseudonym.objects.filter(user=user).count() == 1


def test_not_signed_in_goes_through_the_portal_sign_in_and_back(
    client, onelogin_sp, user, password
):
    response = sso(client, onelogin_sp)
    assert response.request["PATH_INFO"] == "/accounts/login/"
    back = unquote(response.request["QUERY_STRING"]).removeprefix("next=")
    assert back.startswith("/saml/sso/resume/")
    response = follow(client, sign_in(client, user.username, password, next_url=back))
    auth = onelogin_sp.consume(posted_fields(response)["SAMLResponse"])
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_attribute(UID) == ["ani"]


@pytest.mark.parametrize(
    ("methods", "class_ref"),
    [
        (["pwd"], assurance.PASSWORD_PROTECTED_TRANSPORT),
        (["pwd", "sms"], assurance.REFEDS_MFA),
        (["hwk", "user"], "urn:sso-portal:acr:phishing-resistant"),
    ],
)
def test_authn_context_class_ref_says_how_the_session_signed_in(
    client, onelogin_sp, user, password, methods, class_ref
):
    sign_in(client, user.username, password)
    set_methods(client, methods)
    auth = onelogin_sp.consume(posted_fields(sso(client, onelogin_sp))["SAMLResponse"])
    assert auth.get_last_authn_contexts() == [class_ref]


def test_requested_mfa_on_a_password_session_leads_to_step_up(client, onelogin_sp, user, password):
    onelogin_sp.security["requestedAuthnContext"] = [assurance.REFEDS_MFA]
    sign_in(client, user.username, password)
    response = client.get(path_and_query(onelogin_sp.login_url()))
    response = client.get(response["Location"])  # continue
    response = client.get(response["Location"])  # resume
    assert response.status_code == 302
    assert unquote(response["Location"]).startswith("/security/step-up/?next=/saml/sso/resume/")


def test_requested_mfa_after_a_step_up_that_could_not_happen_is_no_authn_context(
    client, onelogin_sp, user, password
):
    onelogin_sp.security["requestedAuthnContext"] = [assurance.REFEDS_MFA]
    sign_in(client, user.username, password)
    response = client.get(path_and_query(onelogin_sp.login_url()))
    response = client.get(client.get(response["Location"])["Location"])
    resume = unquote(response["Location"].split("next=")[1])
    # The user did not (could not) pass a second factor; back at the request:
    saml_response = posted_fields(client.get(resume))["SAMLResponse"]
    auth = onelogin_sp.consume(saml_response)
    assert not auth.is_authenticated()
    assert "was Responder" in auth.get_last_error_reason()
    assert f'StatusCode Value="{NO_AUTHN_CONTEXT}"' in b64decode(saml_response).decode()


def test_mfa_required_by_the_admin_and_met(client, onelogin_sp, user, password):
    onelogin_sp.registration.mfa_required = True
    onelogin_sp.registration.save()
    sign_in(client, user.username, password)
    set_methods(client, ["otp", "pwd"])
    auth = onelogin_sp.consume(posted_fields(sso(client, onelogin_sp))["SAMLResponse"])
    assert auth.is_authenticated()
    assert auth.get_last_authn_contexts() == [assurance.REFEDS_MFA]


def test_force_authn_asks_for_a_fresh_sign_in(client, onelogin_sp, user, password):
    sign_in(client, user.username, password)
    response = sso(client, onelogin_sp, force_authn=True)
    assert response.request["PATH_INFO"] == "/accounts/login/"
    assert client.session["_auth_user_id"] == str(user.pk)  # nothing ends before the sign-in
    back = unquote(response.request["QUERY_STRING"]).removeprefix("next=")
    response = follow(client, sign_in(client, user.username, password, next_url=back))
    auth = onelogin_sp.consume(posted_fields(response)["SAMLResponse"])
    assert auth.is_authenticated()


def test_idp_initiated_sign_in_from_home(client, onelogin_sp, user, password):
    sign_in(client, user.username, password)
    launch = f"/saml/apps/{onelogin_sp.registration.pk}/open/"
    assert launch in client.get("/").content.decode()
    fields = posted_fields(follow(client, client.get(launch)))
    assert "RelayState" not in fields
    # An unsolicited response (no InResponseTo), still signed and addressed to the ACS.
    auth = onelogin_sp.consume(fields["SAMLResponse"], request_id=None)
    assert auth.get_errors() == [], auth.get_last_error_reason()
    assert auth.get_attribute(UID) == ["ani"]
    assert "InResponseTo" not in b64decode(fields["SAMLResponse"]).decode()


def test_encrypted_assertion_when_the_admin_asks_for_it(client, onelogin_sp, user, password):
    """The assertion leaves encrypted to the SP's certificate, inside a signed response.

    (djangosaml2 decrypts and accepts it: tests/e2e/test_saml_djangosaml2.py.)
    """
    onelogin_sp.registration.encrypt_assertions = True
    onelogin_sp.registration.save()
    sign_in(client, user.username, password)
    # Metadata without an encryption certificate: no cleartext instead, a refusal.
    assert sso(client, onelogin_sp).status_code == 400
    onelogin_sp.registration.metadata_xml = onelogin_sp.metadata(wantAssertionsEncrypted=True)
    onelogin_sp.registration.save()
    saml_response = posted_fields(sso(client, onelogin_sp))["SAMLResponse"]
    xml = b64decode(saml_response).decode()
    assert "EncryptedAssertion" in xml
    assert "ani@example.com" not in xml
    assert "AttributeStatement" not in xml


def test_nameid_as_email_or_username_on_request(client, onelogin_sp, user, password):
    sign_in(client, user.username, password)
    for name_id_format, value in [
        ("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "ani@example.com"),
        ("urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "ani"),
    ]:
        onelogin_sp.registration.name_id_format = name_id_format
        onelogin_sp.registration.save()
        auth = onelogin_sp.consume(posted_fields(sso(client, onelogin_sp))["SAMLResponse"])
        assert (auth.get_nameid_format(), auth.get_nameid()) == (name_id_format, value)


def test_a_factor_bound_after_the_password_is_no_authn_context_for_mfa(
    client, onelogin_sp, user, password
):
    """NIST SP 800-63B §6.1.2.1, as the SAML side sees it: an authenticator bound on Security
    Settings in a password-only session (after the account e-mail proof) does not make the
    session multi-factor: step-up does not offer it, and REFEDS MFA is not asserted."""
    import pyotp

    from tests.conftest import prove_account_email
    from tests.mfa.conftest import run_on_commit

    onelogin_sp.security["requestedAuthnContext"] = [assurance.REFEDS_MFA]
    sign_in(client, user.username, password)
    prove_account_email(client, "/security/authenticator/")
    page = client.get("/security/authenticator/")
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    run_on_commit(client.post, "/security/authenticator/", {"code": pyotp.TOTP(key).now()})
    assert user.totpdevice_set.get().confirmed

    response = client.get(path_and_query(onelogin_sp.login_url()))
    response = client.get(client.get(response["Location"])["Location"])
    assert unquote(response["Location"]).startswith("/security/step-up/?next=/saml/sso/resume/")
    resume = client.get(response["Location"])["Location"]  # no challenge: back at once
    assert unquote(resume).startswith("/saml/sso/resume/")
    saml_response = posted_fields(client.get(resume))["SAMLResponse"]
    assert not onelogin_sp.consume(saml_response).is_authenticated()
    assert f'StatusCode Value="{NO_AUTHN_CONTEXT}"' in b64decode(saml_response).decode()
    assert client.session[AUTH_METHODS_SESSION_KEY] == ["pwd"]
