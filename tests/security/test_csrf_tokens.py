"""The CSRF tokens of the portal's pages (sso/csrf.py, sso/crypto.py): drawn in one system
call, and still exactly Django's tokens: a form's token is accepted, a changed one refused,
each response masks the secret anew, and every character of the alphabet is used."""

import re
from collections import Counter

import pytest
from django.middleware import csrf
from django.test import Client

from sso.crypto import _byte_table, random_string
from sso.csrf import mask_cipher_secret, unmask_cipher_token
from tests.conftest import led_to

TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_token(page) -> str:  # type: ignore[no-untyped-def]
    return TOKEN_FIELD.search(page.text).group(1)


@pytest.mark.parametrize(
    "alphabet", [csrf.CSRF_ALLOWED_CHARS, "abcdefghijklmnopqrstuvwxyz0123456789"]
)
def test_every_character_is_reached_by_as_many_bytes(alphabet):
    """The byte table behind random_string gives each character the same number of byte
    values (uniform odds) and drops the rest."""
    table, dropped = _byte_table(alphabet)
    kept = bytes(b for b in range(256) if b not in dropped)
    counts = Counter(bytes(kept).translate(table, dropped).decode())
    assert set(counts) == set(alphabet)
    assert set(counts.values()) == {256 // len(alphabet)}


def test_random_strings_use_the_whole_alphabet_and_only_it():
    drawn = [random_string(32, csrf.CSRF_ALLOWED_CHARS) for _ in range(2000)]
    assert {len(text) for text in drawn} == {32}
    assert set("".join(drawn)) == set(csrf.CSRF_ALLOWED_CHARS)
    assert len(set(drawn)) == len(drawn)


def test_an_alphabet_with_a_repeated_character_is_refused():
    with pytest.raises(ValueError):
        random_string(8, "aab")


def test_a_pages_token_is_accepted_and_a_changed_one_refused(db):
    browser = Client(enforce_csrf_checks=True)
    token = form_token(browser.get("/accounts/login/"))
    assert len(token) == csrf.CSRF_TOKEN_LENGTH
    assert set(token) <= set(csrf.CSRF_ALLOWED_CHARS)
    changed = token[:-1] + ("a" if token[-1] != "a" else "b")
    refused = browser.post("/accounts/login/", {"username": "ani", "csrfmiddlewaretoken": changed})
    assert refused.status_code == 403
    accepted = browser.post("/accounts/login/", {"username": "ani", "csrfmiddlewaretoken": token})
    assert led_to(accepted) == "/accounts/login/method/"


def test_each_response_masks_the_same_secret_anew(db):
    """As Django does against BREACH: a new mask per page, the cookie's secret unchanged."""
    browser = Client(enforce_csrf_checks=True)
    first = browser.get("/accounts/login/")
    secret = first.cookies["csrftoken"].value
    tokens = [form_token(first)] + [form_token(browser.get("/accounts/login/")) for _ in range(3)]
    assert len(set(tokens)) == len(tokens)
    assert {csrf._unmask_cipher_token(token) for token in tokens} == {secret}
    assert browser.cookies["csrftoken"].value == secret
    assert csrf._mask_cipher_secret is mask_cipher_secret  # the pages used sso.csrf's masking


def djangos_masking(secret: str, mask: str) -> str:
    """Django's _mask_cipher_secret with a given mask (django/middleware/csrf.py)."""
    chars = csrf.CSRF_ALLOWED_CHARS
    pairs = zip((chars.index(x) for x in secret), (chars.index(x) for x in mask), strict=True)
    return mask + "".join(chars[(x + y) % len(chars)] for x, y in pairs)


def test_tokens_unmask_to_their_secret_as_djangos_do():
    for _ in range(500):
        secret = random_string(csrf.CSRF_SECRET_LENGTH, csrf.CSRF_ALLOWED_CHARS)
        mask = random_string(csrf.CSRF_SECRET_LENGTH, csrf.CSRF_ALLOWED_CHARS)
        assert unmask_cipher_token(djangos_masking(secret, mask)) == secret
        token = mask_cipher_secret(secret)
        assert token == djangos_masking(secret, token[: csrf.CSRF_SECRET_LENGTH])
