"""The peers' sign-ins, walked as bench/client.py walks the portal's: a fresh browser (cookie
jar) each time, every step a GET of the page and a POST of its form with the CSRF token,
the authenticator code from pyotp. Each returns the seconds per step."""

from __future__ import annotations

import pyotp

from bench.client import Browser, FlowError, csrf_of, expect, new_client
from bench.seed import PASSWORD, Account


async def allauth_signin(base_url: str, account: Account) -> dict[str, float]:
    """django-allauth: Sign In (username + password) → two-factor code → Home."""
    async with new_client(base_url) as client:
        browser = Browser(client)
        csrf = await browser.get_form("password", "/accounts/login/")
        response = await browser.post(
            "password", "/accounts/login/", csrf, {"login": account.username, "password": PASSWORD}
        )
        expect(response, 302, "/accounts/2fa/authenticate/")
        csrf = await browser.get_form("code", "/accounts/2fa/authenticate/")
        code = pyotp.TOTP(account.totp_key).now()
        response = await browser.post("code", "/accounts/2fa/authenticate/", csrf, {"code": code})
        to_home(response)
        await home(browser, account)
        return dict(browser.step_time)


async def two_factor_signin(base_url: str, account: Account) -> dict[str, float]:
    """django-two-factor-auth: the login wizard's credentials step, its token step → Home."""
    async with new_client(base_url) as client:
        browser = Browser(client)
        csrf = await browser.get_form("password", "/account/login/")
        token_page = await browser.post(
            "password",
            "/account/login/",
            csrf,
            {
                "login_view-current_step": "auth",
                "auth-username": account.username,
                "auth-password": PASSWORD,
            },
        )
        expect(token_page, 200)  # the wizard answers with its next step, the token form
        if 'name="token-otp_token"' not in token_page.text:
            raise FlowError("the login wizard did not ask for the authenticator code")
        code = pyotp.TOTP(account.totp_key).now()
        response = await browser.post(
            "code",
            "/account/login/",
            csrf_of(token_page),
            {"login_view-current_step": "token", "token-otp_token": code},
        )
        to_home(response)
        await home(browser, account)
        return dict(browser.step_time)


def to_home(response) -> None:
    """The last POST of a sign-in leads Home (LOGIN_REDIRECT_URL)."""
    expect(response, 302)
    if response.headers.get("location") != "/":
        raise FlowError(f"{response.path} led to {response.headers.get('location')}")


async def home(browser: Browser, account: Account) -> None:
    page = await browser.timed("home", "GET", "/")
    expect(page, 200)
    if account.username not in page.text:
        raise FlowError("Home does not name the user")
