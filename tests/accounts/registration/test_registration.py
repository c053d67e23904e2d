"""Self-registration: verified address before any account, no enumeration, limits, policy."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, TestCase
from django.utils import timezone

from accounts.models import AuditEvent, User
from accounts.registration.models import PendingSignup
from tests.conftest import led_to, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long new passphrase 42"
FORM = {
    "username": "rina.siti",
    "full_name": "Rina Siti",
    "email": "rina@example.com",
    "password1": NEW_PASSWORD,
    "password2": NEW_PASSWORD,
}


@pytest.fixture(autouse=True)
def signup_open(settings):
    settings.ACCOUNTS_SIGNUP = "open"
    settings.ACCOUNTS_TERMS_URL = ""
    settings.SSO_BASE_URL = "https://sso.example.go.id"


def _register(client=None, **changes):
    client = client or Client()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/accounts/register/", {**FORM, **changes}, follow=True)
    return response


def _link(message) -> str:
    return re.search(r"https://sso\.example\.go\.id(/\S+)", message.body).group(1)


def test_closed_by_default_no_page_and_no_link(settings):
    settings.ACCOUNTS_SIGNUP = "closed"
    assert Client().get("/accounts/register/").status_code == 404
    assert Client().post("/accounts/register/", FORM).status_code == 404
    assert "Create an account" not in Client().get("/accounts/login/").content.decode()


def test_linked_from_the_username_page():
    page = Client().get("/accounts/login/").content.decode()
    assert 'href="/accounts/register/"' in page


def test_the_account_exists_only_after_the_link_is_opened(password):
    page = _register()
    assert "Check your e-mail" in page.content.decode()
    assert not User.objects.filter(username="rina.siti").exists()
    [message] = mail.outbox
    assert message.to == ["rina@example.com"]
    link = _link(message)
    # Opening the link (as a mail scanner would) makes nothing; the button does.
    confirm = Client().get(link)
    assert "Verify and create my account" in confirm.content.decode()
    assert not User.objects.filter(username="rina.siti").exists()

    browser = Client()
    response = browser.post(link)
    assert led_to(response) == "/accounts/login/method/"
    user = User.objects.get(username="rina.siti")
    assert user.email == "rina@example.com" and user.full_name == "Rina Siti"
    assert user.is_active and user.check_password(NEW_PASSWORD)
    assert "Your e-mail address is verified" in browser.get(response["Location"]).content.decode()
    assert led_to(sign_in(Client(), "rina.siti", NEW_PASSWORD)) == "/"
    assert AuditEvent.objects.filter(kind="signup.completed", user=user).exists()
    # Nothing of the password stays on the pending row.
    assert PendingSignup.objects.get().password == ""

    again = Client().post(link)
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert User.objects.filter(email="rina@example.com").count() == 1


def _visible(response) -> str:
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return text


def test_taken_username_and_address_give_the_same_page_and_tell_only_by_mail(make_user):
    make_user("rina.siti", email="owner@example.com")
    make_user("budi", email="budi@example.com")
    fresh = _register(username="new.person", email="new@example.com")
    taken_name = _register(username="R\u0131NA.SITI", email="other@example.com")  # dotless i
    taken_address = _register(username="someone", email="BUDI@example.com")

    assert fresh.redirect_chain == taken_name.redirect_chain == taken_address.redirect_chain
    assert _visible(fresh) == _visible(taken_name) == _visible(taken_address)
    verify, name_mail, address_mail = mail.outbox
    assert verify.to == ["new@example.com"] and "/register/verify/" in verify.body
    assert name_mail.to == ["other@example.com"]
    assert "not available" in name_mail.body and "/register/verify/" not in name_mail.body
    assert address_mail.to == ["BUDI@example.com"]
    assert "already has an account" in address_mail.body
    assert "/register/verify/" not in address_mail.body
    assert PendingSignup.objects.count() == 1
    reasons = set(
        AuditEvent.objects.filter(kind="signup.requested", result="refused").values_list(
            "details__reason", flat=True
        )
    )
    assert reasons == {"username_taken", "address_taken"}


def test_a_username_taken_before_verification_is_refused_then(make_user):
    _register()
    link = _link(mail.outbox[0])
    make_user("RINA.siti", email="first@example.com")
    page = Client().post(link)
    assert page.status_code == 410
    assert "Someone took this username" in page.content.decode()
    assert User.objects.filter(username_canonical="rina.siti").count() == 1


def test_the_link_expires(settings):
    settings.ACCOUNTS_SIGNUP_LINK_HOURS = 24
    _register()
    link = _link(mail.outbox[0])
    with time_machine.travel(timezone.now() + timedelta(hours=23, minutes=59), tick=False):
        assert Client().get(link).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=False):
        page = Client().post(link)
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert not User.objects.filter(username="rina.siti").exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link[:-3] + ("aa/" if not link.endswith("aa/") else "bb/"),
        lambda link: re.sub(r"/verify/[^/]+/", "/verify/nonsense/", link),
    ],
)
def test_a_tampered_link_is_not_valid(tamper):
    _register()
    page = Client().post(tamper(_link(mail.outbox[0])))
    assert page.status_code == 404
    assert "This link is not valid" in page.content.decode()
    assert not User.objects.filter(username="rina.siti").exists()


def test_domains_policy(settings):
    settings.ACCOUNTS_SIGNUP = "domains"
    settings.ACCOUNTS_SIGNUP_DOMAINS = ["unram.ac.id"]
    page = _register(email="rina@gmail.com")
    assert "Only addresses of unram.ac.id may register here." in page.content.decode()
    assert not mail.outbox
    page = _register(email="rina@UNRAM.ac.id")
    assert "Check your e-mail" in page.content.decode()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"password1": "rina.siti1", "password2": "rina.siti1"}, "too similar to the username"),
        ({"password2": NEW_PASSWORD + "x"}, "The two passwords differ."),
        ({"username": "rina siti!"}, "Enter a valid username."),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"username": "x" * 151}, "at most 150 characters"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_sent(changes, error):
    page = _register(**changes)
    assert page.status_code == 200
    assert error in page.content.decode()
    assert not mail.outbox and not PendingSignup.objects.exists()


def test_terms_must_be_accepted_when_set(settings):
    settings.ACCOUNTS_TERMS_URL = "https://example.go.id/terms"
    page = Client().get("/accounts/register/").content.decode()
    assert 'href="https://example.go.id/terms"' in page
    refused = _register()
    assert "Accept the terms of use to create an account." in refused.content.decode()
    assert not mail.outbox
    accepted = _register(terms="on")
    assert "Check your e-mail" in accepted.content.decode()


def test_limits_per_address_and_per_ip(settings):
    settings.ACCOUNTS_SIGNUP_PER_ADDRESS_PER_HOUR = 2
    settings.ACCOUNTS_SIGNUP_PER_IP_PER_HOUR = 4
    for _ in range(2):
        assert _register().status_code == 200
    over = Client().post("/accounts/register/", FORM)
    assert over.status_code == 429
    assert "Too many sign-up attempts" in over.content.decode()
    # Another address from the same IP: one more, then the IP's limit.
    assert _register(email="x@example.com").status_code == 200
    assert Client().post("/accounts/register/", {**FORM, "email": "y@example.com"}).status_code == (
        429
    )
    assert len(mail.outbox) == 3
    # From another IP the address limit still holds.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.post("/accounts/register/", FORM).status_code == 429


def test_impossible_policy_is_a_system_check_error(settings):
    settings.ACCOUNTS_SIGNUP = "domains"
    settings.ACCOUNTS_SIGNUP_DOMAINS = []
    with pytest.raises(SystemCheckError, match=r"accounts\.E011"):
        call_command("check")
    settings.ACCOUNTS_SIGNUP = "sometimes"
    with pytest.raises(SystemCheckError, match=r"accounts\.E010"):
        call_command("check")
