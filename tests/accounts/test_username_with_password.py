"""Step 2 shown on the username page without a request (portal.js): the password is posted
with the username typed there, and that is step 1 done at once (accounts.signin.views)."""

import re

import pytest
from django.contrib.auth import SESSION_KEY

from accounts.models import AuditEvent
from accounts.signin.flows import SIGNIN_SESSION_KEY
from mfa.challenge.pending import PENDING_SESSION_KEY
from tests.conftest import led_to, post_username, sign_in

pytestmark = pytest.mark.django_db

PASSWORD_PAGE = "/accounts/login/password/"


def with_username(client, username: str, password: str, next_url: str = ""):
    """What the username page's copy of the password form posts: the typed name with it."""
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(PASSWORD_PAGE, data)


def test_the_username_page_holds_step_2_with_the_password_form(client):
    page = client.get("/accounts/login/").text
    step = page[page.index('id="method-step"') :]
    assert "Signing in as" in step
    assert 'href="#password-step"' in step and "Sign in with password" in step
    assert f'action="{PASSWORD_PAGE}"' in step
    # The passkey choice posts the typed name first (the passkey page needs it).
    assert re.search(r'href="/security/passkeys/signin/" data-posts-username="username-form"', step)
    assert 'id="username-form"' in page and 'data-reveals="method-step"' in page


def test_username_and_password_in_one_post_sign_in(client, user, password):
    response = with_username(client, "ani", password)
    assert response.status_code == 200
    assert led_to(response) == "/"
    assert "Welcome, Ani" in response.text
    assert client.session[SESSION_KEY] == str(user.pk)


def test_the_code_page_follows_for_someone_with_a_factor(client, user, password, phone):
    response = with_username(client, "ani", password)
    assert led_to(response) == "/security/challenge/totp/"
    assert SESSION_KEY not in client.session


def test_a_wrong_password_names_the_typed_user_and_counts(client, user):
    response = with_username(client, "ani", "not the password at all")
    assert led_to(response) == ""
    assert "Wrong username or password." in response.text
    assert "Signing in as <strong>ani</strong>" in response.text
    assert AuditEvent.objects.filter(kind="signin.password", user=user).exists()


def test_the_next_address_comes_with_the_password(client, user, password):
    response = with_username(client, "ani", password, next_url="/security/")
    assert led_to(response) == "/security/"


def test_another_name_than_the_half_done_sign_in_is_that_persons_sign_in(
    client, make_user, password, phone
):
    """The previous person's code answered, then another person types their name and
    password on the username page: they sign in as themselves, and nothing of the previous
    sign-in is left to confirm."""
    budi = make_user("budi")
    to_code = sign_in(client, "ani", password)
    assert led_to(to_code) == "/security/challenge/totp/"
    answered = client.post(led_to(to_code), {"code": phone.now()})
    assert led_to(answered) == "/security/challenge/confirm/"
    response = with_username(client, "budi", password)
    assert led_to(response) == "/"
    assert client.session[SESSION_KEY] == str(budi.pk)
    assert client.session.get(SIGNIN_SESSION_KEY) is None
    # Ani's answered challenge is gone: Confirm and Continue has nothing to confirm.
    assert PENDING_SESSION_KEY not in client.session


def test_a_name_that_is_not_a_username_starts_again_without_a_guess(client, user, password):
    post_username(client, "ani")
    response = with_username(client, "x" * 151, password)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert SESSION_KEY not in client.session  # not Ani's password checked for another name
    assert not AuditEvent.objects.filter(kind="signin.password").exists()


def test_the_same_name_as_the_sign_in_under_way_keeps_it(client, user, password):
    """The method page's password form posts the name it shows: nothing begins again."""
    post_username(client, "ani", next_url="/security/")
    started = client.session[SIGNIN_SESSION_KEY]["started"]
    response = with_username(client, "ani", "wrong password here")
    assert led_to(response) == ""
    assert client.session[SIGNIN_SESSION_KEY]["started"] == started
    assert led_to(with_username(client, "ani", password)) == "/security/"


def test_the_passkey_choice_posts_the_name_and_shows_the_passkey_page(client, user):
    response = client.post("/accounts/login/", {"username": "ani", "method": "passkey"})
    assert response.status_code == 200
    assert led_to(response) == "/security/passkeys/signin/"
    assert client.session[SIGNIN_SESSION_KEY]["username"] == "ani"


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("x" * 151, "Ensure this value has at most 150 characters (it has 151)."),
        ("   ", "This field is required."),
    ],
)
def test_a_name_that_is_not_a_username_is_said_so_on_the_username_page(
    client, user, password, typed, reason
):
    """Posted by hand or by a script that let it through: the username page says what was
    wrong with the name, as Next would have, instead of showing itself again without a word."""
    response = client.post(PASSWORD_PAGE, {"username": typed, "password": password}, follow=True)
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert f"The username typed is not valid: {reason}" in response.text
    assert SESSION_KEY not in client.session


def test_the_reason_is_said_in_indonesian(client, user, password):
    response = client.post(
        PASSWORD_PAGE,
        {"username": "x" * 151, "password": password},
        HTTP_ACCEPT_LANGUAGE="id",
        follow=True,
    )
    assert "Nama pengguna yang diketik tidak valid: " in response.text


def test_the_next_address_posted_with_the_same_name_is_the_one_followed(client, user, password):
    """A wrong password left this name's sign-in under way with where it was going then; the
    username page opened again for another address (another app's sign-in) posts that one with
    the name: the sign-in goes there, as Next would have taken it, not to the earlier one."""
    refused = with_username(client, "ani", "not the password at all", next_url="/security/")
    assert "Wrong username or password." in refused.text
    response = with_username(client, "ani", password, next_url="/accounts/profile/")
    assert led_to(response) == "/accounts/profile/"


@pytest.mark.parametrize("by_next", [False, True], ids=["with the password", "by Next"])
def test_another_person_does_not_go_where_the_previous_one_was_going(
    client, make_user, password, by_next
):
    """Ani's sign-in, left with a wrong password, was on its way to an app; Budi, at the same
    browser, opens the username page by its own address (no next) and signs in: he goes Home,
    not to Ani's app (where his code would go to an app he never asked for)."""
    make_user("budi")
    with_username(client, "ani", "not the password at all", next_url="/security/")
    if by_next:
        post_username(client, "budi")
        response = client.post(PASSWORD_PAGE, {"password": password})
    else:
        response = with_username(client, "budi", password)
    assert led_to(response) == "/"


def test_a_signed_in_person_is_not_signed_in_as_another_by_the_password_post(
    client, make_user, password
):
    """Step 1 done with the password meets step 1's rule: someone signed in, with no fresh
    sign-in asked for (prompt=login, max_age), is led Home as by the username page, not
    signed out and in as the name posted (a tab of the username page left open)."""
    ani = make_user("ani")
    make_user("budi")
    client.force_login(ani)
    response = with_username(client, "budi", password)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(ani.pk)
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == "/"
    assert not AuditEvent.objects.filter(kind="signin.password").exists()


def test_a_refused_answer_is_reloaded_as_a_get(client, user, password, phone):
    """A wrong password or code is answered with the step's page marked for portal.js to make
    the history entry a GET: a reload must not post the wrong answer (one more failure)."""
    refused = with_username(client, "ani", "not the password at all")
    assert "<body data-reload-as-get>" in refused.text
    code_page = with_username(client, "ani", password)
    assert "data-reload-as-get" not in code_page.text
    wrong_code = client.post(led_to(code_page), {"code": "000000"})
    assert "<body data-reload-as-get>" in wrong_code.text
