"""``url_with_next`` (sso/next_param.py): the page a ``next`` leads to reads back exactly the
address it was given, whatever characters that address holds."""

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.http import QueryDict

from sso.next_param import url_with_next

AWKWARD = [
    "/o/authorize/?client_id=app&state=a b&redirect_uri=https://app.example/cb#frag",
    "/security/?tab=sms&x=1+1%202#top",
    "/halaman/ünïcödé/?nama=Budi Santoso&kota=Yogyakarta & Solo",
    "https://sso.example.go.id/saml/resume/t0k3n/?RelayState=%E2%9C%93&a=&b",
    "/?next=/inner?x=1&y=2",
]


@pytest.mark.parametrize("next_url", AWKWARD)
@pytest.mark.parametrize("url", ["/accounts/login/", "/security/reauth/?lang=id", "/p/#part"])
def test_the_next_read_back_is_the_one_given(url: str, next_url: str) -> None:
    built = url_with_next(url, next_url)
    parts = urlsplit(built)
    assert built.isascii() and " " not in built
    query = QueryDict(parts.query)
    assert query.getlist("next") == [next_url]
    # What the address had stays as it was, the fragment included.
    assert parts.path == urlsplit(url).path and parts.fragment == urlsplit(url).fragment
    assert {k: v for k, v in query.lists() if k != "next"} == dict(
        QueryDict(urlsplit(url).query).lists()
    )


def test_no_next_leaves_the_address_alone() -> None:
    assert url_with_next("/accounts/login/", "") == "/accounts/login/"


def _hidden_next(html: str) -> str:
    found = re.search(r'<input type="hidden" name="next" value="([^"]*)">', html)
    assert found, "the page carries no next"
    return unescape(found.group(1))


@pytest.mark.django_db
def test_not_you_leads_to_a_sign_in_that_goes_back_to_the_exact_next(client) -> None:
    """ "Not you?" starts the sign-in again towards where it was going: the username page it
    leads to posts back that very address, with its &, #, spaces and non-ASCII."""
    next_url = "/o/authorize/?client_id=app&state=a b+c%20d&nama=Ünïcödé Ñ#frag"
    restarted = client.post("/accounts/login/restart/", {"next": next_url})
    assert restarted.status_code == 302
    assert urlsplit(restarted["Location"]).path == "/accounts/login/"
    page = client.get(restarted["Location"])
    assert _hidden_next(page.text) == next_url
