"""prompt=login (and max_age, SAML ForceAuthn) must not be met by a step-up, a second factor
only, without the fresh sign-in it asked for: until the fresh sign-in, the app gets no code."""

from urllib.parse import urlencode

import pytest

from tests.conftest import led_to
from tests.mfa.conftest import confirm, last_code, run_on_commit, to_code_page
from tests.oidc.conftest import REDIRECT_URI

pytestmark = pytest.mark.django_db


def test_prompt_login_is_not_met_by_a_step_up(client, user, password, email_factor, relying_app):
    to_code_page(client, password)
    client.post("/security/challenge/email/", {"code": last_code()})
    assert led_to(confirm(client)) == "/"
    params = {
        "response_type": "code",
        "client_id": "relying-app",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "prompt": "login",
    }
    url = "/o/authorize/?" + urlencode(params)
    asked = client.get(url)
    assert asked["Location"].startswith("/accounts/login/"), asked["Location"]
    # The person walks away from the sign-in page; someone at the computer passes a step-up
    # (only the e-mail code, no password) for anything.
    up = run_on_commit(client.get, "/security/step-up/?next=/")
    if up["Location"] == "/security/challenge/":
        run_on_commit(client.post, "/security/challenge/", {"method": "email"})
    client.post("/security/challenge/email/", {"code": last_code()})
    assert led_to(confirm(client)) == "/"
    again = client.get(url)
    assert again["Location"].startswith("/accounts/login/"), (
        f"prompt=login answered without a new sign-in: {again['Location']}"
    )
