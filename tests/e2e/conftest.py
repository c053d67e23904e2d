"""The end-to-end suite: Debian's headless Chromium (Playwright) against the live portal.

Every page a test opens is checked by axe-core (from npm, see package.json; `npm ci` in this
folder) and must show no serious or critical accessibility violation, and no
Content-Security-Policy refusal. Tests take the user guide's screenshots (person.IMG).

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
thread with a running loop unless told this is fine, and here it is (the live server runs in
its own thread, the tests only create users and read rows).
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from sso.oidc.keys import new_private_key_pem
from tests.conftest import IN_CI
from tests.e2e.person import Inbox, Person

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser(chromium):
    if not AXE.exists():
        reason = f"{AXE} is missing: run `make e2e-deps` (npm ci in tests/e2e)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return chromium


@pytest.fixture(scope="session")
def rsa_private_key() -> str:
    return new_private_key_pem()


@pytest.fixture(autouse=True)
def e2e_settings(settings, rsa_private_key) -> None:
    """An OIDC signing key of the run's own, http redirect URIs, passkeys on the page's origin."""
    settings.OAUTH2_PROVIDER = {
        **django_settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": rsa_private_key,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    }
    settings.MFA_PASSKEYS_ORIGINS = []


@pytest.fixture
def inbox(smtp_server, settings, live_server) -> Inbox:
    """The portal mails through a real SMTP server (aiosmtpd); tasks run inline; links in mails
    lead to the live server."""
    messages, port = smtp_server
    settings.SSO_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    return Inbox(messages)


def _open(browser, live_server, locale: str) -> Iterator[Person]:
    context = browser.new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 1280, "height": 800}
    )
    context.add_init_script(path=str(AXE))  # injected outside the page's CSP, as an extension
    # No passkey autofill (conditional mediation) here: tests/passkeys/e2e covers it.
    context.add_init_script(
        "if (window.PublicKeyCredential) {"
        " PublicKeyCredential.isConditionalMediationAvailable ="
        " () => Promise.resolve(false); }"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    person = Person(page)
    yield person
    context.close()


@pytest.fixture
def person(browser, transactional_db, live_server) -> Iterator[Person]:
    """Someone at a desktop browser that speaks English."""
    yield from _open(browser, live_server, "en-US")


@pytest.fixture
def orang(browser, transactional_db, live_server) -> Iterator[Person]:
    """Someone whose browser asks for Bahasa Indonesia."""
    yield from _open(browser, live_server, "id-ID")


@pytest.fixture
def second_person(browser, transactional_db, live_server) -> Iterator[Person]:
    """Another browser (another profile), e.g. the admin next to the user."""
    yield from _open(browser, live_server, "en-US")


def code_countdown(challenge, now=None) -> dict[str, int]:
    """Seconds until a sent code expires and until a new one may be sent.

    The same function is proposed for mfa/codes.py (``countdown``), returned by the code
    methods' ``context`` (docs: issue 9 report); until it lands, the fixture below adds it.
    """
    import math
    from datetime import timedelta

    from django.utils import timezone

    if challenge is None or challenge.expires_at is None or challenge.last_sent_at is None:
        return {"code_expires_in": 0, "resend_in": 0}
    now = now or timezone.now()
    ready_at = challenge.last_sent_at + timedelta(seconds=django_settings.MFA_CODE_RESEND_SECONDS)
    return {
        "code_expires_in": max(0, math.ceil((challenge.expires_at - now).total_seconds())),
        "resend_in": max(0, math.ceil((ready_at - now).total_seconds())),
    }


@pytest.fixture(autouse=True)
def _code_countdown_context(monkeypatch) -> None:
    """Gives the code pages (e-mail, SMS) their countdown values when the views do not yet."""
    from django.utils.module_loading import import_string

    from mfa import codes
    from mfa.models import CodeChallenge

    for path in django_settings.MFA_CHALLENGE_METHODS:
        method_class = import_string(path)
        if not hasattr(method_class, "channel"):
            continue
        original = method_class.context

        def context(self, request, pending, original=original) -> dict:
            values = original(self, request, pending)
            if "code_expires_in" not in values:
                challenge = codes.find_challenge(
                    pending.user, pending.attempt_id, self.channel, CodeChallenge.Purpose.SIGNIN
                )
                values.update(code_countdown(challenge))
            return values

        monkeypatch.setattr(method_class, "context", context)
