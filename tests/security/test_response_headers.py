"""Every answer of the portal carries the same security headers, labels JSON as JSON, and never
lets a cache keep what carries or refuses a token.

The walk takes every URL pattern of the portal (tests/input/test_url_walker.py reads them from
the URL configuration, so a new endpoint is walked without touching this file) and sends each
a few requests that reach the early refusals of the middleware stack as well as the views: a
plain GET and POST, a form the input check refuses, a bearer token nobody issued, the path
without its trailing slash. Each answer must have

- the headers every page has (design.md "Security defaults"): X-Frame-Options, the
  Content-Security-Policy, X-Content-Type-Options, Referrer-Policy, Cross-Origin-Opener-Policy;
- a JSON body labelled ``application/json`` (``application/scim+json`` for SCIM, RFC 7644 §8.1);
- at the endpoints that hand out, take or refuse tokens (token, revocation, introspection,
  UserInfo, SCIM): ``Cache-Control: no-store`` (RFC 6749 §5.1, RFC 7662 §2.2), and with a
  401 from a bearer-token endpoint, ``WWW-Authenticate`` (RFC 6750 §3).
"""

import json

import pytest
from django.test import Client
from django.urls import reverse

from sso.oidc.middleware import MACHINE_ENDPOINTS
from tests.input.test_url_walker import (  # noqa: F401 (world and its fixtures)
    BROWSER_ACCEPT,
    Request,
    _object_ids,
    _send,
    _visitor,
    all_routes,
    concrete_paths,
    idp_keys,
    make_app,
    oidc_provider_settings,
    rsa_private_key,
    world,
)

SECURITY_HEADERS = (
    "X-Frame-Options",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)
NOT_SECRET = {"jwks-info", "oidc-connect-discovery-info"}  # public keys, public metadata
SCIM_PREFIX = "/scim/"
FORM = "application/x-www-form-urlencoded"

REQUESTS = [
    Request("GET"),
    Request("POST"),
    Request("POST", body=b"a=%zz", content_type=FORM),  # refused by the input check
    Request("POST", body=b"a=b", content_type=f"{FORM}; charset=latin-1"),
    Request("GET", query="a=%zz"),
    Request("GET", headers={"HTTP_AUTHORIZATION": "Bearer not-a-token-of-ours"}),
    Request("POST", body=b"token=x", content_type=FORM, headers={"HTTP_ACCEPT": "*/*"}),
]


def secret_paths() -> tuple[str, ...]:
    """The paths of the endpoints that hand out, take or refuse tokens."""
    names = [name for name in MACHINE_ENDPOINTS if name not in NOT_SECRET]
    return (*(reverse(f"oauth2_provider:{name}") for name in names), SCIM_PREFIX)


def problems(path: str, response, signed_in: bool = False) -> list[str]:
    """What is missing from one answer (empty when nothing); ``signed_in``: the answer went
    to a signed-in person, whose pages are never stored (design.md "Security defaults")."""
    found = [f"no {name}" for name in SECURITY_HEADERS if name not in response]
    is_page = response.get("Content-Type", "").startswith("text/html")
    stored = "no-store" not in response.get("Cache-Control", "")
    if signed_in and is_page and response.status_code == 200 and stored:
        found.append("a signed-in page without no-store")
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if _is_json(response):
        wanted = "application/scim+json" if path.startswith(SCIM_PREFIX) else "application/json"
        if content_type != wanted and not (
            wanted == "application/json" and content_type.endswith("+json")
        ):
            found.append(f"JSON labelled {content_type!r}")
    if path.startswith(secret_paths()) and not 300 <= response.status_code < 400:
        if "no-store" not in response.get("Cache-Control", ""):
            found.append(f"Cache-Control {response.get('Cache-Control')!r}")
        if response.status_code == 401 and "WWW-Authenticate" not in response:
            found.append("401 without WWW-Authenticate")
    return found


def _is_json(response) -> bool:
    if getattr(response, "streaming", False) or not response.content:
        return False
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return response.content.lstrip()[:1] in (b"{", b"[")


@pytest.mark.parametrize("kind", ["anonymous", "signed_in"])
def test_every_answer_carries_the_security_headers(world, password, kind):  # noqa: F811
    client = _visitor(kind, world, password)
    ids = _object_ids(world)
    failures: dict[str, list[str]] = {}  # problem: where it was found
    for route in all_routes():
        for path in concrete_paths(route, ids)[:1]:
            sends = [(path, request) for request in REQUESTS]
            if len(path) > 1 and path.endswith("/"):  # CommonMiddleware's APPEND_SLASH
                sends.append((path.rstrip("/"), Request("GET")))
            for target, request in sends:
                response = _send(client, target, request)
                for problem in problems(target, response, kind == "signed_in"):
                    failures.setdefault(problem, []).append(f"{target} {request.describe()}")
    report = "\n".join(
        f"{problem}: {len(where)} answers, e.g. {'; '.join(where[:3])}"
        for problem, where in failures.items()
    )
    assert not failures, f"{len(failures)} faults:\n{report}"


def test_the_development_move_to_localhost_carries_them(client, settings):
    settings.DEBUG = True
    response = Client(HTTP_ACCEPT=BROWSER_ACCEPT).get("/accounts/login/", HTTP_HOST="127.0.0.1")
    assert response.status_code == 302
    assert problems("/accounts/login/", response) == []
