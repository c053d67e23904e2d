"""Real headless Chromium (Debian's /usr/bin/chromium) with a CDP virtual authenticator.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
thread with a running loop unless told this is fine, and here it is (the live server runs in
its own thread, the test only creates users).
"""

import os
from collections.abc import Iterator

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(autouse=True)
def _passkey_origin(settings):
    """No configured origins: the default (RP ID localhost, the page's own origin) is used."""
    settings.MFA_PASSKEYS_ORIGINS = []


@pytest.fixture(scope="session")
def browser(chromium):
    return chromium


@pytest.fixture
def page(browser, transactional_db, live_server) -> Iterator:
    """A fresh browser profile with one virtual platform authenticator (resident keys, UV)."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.authenticator = (cdp, added["authenticatorId"])  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def without_autofill(page):
    """A browser that offers no passkey autofill (conditional mediation), as older ones.

    Chromium's virtual authenticator answers a conditional request at once (presence is
    simulated), so on the sign-in page autofill would sign in before the test can click.
    Tests of the other routes turn it off; test_autofill_* keeps it on.
    """
    page.context.add_init_script(
        "if (window.PublicKeyCredential) {"
        " PublicKeyCredential.isConditionalMediationAvailable ="
        " () => Promise.resolve(false); }"
    )
    return page
