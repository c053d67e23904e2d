"""Every page is complete in Bahasa Indonesia (issue 9, item 3).

Each page is rendered twice with Django's test client, once for a browser asking for English
and once for one asking for Indonesian. A text that appears the same in both is English left
untranslated, unless the catalogue itself keeps it as is (Email, Passkeys, Authenticator...) or
it is the person's own data (username, address). This also catches text that was never marked
for translation, which the catalogue check below cannot see.
"""

import re
import shutil
import subprocess
from base64 import b32encode
from html.parser import HTMLParser
from pathlib import Path

import pyotp
import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from mfa.models import EmailDevice
from mfa.tabs import installed_tabs

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.po"
# Read by people in their own words, or names that stay as they are in both languages.
KEPT = {"SSO Portal", "English", "Bahasa Indonesia", "OpenID Connect", "AAGUID", "Ani", "ani"}
TWO_WORDS = re.compile(r"[A-Za-z]{2,}[\s,.:;!?'\u2019]+[A-Za-z]{2,}")
SEEN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class _Texts(HTMLParser):
    """The texts a person reads or hears on a page (text nodes and accessible attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style", "code", "svg"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in SEEN_ATTRIBUTES or name.startswith("data-countdown-")):
                self.texts.add(value.strip())
            if name == "data-copied" and value:
                self.texts.add(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "svg") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        for part in " ".join(data.split()).split(" · "):  # e.g. "<page> · <site>" in titles
            if part:
                self.texts.add(part)


def texts_of(html: str) -> set[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def catalogue() -> dict[str, str]:
    """msgid → msgstr of the Indonesian catalogue (plural forms by their singular)."""
    entries: dict[str, str] = {}
    text = CATALOGUE.read_text()
    for block in text.split("\n\n"):
        if "#, fuzzy" in block:
            continue
        msgid = _field(block, "msgid")
        msgstr = _field(block, "msgstr") or _field(block, r"msgstr\[0\]")
        if msgid:
            entries[msgid] = msgstr
    return entries


def _field(block: str, name: str) -> str:
    match = re.search(rf'^{name} ((?:".*"\n?)+)', block, re.MULTILINE)
    if not match:
        return ""
    return "".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"')


def untranslated_on(client: Client, url: str, method: str = "get", data=None) -> set[str]:
    send = getattr(client, method)
    english = send(url, data or {}, HTTP_ACCEPT_LANGUAGE="en")
    indonesian = send(url, data or {}, HTTP_ACCEPT_LANGUAGE="id")
    assert indonesian.status_code < 500, url
    assert indonesian.headers.get("Content-Language") == "id", url
    kept_by_catalogue = {msgid for msgid, msgstr in catalogue().items() if msgid == msgstr}
    same = texts_of(english.content.decode()) & texts_of(indonesian.content.decode())
    msgids = set(catalogue())
    return {
        text
        for text in same
        if text not in KEPT
        and text not in kept_by_catalogue
        and "@" not in text
        and (text in msgids or TWO_WORDS.search(text))
    }


@pytest.fixture
def signed_in(client, make_user, password) -> Client:
    """Ani with every factor the portal keeps itself, signed in with the code of her app."""
    ani = make_user("ani")
    device = TOTPDevice.objects.create(user=ani, name="Authenticator", confirmed=True)
    EmailDevice.objects.create(user=ani, name="Email", email="ani@example.com", confirmed=True)
    client.post("/accounts/login/", {"username": "ani"})
    client.post("/accounts/login/password/", {"password": password})
    client.post("/security/challenge/", {"method": "totp"})
    code = pyotp.TOTP(b32encode(device.bin_key).decode()).now()
    client.post("/security/challenge/totp/", {"code": code})
    client.post("/security/challenge/confirm/", {"remember": "on"})
    return client


def _urls(*names: str) -> list[str]:
    urls = []
    for name in names:
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    return urls


def test_the_catalogue_has_no_untranslated_or_fuzzy_entry():
    # gettext is needed by `make` itself (compilemessages), so it is always here.
    assert shutil.which("msgattrib"), "gettext (msgattrib) is not installed"
    for flag in ("--untranslated", "--only-fuzzy"):
        result = subprocess.run(
            ["msgattrib", flag, "--no-obsolete", str(CATALOGUE)],
            capture_output=True,
            text=True,
            check=True,
        )
        msgids = re.findall(r'^msgid "(.+)"$', result.stdout, re.MULTILINE)
        assert not msgids, f"{flag} in {CATALOGUE}: {msgids}"


def test_sign_in_pages_are_in_indonesian(client, make_user, password):
    make_user("ani")
    pages = ["/accounts/login/", "/accounts/password/forgot/", "/accounts/password/forgot/sent/"]
    pages += ["/accounts/password/reset/MQ/bad-token/", "/no-such-page/"]
    found = {url: untranslated_on(client, url) for url in pages}
    client.post("/accounts/login/", {"username": "ani"})
    found["method"] = untranslated_on(client, "/accounts/login/method/")
    found["password"] = untranslated_on(client, "/accounts/login/password/")
    found["wrong password"] = untranslated_on(
        client, "/accounts/login/password/", "post", {"password": "wrong password here"}
    )
    assert not {url: texts for url, texts in found.items() if texts}


def test_challenge_pages_are_in_indonesian(client, make_user, password):
    ani = make_user("ani")
    TOTPDevice.objects.create(user=ani, name="Authenticator", confirmed=True)
    EmailDevice.objects.create(user=ani, name="Email", email="ani@example.com", confirmed=True)
    client.post("/accounts/login/", {"username": "ani"})
    client.post("/accounts/login/password/", {"password": password})
    found = {"picker": untranslated_on(client, "/security/challenge/")}
    client.post("/security/challenge/", {"method": "email"})
    for slug in ("totp", "email", "recovery"):
        url = f"/security/challenge/{slug}/"
        found[url] = untranslated_on(client, url)
    found["wrong code"] = untranslated_on(
        client, "/security/challenge/totp/", "post", {"code": "12345"}
    )
    assert not {url: texts for url, texts in found.items() if texts}


def test_enrolment_page_is_in_indonesian(client, make_user, password):
    make_user("admin", is_staff=True)
    client.post("/accounts/login/", {"username": "admin"})
    client.post("/accounts/login/password/", {"password": password})
    assert not untranslated_on(client, "/security/setup/")


def test_rollout_reminder_home_and_setup_are_in_indonesian(client, make_user, password):
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from mfa.rollout.models import GroupPolicy

    group = Group.objects.create(name="Finance")
    GroupPolicy.objects.create(
        group=group, level="required", deadline=timezone.now() + timedelta(days=10)
    )
    make_user("budi").groups.add(group)
    client.post("/accounts/login/", {"username": "budi"})
    client.post("/accounts/login/password/", {"password": password})
    found = {"reminder": untranslated_on(client, "/security/setup/reminder/?next=/")}
    client.post("/security/setup/reminder/", {"choice": "later", "next": "/"})
    found["home"] = untranslated_on(client, "/")
    found["setup"] = untranslated_on(client, "/security/setup/")
    assert not {url: texts for url, texts in found.items() if texts}


def test_signed_in_pages_are_in_indonesian(signed_in: Client):
    pages = ["/", "/accounts/logout/", "/security/reauth/"]
    pages += [tab["url"] for tab in installed_tabs()]
    pages += _urls("passkeys:register", "accounts:question_settings")
    found = {url: untranslated_on(signed_in, url) for url in pages}
    found["recovery codes"] = untranslated_on(signed_in, "/security/recovery/", "post")
    assert not {url: texts for url, texts in found.items() if texts}


def test_registration_and_invitation_pages_are_in_indonesian(client, settings, make_user):
    import re as regex

    from django.core import mail
    from django.test import TestCase

    from accounts import lifecycle
    from accounts.models import User

    settings.ACCOUNTS_SIGNUP = "domains"
    settings.ACCOUNTS_SIGNUP_DOMAINS = ["example.com"]
    settings.ACCOUNTS_TERMS_URL = "https://example.com/terms"
    form = {"username": "rina", "full_name": "Rina", "email": "rina@other.org",
            "password1": "x", "password2": "y"}  # fmt: skip
    found = {
        "register": untranslated_on(client, "/accounts/register/"),
        "register errors": untranslated_on(client, "/accounts/register/", "post", form),
        "sent": untranslated_on(client, "/accounts/register/sent/"),
        "bad link": untranslated_on(client, "/accounts/register/verify/x/y/"),
        "bad invitation": untranslated_on(client, "/accounts/invitation/x/y/"),
    }
    good = {**form, "email": "rina@example.com", "password1": "a long new passphrase 42",
            "password2": "a long new passphrase 42", "terms": "on"}  # fmt: skip
    invitee = User(username="citra", email="citra@example.com", full_name="Citra")
    invitee.set_unusable_password()
    invitee.save()
    with TestCase.captureOnCommitCallbacks(execute=True):
        Client().post("/accounts/register/", good)
        lifecycle.send_invitation(invitee, actor=None)
    for message in mail.outbox:
        path = regex.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)
        found[path.split("/")[2]] = untranslated_on(client, path)
    assert len(mail.outbox) == 2
    assert not {url: texts for url, texts in found.items() if texts}


def test_profile_pages_are_in_indonesian(signed_in: Client, settings):
    settings.ACCOUNTS_SELF_DELETE = True
    found = {url: untranslated_on(signed_in, url) for url in _urls("accounts:profile")}
    found["delete"] = untranslated_on(signed_in, "/accounts/profile/delete/")
    found["delete wrong"] = untranslated_on(
        signed_in, "/accounts/profile/delete/", "post", {"username": "someone else"}
    )
    assert not {url: texts for url, texts in found.items() if texts}
