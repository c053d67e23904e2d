"""Without JavaScript the passkey buttons cannot run the browser's dialog: each page that has
one says so in a <noscript> note and names the way that works instead; with script the note
is not shown (the browser skips <noscript>), and the page is the same as before."""

import re

from django.urls import reverse

from tests.conftest import post_username


def noscript_notes(response) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", note).strip()
        for note in re.findall(r"<noscript>(.*?)</noscript>", response.text, re.S)
    ]


SIGN_IN = "Passkeys need JavaScript in your browser. Sign in with your password instead."


def test_the_username_page_says_its_passkey_button_needs_script(client, db):
    assert SIGN_IN in noscript_notes(client.get(reverse("accounts:login")))


def test_the_passkey_sign_in_page_says_it_needs_script(client, user):
    post_username(client, "ani")
    assert noscript_notes(client.get(reverse("passkeys:signin"))) == [SIGN_IN]


def test_register_new_device_says_it_needs_script(signed_in):
    assert noscript_notes(signed_in.get(reverse("passkeys:register"))) == [
        "Passkeys need JavaScript in your browser. Turn it on to register this device,"
        " or set up another second factor instead."
    ]
