"""Two sign-ins in one browser: a tab left open at one person's challenge page while another
person's sign-in began (accounts.signin.flows.start_signin ends the first). The old page's
forms name whose sign-in they were shown for (mfa.challenge.pending.page_mark): posted now,
they are not judged against the sign-in under way, whose account they are not for."""

import re
from base64 import b32encode

import pyotp
import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
from accounts.question import flows as question_policy
from mfa.models import EmailDevice
from tests.conftest import led_to, post_username
from tests.mfa.conftest import run_on_commit

pytestmark = pytest.mark.django_db

PASSWORD_PAGE = "/accounts/login/password/"
ENDED = "The sign-in on that page has ended: another began in this browser."


@pytest.fixture
def budi(make_user):
    """Budi, with an authenticator app of his own: (user, his app)."""
    person = make_user("budi")
    device = TOTPDevice.objects.create(user=person, name="Authenticator", confirmed=True)
    return person, pyotp.TOTP(b32encode(device.bin_key).decode())


def _password(client, username: str, password: str):
    """The username page's copy of step 2: the name with the password (one request)."""
    return client.post(PASSWORD_PAGE, {"username": username, "password": password})


def _form_of(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posted to ``action`` (the CSRF token aside)."""
    form = page[page.index(f'action="{action}"') :].split("</form>")[0]
    fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form)
    return {name: value for name, value in fields if name != "csrfmiddlewaretoken"}


def _failures(user) -> int:
    return AuditEvent.objects.filter(user=user, result="failure").count()


def test_a_code_typed_on_the_previous_persons_page_is_not_judged_against_the_next(
    client, user, password, phone, budi
):
    budi_user, budi_app = budi
    ani_page = _password(client, "ani", password)
    assert led_to(ani_page) == "/security/challenge/totp/"
    assert led_to(_password(client, "budi", password)) == "/security/challenge/totp/"
    # Ani's right code, from her page left open in another tab.
    data = {**_form_of(ani_page.text, "/security/challenge/totp/"), "code": phone.now()}
    answer = client.post("/security/challenge/totp/", data)
    assert answer.status_code == 302 and answer["Location"] == "/accounts/login/"
    assert ENDED in client.get("/accounts/login/").text
    client.post("/security/challenge/totp/", data, HTTP_ACCEPT_LANGUAGE="id")
    said = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="id").text
    assert "Proses masuk di halaman itu telah berakhir" in said
    assert _failures(budi_user) == 0 and _failures(user) == 0
    # Budi's sign-in is untouched: his code still signs him in.
    assert led_to(client.post("/security/challenge/totp/", {"code": budi_app.now()})) == (
        "/security/challenge/confirm/"
    )


def test_confirm_and_continue_of_the_previous_persons_page_signs_no_one_in(
    client, user, password, phone, budi
):
    _, budi_app = budi
    _password(client, "ani", password)
    ani_confirm = client.post("/security/challenge/totp/", {"code": phone.now()})
    assert led_to(ani_confirm) == "/security/challenge/confirm/"
    _password(client, "budi", password)
    client.post("/security/challenge/totp/", {"code": budi_app.now()})
    data = _form_of(ani_confirm.text, "/security/challenge/confirm/")
    answer = client.post("/security/challenge/confirm/", {**data, "remember": "on"})
    assert answer["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session


def test_the_previous_persons_picker_sends_no_code_for_the_next(
    client, make_user, user, password, phone
):
    """Ani's picker (two factors) left open; budi, with an e-mail factor too, signs in; the
    e-mail picked on ani's page sends nothing to budi."""
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    budi = make_user("budi")
    EmailDevice.objects.create(user=budi, name="Email", email="budi.codes@example.com")
    TOTPDevice.objects.create(user=budi, name="Authenticator", confirmed=True)
    picker = _password(client, "ani", password)
    assert led_to(picker) == "/security/challenge/"
    assert led_to(_password(client, "budi", password)) == "/security/challenge/"
    mail.outbox.clear()
    data = {**_form_of(picker.text, "/security/challenge/"), "method": "email"}
    answer = run_on_commit(client.post, "/security/challenge/", data)
    assert answer["Location"] == "/accounts/login/"
    assert mail.outbox == []


def test_the_same_persons_page_of_an_earlier_attempt_still_answers(client, user, password, phone):
    """The password typed again (another tab, a double click) begins another attempt of the
    same person: the code typed on the first page is judged as before."""
    first = _password(client, "ani", password)
    _password(client, "ani", password)
    data = {**_form_of(first.text, "/security/challenge/totp/"), "code": phone.now()}
    answer = client.post("/security/challenge/totp/", data)
    assert led_to(answer) == "/security/challenge/confirm/"


def test_the_mark_tells_no_one_the_account(client, user, password, phone, settings):
    """The mark is a digest keyed with the portal's secret, not the account's id in any form
    (a random-looking 16 hex digits may hold the id's digits by chance, so that is no test):
    under another SECRET_KEY the same account has another mark."""
    from accounts.signin.flows import page_mark

    page = _password(client, "ani", password).text
    mark = _form_of(page, "/security/challenge/totp/")["signin"]
    assert re.fullmatch(r"[0-9a-f]{16}", mark)
    assert mark == page_mark(user.pk) != page_mark(user.pk + 1)
    settings.SECRET_KEY = "another secret key, for this test only, long enough to be one"
    assert page_mark(user.pk) != mark


def test_an_answer_on_the_previous_persons_security_question_is_not_judged_against_the_next(
    client, user, password, phone, budi, settings
):
    """The same for the security question (seeds/003): ani's page left open at her question,
    budi's sign-in reaches his; ani's answer is not judged against budi's question."""
    settings.ACCOUNTS_SECURITY_QUESTION_ENABLED = True
    budi_user, budi_app = budi
    question_policy.set_question(user, "Kota lahir?", "Mataram")
    question_policy.set_question(budi_user, "Nama hewan?", "Kucing")
    _password(client, "ani", password)
    client.post("/security/challenge/totp/", {"code": phone.now()})
    ani_page = client.post("/security/challenge/confirm/", {"remember": ""})
    assert led_to(ani_page) == "/accounts/login/question/"
    ani_question = client.get("/accounts/login/question/")
    _password(client, "budi", password)
    client.post("/security/challenge/totp/", {"code": budi_app.now()})
    client.post("/security/challenge/confirm/", {"remember": ""})
    data = {**_form_of(ani_question.text, "/accounts/login/question/"), "answer": "Mataram"}
    answer = client.post("/accounts/login/question/", data)
    assert answer["Location"] == "/accounts/login/"
    assert _failures(budi_user) == 0 and SESSION_KEY not in client.session
    assert "Nama hewan?" in client.get("/accounts/login/question/").text  # budi's goes on


RESTART = "/accounts/login/restart/"


def test_not_you_on_the_previous_persons_page_does_not_end_the_next_ones_signin(
    client, user, make_user
):
    """Ani's method page left open; budi typed his name in another tab. "Not you?" on ani's
    page ends ani's sign-in, which is over: not budi's."""
    make_user("budi")
    ani_page = post_username_page(client, "ani")
    assert "Signing in as <strong>budi</strong>" in post_username_page(client, "budi")
    answer = client.post(RESTART, _form_of(ani_page, RESTART))
    assert answer["Location"] == "/accounts/login/"
    assert ENDED in client.get("/accounts/login/").text
    assert "Signing in as <strong>budi</strong>" in client.get("/accounts/login/method/").text
    # Budi's own "Not you?" still ends his.
    budi_page = client.get("/accounts/login/method/").text
    client.post(RESTART, _form_of(budi_page, RESTART))
    assert led_to(client.get("/accounts/login/method/")) == "/accounts/login/"


def test_cancel_sign_in_on_the_previous_persons_picker_leaves_the_next_ones_challenge(
    client, make_user, user, password, phone, budi
):
    EmailDevice.objects.create(user=user, name="Email", email="ani.codes@example.com")
    _, budi_app = budi
    picker = _password(client, "ani", password)
    assert led_to(picker) == "/security/challenge/"
    _password(client, "budi", password)
    answer = client.post(RESTART, _form_of(picker.text, RESTART))
    assert answer["Location"] == "/accounts/login/"
    assert led_to(client.post("/security/challenge/totp/", {"code": budi_app.now()})) == (
        "/security/challenge/confirm/"
    )


def test_the_username_pages_not_you_still_ends_whatever_is_under_way(client, user):
    """The username page is step 1 itself (its copy of step 2 names no sign-in yet): its
    "Not you?" posts no mark and ends the sign-in under way, as before."""
    post_username(client, "ani")
    page = client.get("/accounts/login/").text
    assert _form_of(page, RESTART) == {}
    client.post(RESTART, _form_of(page, RESTART))
    assert led_to(client.get("/accounts/login/method/")) == "/accounts/login/"


def post_username_page(client, username: str) -> str:
    """Next with ``username``: the method page (shown in place), as its HTML."""
    return post_username(client, username).text
