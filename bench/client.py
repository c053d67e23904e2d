"""A person's browser, in asyncio + aiohttp: follows the real pages, forms and CSRF tokens.

Each sign-in uses a fresh client (fresh cookies), as a new browser would, so every sign-in
meets the MFA challenge. Each request is timed on its own; a step is the page GET plus its
form POST.

aiohttp, not httpx: the client runs on the cores of the servers it measures, and aiohttp costs
about half of httpx's CPU per sign-in (docs/performance.md).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import json
import re
import secrets
import ssl
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pyotp
from multidict import CIMultiDictProxy
from yarl import URL

from bench.seed import PASSWORD, RP_REDIRECT_URI, Account

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# A step's page that answers the previous step's form carries its own address (sso/in_place.py).
SHOWN_AT_RE = re.compile(r'<body data-address="([^"]*)"')
# The steps of the sign-in, as the issue names them, in order. No "pick": the authenticator
# of the bench's accounts is their one factor, and its page comes straight after the password.
# No "home" either: Confirm and Continue is answered with Home in place (sso/in_place.py).
STEPS = ("username", "password", "code", "confirm")


class FlowError(Exception):
    """A page did not answer as a person's browser expects."""


# What a request may raise when the connection or the server fails it (httpx's HTTPError):
# aiohttp's errors, and a timeout (asyncio.TimeoutError is TimeoutError).
HTTP_ERRORS = (aiohttp.ClientError, TimeoutError)


@dataclass
class Timings:
    """Seconds per step (GET + POST), per request, and per full sign-in."""

    steps: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    signins: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def merge(self, other: Timings) -> None:
        for name, values in other.steps.items():
            self.steps[name].extend(values)
        self.signins.extend(other.signins)
        for name, count in other.errors.items():
            self.errors[name] += count


# One TLS context for every browser: a browser loads its CA store once, not per visit (httpx
# built one per client, loading certifi's CA bundle: 46 ms of CPU per sign-in). Each client
# still has its own cookie jar and connections.
TLS_CONTEXT = ssl.create_default_context()
# As httpx.Timeout(60.0) was: 60 s to get a connection, 60 s for each read (aiohttp has no
# write timeout); no limit on the whole request.
TIMEOUT = aiohttp.ClientTimeout(total=None, connect=60.0, sock_read=60.0)
# The httpx client's, unchanged: the portal parses and stores it (sessions, audit rows, trusted
# devices), so its work per sign-in stays what it was.
USER_AGENT = "sso-bench/1 (httpx)"


class Page:
    """A response read whole, as httpx gave it: status, headers, body, ``text`` decoded once."""

    __slots__ = ("_text", "charset", "content", "headers", "method", "status_code", "url")

    def __init__(
        self,
        method: str,
        url: URL,
        status_code: int,
        headers: CIMultiDictProxy[str],
        content: bytes,
        charset: str | None,
    ) -> None:
        self.method = method
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self.charset = charset
        self._text: str | None = None

    @property
    def path(self) -> str:
        return self.url.path

    @property
    def text(self) -> str:
        if self._text is None:  # the body's charset, else UTF-8, as httpx decoded it
            self._text = self.content.decode(self.charset or "utf-8", "replace")
        return self._text

    def json(self):
        return json.loads(self.content)


class Client:
    """A browser's HTTP side on ``base_url``: one aiohttp session, with its own cookie jar and
    connections; no redirect followed (each page is checked where it answers)."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str] | None = None,
        cookies: aiohttp.CookieJar | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=TLS_CONTEXT),
            # unsafe: aiohttp keeps no cookie of an IP address otherwise (the bench's 127.0.0.1).
            cookie_jar=cookies if cookies is not None else aiohttp.CookieJar(unsafe=True),
            timeout=TIMEOUT,
            # httpx's request headers: aiohttp sends the same Accept and Accept-Encoding.
            headers={"Connection": "keep-alive", "User-Agent": USER_AGENT, **(headers or {})},
        )

    @property
    def cookies(self) -> aiohttp.CookieJar:
        """The jar, to hand to another client (``new_client(..., cookies=)``)."""
        return self.session.cookie_jar

    async def request(self, method: str, url: str, **kwargs) -> Page:
        """``url`` is a path on ``base_url``, query included, sent as it is written (encoded:
        aiohttp would otherwise unquote %2F and %3A in it); the body is read before this
        returns."""
        address = URL(self.base_url + url, encoded=True)
        async with self.session.request(
            method, address, allow_redirects=False, **kwargs
        ) as response:
            content = await response.read()
            return Page(
                method, response.url, response.status, response.headers, content, response.charset
            )

    async def get(self, url: str, **kwargs) -> Page:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs) -> Page:
        return await self.request("POST", url, **kwargs)

    async def aclose(self) -> None:
        await self.session.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.aclose()


def new_client(
    base_url: str, headers: dict[str, str] | None = None, cookies: aiohttp.CookieJar | None = None
) -> Client:
    """A fresh browser (no cookies unless ``cookies``, no connections) on ``base_url``; made
    in a running event loop."""
    return Client(base_url, headers, cookies)


def csrf_of(page: Page) -> str:
    match = CSRF_RE.search(page.text)
    if not match:
        raise FlowError(f"no CSRF token on {page.path} ({page.status_code})")
    return html.unescape(match.group(1))


def shown_at(page: Page) -> str:
    """The address of a step's page shown in place of a redirect to it, else ''."""
    match = SHOWN_AT_RE.search(page.text)
    return html.unescape(match.group(1)) if match else ""


def expect(response: Page, status: int, location: str | None = None) -> None:
    if response.status_code != status:
        raise FlowError(
            f"{response.method} {response.path}: {response.status_code} instead of {status}"
        )
    if location is not None and not response.headers.get("location", "").endswith(location):
        raise FlowError(f"{response.path} led to {response.headers.get('location')}")


class Browser:
    """One browser walking the sign-in; ``timed`` adds each request to a step's time."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.step_time: dict[str, float] = defaultdict(float)
        self.challenge_page = ""  # where the password step led (to_challenge)
        self.page: Page | None = None  # the last page shown in place

    async def timed(self, step: str, method: str, url: str, **kwargs) -> Page:
        start = time.perf_counter()
        response = await self.client.request(method, url, **kwargs)
        self.step_time[step] += time.perf_counter() - start
        return response

    async def get_form(self, step: str, url: str) -> str:
        page = await self.timed(step, "GET", url)
        expect(page, 200)
        return csrf_of(page)

    async def post(self, step: str, url: str, csrf: str, data: dict) -> Page:
        return await self.timed(step, "POST", url, data={"csrfmiddlewaretoken": csrf, **data})

    async def to_password(self) -> str:
        """The username page, which holds step 2 (how to sign in) and its password form: Next
        and "Sign in with password" show them without a request (portal.js), as Chromium does;
        returns the page's CSRF token, posted with the username and the password."""
        page = await self.timed("username", "GET", "/accounts/login/")
        expect(page, 200)
        if 'id="method-step"' not in page.text or 'href="#password-step"' not in page.text:
            raise FlowError("the username page does not hold step 2 with its password link")
        if 'action="/accounts/login/password/"' not in page.text:
            raise FlowError("the username page does not hold the password form")
        return csrf_of(page)

    async def to_challenge(
        self, username: str, password: str = PASSWORD, lands: str | None = None
    ) -> None:
        """Username, method, password: the password, posted with the username typed, is
        answered with the MFA challenge's page in place: the picker, or the page of the
        account's one factor (its code already sent when it sends one, seeds/001). ``lands``,
        when given, is where it must lead."""
        csrf = await self.to_password()
        self.page = await self.post(
            "password", "/accounts/login/password/", csrf,
            {"username": username, "password": password},
        )  # fmt: skip
        expect(self.page, 200)
        self.challenge_page = shown_at(self.page)
        if lands is not None and self.challenge_page != lands:
            raise FlowError(f"the password step led to {self.challenge_page!r}, not {lands}")
        if not self.challenge_page.startswith("/security/challenge/"):
            raise FlowError(f"the password step led to {self.challenge_page!r}")

    async def pick(self, method: str) -> None:
        """The picker (shown in place after the password); a method that sends a code is picked
        by a POST, answered with its page in place, the others are a link to their page (the
        next step's GET). Someone whose one factor is ``method`` is shown its page at once."""
        url = f"/security/challenge/{method}/"
        if self.challenge_page == url:
            return
        picker = self.page
        if picker is None or shown_at(picker) != "/security/challenge/":
            picker = await self.timed("pick", "GET", "/security/challenge/")
            expect(picker, 200)
        if f'action="{url}"' in picker.text:
            self.page = None  # a link: answer() asks for the page
            return
        self.page = await self.post(
            "pick", "/security/challenge/", csrf_of(picker), {"method": method}
        )
        expect(self.page, 200)
        if shown_at(self.page) != url:
            raise FlowError(f"picking {method} led to {shown_at(self.page)!r}")

    async def answer(self, method: str, code: str) -> str:
        """The code page (already shown when the previous step led to it) and Validate,
        answered with Trust this device / Confirm and Continue in place; returns that form's
        CSRF token."""
        url = f"/security/challenge/{method}/"
        if self.page is not None and shown_at(self.page) == url:
            csrf = csrf_of(self.page)
        else:
            csrf = await self.get_form("code", url)
        confirm_page = await self.post("code", url, csrf, {"code": code})
        expect(confirm_page, 200)
        if 'action="/security/challenge/confirm/"' not in confirm_page.text:
            raise FlowError("Validate did not show Confirm and Continue")
        self.page = confirm_page
        return csrf_of(confirm_page)

    async def confirm_and_home(self, username: str, csrf: str) -> None:
        """Confirm and Continue, answered with Home in place (sso/in_place.py): Home must name
        the user."""
        home = await self.post("confirm", "/security/challenge/confirm/", csrf, {"remember": "on"})
        expect(home, 200)
        if shown_at(home) != "/" or username not in home.text:
            raise FlowError("Confirm and Continue did not show Home naming the user")


class TotpClock:
    """Hands out accounts whose authenticator code for the current 30 s step is unused.

    django-otp never accepts a code twice (``last_t``), so one account signs in at most once
    per step; with enough accounts the pool never waits.
    """

    def __init__(self, accounts: list[Account]) -> None:
        self.free = list(accounts)
        self.last_step: dict[str, int] = {}
        self.condition = asyncio.Condition()

    async def take(self) -> Account:
        while True:
            step = int(time.time() // 30)
            for i, account in enumerate(self.free):
                if self.last_step.get(account.username, -1) < step:
                    return self.free.pop(i)
            await asyncio.sleep(0.2)

    def give_back(self, account: Account) -> None:
        self.last_step[account.username] = int(time.time() // 30)
        self.free.append(account)


async def full_signin(base_url: str, account: Account) -> dict[str, float]:
    """Username (Next answers with the method page, which holds the password form) → password
    (answered with the authenticator's code page: the account's one factor) → Validate
    (answered with Trust this device) → Confirm and Continue → Home: 6 requests."""
    async with new_client(base_url) as client:
        browser = Browser(client)
        await browser.to_challenge(account.username)
        await browser.pick("totp")
        csrf = await browser.answer("totp", pyotp.TOTP(account.totp_key).now())
        await browser.confirm_and_home(account.username, csrf)
        return dict(browser.step_time)


async def signin_load(
    base_url: str,
    clock: TotpClock,
    concurrency: int,
    seconds: float,
    max_signins: int,
    signin: Callable[[str, Account], Awaitable[dict[str, float]]] = full_signin,
) -> tuple[Timings, float]:
    """``concurrency`` browsers signing in back to back for ``seconds`` (or ``max_signins``);
    ``signin`` walks one sign-in (the portal's by default) and returns its step times."""
    timings = Timings()
    deadline = time.monotonic() + seconds
    started = 0

    async def one_browser() -> None:
        nonlocal started
        while time.monotonic() < deadline and started < max_signins:
            started += 1
            account = await clock.take()
            begin = time.perf_counter()
            try:
                steps = await signin(base_url, account)
            except (FlowError, *HTTP_ERRORS) as exc:
                timings.errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                continue
            finally:
                clock.give_back(account)
            timings.signins.append(time.perf_counter() - begin)
            for name, value in steps.items():
                timings.steps[name].append(value)

    begin = time.perf_counter()
    await asyncio.gather(*(one_browser() for _ in range(concurrency)))
    return timings, time.perf_counter() - begin


# --- OpenID Connect ---------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def signed_in_client(base_url: str, account: Account) -> Client:
    client = new_client(base_url)
    browser = Browser(client)
    await browser.to_challenge(account.username)
    await browser.pick("totp")
    csrf = await browser.answer("totp", pyotp.TOTP(account.totp_key).now())
    await browser.confirm_and_home(account.username, csrf)
    return client


async def code_exchange(client: Client, client_id: str) -> tuple[float, float]:
    """Authorize with the live session, then trade the code at the token endpoint."""
    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": "openid profile email",
            "redirect_uri": RP_REDIRECT_URI,
            "state": secrets.token_urlsafe(8),
            "nonce": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    start = time.perf_counter()
    response = await client.get(f"/o/authorize/?{query}")
    authorized = time.perf_counter()
    location = response.headers.get("location", "")
    if response.status_code != 302 or not location.startswith(RP_REDIRECT_URI):
        raise FlowError(f"authorize answered {response.status_code} {location[:80]}")
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = await client.post(
        "/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": RP_REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": client_id,
        },
    )
    done = time.perf_counter()
    if token.status_code != 200 or "id_token" not in token.json():
        raise FlowError(f"token endpoint answered {token.status_code}: {token.text[:120]}")
    return authorized - start, done - authorized


async def oidc_load(
    clients: list[Client], client_id: str, seconds: float
) -> tuple[dict[str, list[float]], int, float]:
    """Each signed-in client exchanges codes back to back for ``seconds``."""
    times: dict[str, list[float]] = {"authorize": [], "token": []}
    errors = 0
    deadline = time.monotonic() + seconds

    async def loop(client: Client) -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            try:
                authorize, token = await code_exchange(client, client_id)
            except (FlowError, *HTTP_ERRORS, KeyError):
                errors += 1
                continue
            times["authorize"].append(authorize)
            times["token"].append(token)

    begin = time.perf_counter()
    await asyncio.gather(*(loop(c) for c in clients))
    return times, errors, time.perf_counter() - begin


# --- E-mail codes ------------------------------------------------------------------------------


async def at_password(base_url: str, account: Account) -> tuple[Client, str]:
    """A browser on the username page, step 2's password form shown; returns it and the page's
    CSRF token (the username goes with the password)."""
    client = new_client(base_url)
    browser = Browser(client)
    return client, await browser.to_password()


async def email_code_load(
    browsers: list[tuple[Client, str, Account]], rate: float, smtp
) -> tuple[list[float], list[float], int]:
    """Signs in e-mail-only accounts at ``rate`` password POSTs per second (open loop: one
    browser each): their only factor sends a code, so it is queued with the password
    (seeds/001). Returns the time from each POST to the SMTP server accepting its message (the
    Argon2 verify included), the page times, and how many messages never came (within 30 s of
    the last request)."""
    sent_at: dict[str, float] = {}
    page_times: list[float] = []

    async def one(client: Client, csrf: str, account: Account) -> None:
        start = time.monotonic()
        sent_at[account.email.lower()] = start
        response = await client.post(
            "/accounts/login/password/",
            data={"csrfmiddlewaretoken": csrf, "username": account.username, "password": PASSWORD},
        )
        page_times.append(time.monotonic() - start)
        expect(response, 200)
        if shown_at(response) != "/security/challenge/email/":
            raise FlowError(f"the password step led to {shown_at(response)!r}")

    tasks = []
    begin = time.monotonic()
    for i, (client, csrf, account) in enumerate(browsers):
        delay = begin + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(client, csrf, account)))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    refused = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    if refused:  # a POST that led nowhere near a code is why a code never came: say so
        print(f"  {len(refused)} password POSTs did not lead to the code page, e.g. {refused[0]!r}")
    # Waits for these recipients' mails, not for a number of mails: the server also takes the
    # new-browser notices of the sign-ins before (one of them counted as a code made the last
    # code look lost).
    deadline = time.monotonic() + 30
    while not all(rcpt in smtp.accepted for rcpt in sent_at) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    latencies = [
        smtp.accepted[rcpt][0] - start for rcpt, start in sent_at.items() if rcpt in smtp.accepted
    ]
    never = sorted(rcpt for rcpt in sent_at if rcpt not in smtp.accepted)
    if never:
        print(f"  no code mail within 30 s for {', '.join(never[:5])}")
    return latencies, page_times, len(sent_at) - len(latencies)
