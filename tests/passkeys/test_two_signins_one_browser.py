"""Two sign-ins in one browser, with a passkey: a tab left open at ani's passkey step (Sign in
with passkey, its Confirm and Continue, the passkey as her second factor) while budi's sign-in
began in another tab. The old page posts whose sign-in it was shown for (the mark of
accounts.signin.flows), as the challenge pages do (tests/mfa/test_two_signins_one_browser.py):
it neither asks for, answers nor confirms budi's sign-in, which goes on untouched."""

import json
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.models import AuditEvent
from mfa.passkeys.signin import VERIFIED_SESSION_KEY
from tests.conftest import led_to, post_username, prove_account_email, sign_in
from tests.passkeys.authenticator import SoftAuthenticator
from tests.passkeys.conftest import SIGNIN_OPTIONS, SIGNIN_VERIFY, post_json, register

pytestmark = pytest.mark.django_db

SIGNIN_PAGE = "/security/passkeys/signin/"
CONFIRM = "/security/passkeys/signin/confirm/"
SECOND_FACTOR_OPTIONS = "/security/passkeys/challenge/options/"
SECOND_FACTOR_PAGE = "/security/challenge/passkey/"
LOGIN = "/accounts/login/"
PASSWORD_PAGE = "/accounts/login/password/"
ENDED = "The sign-in on that page has ended: another began in this browser."


@pytest.fixture
def budi_key(make_user, password) -> SoftAuthenticator:
    """Budi, with a passkey of his own on another device (registered in another browser)."""
    make_user("budi")
    elsewhere = Client()
    assert led_to(sign_in(elsewhere, "budi", password)) == "/"
    prove_account_email(elsewhere)
    key = SoftAuthenticator()
    assert register(elsewhere, key, name="Budi's phone").status_code == 200
    return key


def _mark_on(page: str) -> str:
    """The mark the Sign in with passkey page's script posts (data-signin)."""
    return re.search(r'data-signin="([^"]*)"', page).group(1)


def _form_mark(page: str) -> str:
    """The mark in the page's form (accounts/_page_mark.html)."""
    return re.search(r'<input type="hidden" name="signin" value="([^"]*)"', page).group(1)


def _passkey_page(client, username: str) -> str:
    post_username(client, username)
    return client.get(SIGNIN_PAGE).text


def _options(client, mark: str):
    return post_json(client, SIGNIN_OPTIONS, {"mode": "username", "signin": mark})


def _verify(client, answer: dict, mark: str):
    return post_json(client, SIGNIN_VERIFY, {"credential": answer, "next": "", "signin": mark})


def _refused_as_ended(response) -> None:
    """The JSON answer to a step of another sign-in's page: the challenge pages' message,
    and the script sent to the username page, which says it too."""
    assert response.status_code == 400
    assert response.json()["error"] == "another_signin"
    assert response.json()["message"].startswith(ENDED)
    assert response.json()["redirect"] == LOGIN


def _passkey_events() -> int:
    return AuditEvent.objects.filter(kind="signin.passkey").count()


def test_a_passkey_answered_on_the_previous_persons_page_does_not_end_the_next_ones_signin(
    client, user, registered, budi_key
):
    ani_mark = _mark_on(_passkey_page(client, "ani"))
    ani_options = _options(client, ani_mark).json()
    budi_mark = _mark_on(_passkey_page(client, "budi"))
    assert budi_mark != ani_mark
    budi_options = _options(client, budi_mark).json()
    events = _passkey_events()
    # Back in ani's tab: her device answers her page's request.
    answer = _verify(client, registered.get(ani_options), ani_mark)
    _refused_as_ended(answer)
    assert ENDED in client.get(LOGIN).text
    assert _passkey_events() == events  # nothing verified, nothing recorded
    assert VERIFIED_SESSION_KEY not in client.session and SESSION_KEY not in client.session
    # Budi's sign-in is untouched: his open request still signs him in.
    verified = _verify(client, budi_key.get(budi_options), budi_mark)
    assert verified.status_code == 200
    assert led_to(client.post(CONFIRM, {"signin": _form_mark(client.get(CONFIRM).text)})) == "/"
    assert client.session[SESSION_KEY] != str(user.pk)


def test_a_passkey_answered_on_the_previous_persons_page_is_not_held_for_the_next_name(
    client, user, registered, make_user
):
    """Budi has only typed his name: ani's passkey, answered on her page, is not verified
    (its Confirm and Continue would have ended budi's sign-in and signed ani in)."""
    make_user("budi")
    ani_mark = _mark_on(_passkey_page(client, "ani"))
    ani_options = _options(client, ani_mark).json()
    post_username(client, "budi")
    _refused_as_ended(_verify(client, registered.get(ani_options), ani_mark))
    assert VERIFIED_SESSION_KEY not in client.session
    assert client.post(CONFIRM)["Location"] == LOGIN and SESSION_KEY not in client.session
    assert "Signing in as <strong>budi</strong>" in client.get(SIGNIN_PAGE).text


def test_continue_on_the_previous_persons_page_leaves_the_next_ones_request_open(
    client, user, registered, budi_key
):
    ani_mark = _mark_on(_passkey_page(client, "ani"))
    budi_mark = _mark_on(_passkey_page(client, "budi"))
    budi_options = _options(client, budi_mark).json()
    # Continue on ani's page: no request for budi's sign-in, none replacing his.
    _refused_as_ended(_options(client, ani_mark))
    assert _verify(client, budi_key.get(budi_options), budi_mark).status_code == 200


def test_the_same_persons_passkey_page_in_another_spelling_still_answers(client, user, registered):
    """Back, then the same name in another spelling (the same sign-in, accounts.usernames):
    the first page is still this sign-in's."""
    first = _mark_on(_passkey_page(client, "ani"))
    assert _mark_on(_passkey_page(client, "ANI")) == first
    options = _options(client, first).json()
    assert _verify(client, registered.get(options), first).status_code == 200


def test_the_mark_of_the_passkey_page_tells_no_one_whether_the_name_has_an_account(
    client, user, registered, settings
):
    """A keyed digest of the typed name: the same shape for a name without an account, and
    no one without the portal's key can tell which name it is."""
    known = _mark_on(_passkey_page(client, "ani"))
    unknown = _mark_on(_passkey_page(client, "nobody"))
    assert re.fullmatch("[0-9a-f]{16}", known) and re.fullmatch("[0-9a-f]{16}", unknown)
    assert known != unknown
    # The old key still opens the session (the database engine signs its data), not the mark.
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another key " * 5
    assert _mark_on(client.get(SIGNIN_PAGE).text) not in (known, unknown)


def test_confirm_and_continue_of_the_previous_persons_passkey_signs_no_one_in(
    client, user, registered, budi_key
):
    ani_mark = _mark_on(_passkey_page(client, "ani"))
    _verify(client, registered.get(_options(client, ani_mark).json()), ani_mark)
    ani_confirm = client.get(CONFIRM).text
    assert "Signing in as <strong>ani</strong>" in ani_confirm
    budi_mark = _mark_on(_passkey_page(client, "budi"))
    _verify(client, budi_key.get(_options(client, budi_mark).json()), budi_mark)
    # Ani's Confirm and Continue, posted from her tab.
    answer = client.post(CONFIRM, {"signin": _form_mark(ani_confirm)})
    assert answer.status_code == 302 and answer["Location"] == LOGIN
    assert ENDED in client.get(LOGIN).text
    assert SESSION_KEY not in client.session
    # Budi's Confirm and Continue is still his to press.
    budi_confirm = client.get(CONFIRM).text
    assert "Signing in as <strong>budi</strong>" in budi_confirm
    assert led_to(client.post(CONFIRM, {"signin": _form_mark(budi_confirm)})) == "/"
    assert client.session[SESSION_KEY] != str(user.pk)


def test_the_refusal_speaks_bahasa_indonesia(client, user, registered, budi_key):
    ani_mark = _mark_on(_passkey_page(client, "ani"))
    _passkey_page(client, "budi")
    answer = client.post(
        SIGNIN_OPTIONS,
        json.dumps({"mode": "username", "signin": ani_mark}),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="id",
    )
    assert answer.json()["message"].startswith("Proses masuk di halaman itu telah berakhir")


def test_a_mark_of_another_type_is_refused_not_a_500(client, user, registered):
    _passkey_page(client, "ani")
    for mark in (5, [], {"a": 1}):
        _refused_as_ended(_options(client, mark))


def test_the_passkey_as_the_previous_persons_second_factor_asks_nothing_for_the_next(
    client, user, password, registered, budi_key
):
    """Ani's passkey challenge page (after her password) left open; budi's password reaches
    his. Use passkey on ani's page neither asks for a request for budi's account nor ends
    the one his page opened, and no wrong answer is counted against him."""
    ani_page = client.post(PASSWORD_PAGE, {"username": "ani", "password": password})
    assert led_to(ani_page) == SECOND_FACTOR_PAGE
    budi_page = client.post(PASSWORD_PAGE, {"username": "budi", "password": password})
    assert led_to(budi_page) == SECOND_FACTOR_PAGE
    ani_mark, budi_mark = _form_mark(ani_page.text), _form_mark(budi_page.text)
    assert ani_mark != budi_mark
    budi_options = post_json(client, SECOND_FACTOR_OPTIONS, {"signin": budi_mark}).json()
    # Use passkey on ani's page.
    _refused_as_ended(post_json(client, SECOND_FACTOR_OPTIONS, {"signin": ani_mark}))
    failures = AuditEvent.objects.filter(result="failure").count()
    answer = {"signin": budi_mark, "credential": json.dumps(budi_key.get(budi_options))}
    assert led_to(client.post(SECOND_FACTOR_PAGE, answer)) == "/security/challenge/confirm/"
    assert AuditEvent.objects.filter(result="failure").count() == failures


def test_not_you_on_the_previous_persons_passkey_pages_leaves_the_next_ones_passkey(
    client, user, registered, budi_key
):
    """ "Not you?" on ani's Sign in with passkey page, or on her Confirm and Continue, after
    budi's passkey was verified in another tab: budi's Confirm and Continue is still his."""
    restart = "/accounts/login/restart/"
    ani_page = _passkey_page(client, "ani")
    ani_mark = _mark_on(ani_page)
    _verify(client, registered.get(_options(client, ani_mark).json()), ani_mark)
    ani_confirm = client.get(CONFIRM).text
    budi_mark = _mark_on(_passkey_page(client, "budi"))
    _verify(client, budi_key.get(_options(client, budi_mark).json()), budi_mark)
    for page in (ani_page, ani_confirm):
        answer = client.post(restart, {"signin": _restart_mark(page)})
        assert answer["Location"] == LOGIN
    budi_confirm = client.get(CONFIRM).text
    assert "Signing in as <strong>budi</strong>" in budi_confirm
    assert led_to(client.post(CONFIRM, {"signin": _form_mark(budi_confirm)})) == "/"


def _restart_mark(page: str) -> str:
    """The mark of the page's "Not you?" form."""
    form = page[page.index('action="/accounts/login/restart/"') :].split("</form>")[0]
    return _form_mark(form)


def _usernameless(client, key: SoftAuthenticator) -> None:
    """The username page's own passkey button: no name typed, the passkey says whose."""
    options = post_json(client, SIGNIN_OPTIONS, {"mode": "discoverable"}).json()
    assert post_json(client, SIGNIN_VERIFY, {"credential": key.get(options)}).status_code == 200


def test_not_you_on_a_usernameless_confirm_leaves_the_next_persons_passkey(
    client, user, registered, budi_key
):
    """Ani's Confirm and Continue of a passkey chosen without typing a name, left open in a
    tab, while budi's passkey (also without a name) was verified in another: her "Not you?"
    forgot his verified passkey, though no name was typed to tell the two apart."""
    restart = "/accounts/login/restart/"
    _usernameless(client, registered)
    ani_confirm = client.get(CONFIRM).text
    assert "Signing in as <strong>ani</strong>" in ani_confirm
    _usernameless(client, budi_key)
    answer = client.post(restart, {"signin": _restart_mark(ani_confirm)})
    assert answer["Location"] == LOGIN
    assert ENDED in client.get(LOGIN).text
    budi_confirm = client.get(CONFIRM).text
    assert "Signing in as <strong>budi</strong>" in budi_confirm
    assert led_to(client.post(CONFIRM, {"signin": _form_mark(budi_confirm)})) == "/"
    assert client.get("/").context["user"].username == "budi"


def test_not_you_on_a_typed_names_page_leaves_a_usernameless_passkey_verified_since(
    client, user, registered, make_user
):
    """Budi's method page (his name typed) left open in a tab, while ani chose her passkey on
    the username page in another: his "Not you?" ended her sign-in, verified passkey and all,
    because it still carried the mark of the sign-in under way (his typed name)."""
    make_user("budi")
    post_username(client, "budi")
    budi_page = client.get("/accounts/login/method/").text
    _usernameless(client, registered)
    answer = client.post("/accounts/login/restart/", {"signin": _restart_mark(budi_page)})
    assert answer["Location"] == LOGIN
    ani_confirm = client.get(CONFIRM).text
    assert "Signing in as <strong>ani</strong>" in ani_confirm
    assert led_to(client.post(CONFIRM, {"signin": _form_mark(ani_confirm)})) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_a_usernameless_passkey_while_signed_in_leaves_a_step_up_under_way(
    client, user, registered
):
    """Signed in, with a step-up under way in one tab, a username page left open in another
    answers with a passkey: it signs no one in (step 1's rule) and begins no sign-in, so the
    step-up's challenge is still there."""
    from mfa.challenge.pending import PENDING_SESSION_KEY

    client.force_login(user)
    assert led_to(client.get("/security/step-up/", {"next": "/"})).startswith("/security/")
    assert client.session[PENDING_SESSION_KEY]["step_up"]
    _usernameless(client, registered)
    assert client.session[PENDING_SESSION_KEY]["step_up"]
    assert client.post(CONFIRM)["Location"] == LOGIN  # which leads the signed-in Home
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[PENDING_SESSION_KEY]["step_up"]


def _username_page_mark(client) -> dict[str, str]:
    """What the username page's own passkey button (and its autofill) posts with each step, as
    its script reads it from the box (data-signin): the mark of the sign-in under way when the
    page was shown. {} when the box names none."""
    page = client.get(LOGIN).text
    box = re.search(r'<div class="passkey-usernameless"[^>]*>', page).group(0)
    found = re.search(r'data-signin="([^"]*)"', box)
    return {"signin": found.group(1)} if found else {}


def _usernameless_options(client, mark: dict[str, str]):
    return post_json(client, SIGNIN_OPTIONS, {"mode": "discoverable", **mark})


def _usernameless_verify(client, answer: dict, mark: dict[str, str]):
    return post_json(client, SIGNIN_VERIFY, {"credential": answer, "next": "", **mark})


def test_a_passkey_chosen_on_a_username_page_from_before_the_next_name_is_not_held(
    client, user, registered, make_user
):
    """Ani's username page, shown before anyone's sign-in began, has its passkey request open
    (the button's dialog, or autofill as the page loads); budi types his name in another tab.
    Her device's answer is not verified: it would have ended budi's sign-in, and its Confirm
    and Continue signed ani in."""
    make_user("budi")
    ani_page = _username_page_mark(client)
    options = _usernameless_options(client, ani_page).json()
    post_username(client, "budi")
    events = _passkey_events()
    _refused_as_ended(_usernameless_verify(client, registered.get(options), ani_page))
    assert ENDED in client.get(LOGIN).text
    assert _passkey_events() == events
    assert VERIFIED_SESSION_KEY not in client.session
    assert client.post(CONFIRM)["Location"] == LOGIN and SESSION_KEY not in client.session
    assert "Signing in as <strong>budi</strong>" in client.get(SIGNIN_PAGE).text


def test_a_passkey_chosen_on_a_username_page_from_before_leaves_the_next_ones_confirm(
    client, user, registered, make_user, password
):
    """Budi's password and code reach his Confirm and Continue in another tab while ani's
    username page still has its passkey request open: her answer neither ends his sign-in nor
    takes its place, and his Confirm and Continue signs him in."""
    from base64 import b32encode

    import pyotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    budi = make_user("budi")
    device = TOTPDevice.objects.create(user=budi, name="Authenticator", confirmed=True)
    budi_app = pyotp.TOTP(b32encode(device.bin_key).decode())
    ani_page = _username_page_mark(client)
    options = _usernameless_options(client, ani_page).json()
    client.post(PASSWORD_PAGE, {"username": "budi", "password": password})
    budi_confirm = client.post("/security/challenge/totp/", {"code": budi_app.now()})
    assert led_to(budi_confirm) == "/security/challenge/confirm/"
    _refused_as_ended(_usernameless_verify(client, registered.get(options), ani_page))
    answer = client.post(
        "/security/challenge/confirm/", {"signin": _form_mark(budi_confirm.text), "remember": ""}
    )
    assert led_to(answer) == "/"
    assert client.session[SESSION_KEY] == str(budi.pk)


def test_the_passkey_button_of_a_username_page_from_before_leaves_the_next_ones_request(
    client, user, registered, budi_key
):
    """Sign in with a passkey on a username page left open while budi's passkey page asked
    for his: no request is issued in place of his, which his device still answers."""
    ani_page = _username_page_mark(client)
    budi_mark = _mark_on(_passkey_page(client, "budi"))
    budi_options = _options(client, budi_mark).json()
    _refused_as_ended(_usernameless_options(client, ani_page))
    assert _verify(client, budi_key.get(budi_options), budi_mark).status_code == 200


def test_a_username_page_shown_during_a_sign_in_may_still_begin_another_with_a_passkey(
    client, user, registered, make_user
):
    """Step 1 shown again while budi's sign-in is under way (Back to the username page): a
    passkey chosen there is step 1 itself, as a name typed there, and begins ani's sign-in."""
    make_user("budi")
    post_username(client, "budi")
    step_one = _username_page_mark(client)
    options = _usernameless_options(client, step_one).json()
    assert _usernameless_verify(client, registered.get(options), step_one).status_code == 200
    ani_confirm = client.get(CONFIRM).text
    assert "Signing in as <strong>ani</strong>" in ani_confirm
    assert led_to(client.post(CONFIRM, {"signin": _form_mark(ani_confirm)})) == "/"
    assert client.session[SESSION_KEY] == str(user.pk)


def test_a_passkey_verified_while_someone_was_signed_in_does_not_meet_a_fresh_sign_in_asked_since(
    client, user, registered, make_user, password
):
    """Budi is signed in on this computer; ani's passkey, chosen on a username page left open
    from before, is verified but begins no sign-in (step 1's rule). Then budi's app asks for
    a fresh sign-in (prompt=login) in another tab. Ani's Confirm and Continue belongs to no
    sign-in under way: it neither signs budi out nor answers his app with ani."""
    from urllib.parse import urlencode

    from sso.oidc.models import Application

    budi = make_user("budi")
    Application.objects.create(
        name="Relying App", client_id="relying-app", skip_authorization=True,
        client_type=Application.CLIENT_CONFIDENTIAL, redirect_uris="https://rp.example.test/cb",
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.NO_ALGORITHM,
    )  # fmt: skip
    ani_page = _username_page_mark(client)
    options = _usernameless_options(client, ani_page).json()
    assert led_to(sign_in(client, "budi", password)) == "/"
    assert _usernameless_verify(client, registered.get(options), ani_page).status_code == 200
    ani_confirm = client.get(CONFIRM).text
    assert "Signing in as <strong>ani</strong>" in ani_confirm
    authorize = "/o/authorize/?" + urlencode({
        "response_type": "code", "client_id": "relying-app", "scope": "openid",
        "redirect_uri": "https://rp.example.test/cb", "state": "s", "prompt": "login",
    })  # fmt: skip
    asked = client.get(authorize)
    assert asked["Location"].startswith(LOGIN), asked["Location"]
    answer = client.post(CONFIRM, {"signin": _form_mark(ani_confirm)})
    assert answer.status_code == 302 and answer["Location"] == LOGIN
    assert client.session[SESSION_KEY] == str(budi.pk)
    assert client.get(authorize)["Location"].startswith(LOGIN)  # still waiting for budi
