"""sso.net.client_ip: the trusted proxies' X-Forwarded-For only, worked out once per request."""

from django.test import RequestFactory, override_settings

from sso.net import client_ip


def request_from(remote: str, forwarded: str = ""):  # type: ignore[no-untyped-def]
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@override_settings(SSO_TRUSTED_PROXIES=["not a network", "10.0.0.0/8"])
def test_a_trusted_proxys_header_is_read_and_an_entry_that_is_no_network_skipped():
    assert client_ip(request_from("10.0.0.5", "198.51.100.7, 10.0.0.9")) == "198.51.100.7"
    assert client_ip(request_from("192.0.2.1", "198.51.100.7")) == "192.0.2.1"


def test_the_answer_follows_the_request_and_the_settings_it_was_read_with():
    request = request_from("10.0.0.5", "198.51.100.7")
    assert client_ip(request) == "10.0.0.5"  # no trusted proxy configured
    with override_settings(SSO_TRUSTED_PROXIES=["10.0.0.0/8"]):
        assert client_ip(request) == "198.51.100.7"
        request.META["HTTP_X_FORWARDED_FOR"] = "203.0.113.4"
        assert client_ip(request) == "203.0.113.4"
