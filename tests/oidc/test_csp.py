"""The Content-Security-Policy's form-action lists the registered relying apps' origins on
pages (a form post's redirect to an app's callback must be allowed), and follows changes."""

from urllib.parse import urlsplit

from tests.oidc.conftest import REDIRECT_URI


def form_action(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(d for d in policy.split(";") if d.strip().startswith("form-action")).strip()


def test_pages_allow_form_posts_to_end_at_registered_apps(client, make_app):
    app = make_app()
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(REDIRECT_URI))
    assert form_action(client.get("/accounts/login/")) == f"form-action 'self' {origin}"

    app.redirect_uris = "https://new.example.org/callback"
    app.post_logout_redirect_uris = ""
    app.save()
    assert form_action(client.get("/accounts/login/")) == (
        "form-action 'self' https://new.example.org"
    )


def test_redirects_get_the_fixed_policy(client, make_app):
    make_app()
    response = client.get("/accounts/login/method/")  # no sign-in begun: back to the username
    assert response.status_code == 302
    assert form_action(response) == "form-action 'self'"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_another_workers_change_arrives_within_seconds(client, make_app, monkeypatch):
    """Each worker keeps the origins it read for LOCAL_SECONDS (no cache read per page); a
    change made in another worker drops the shared copy only, so it shows here after them."""
    from django.core.cache import cache

    from sso.oidc import csp
    from sso.oidc.models import Application

    app = make_app()
    now = [1000.0]
    monkeypatch.setattr(csp.time, "monotonic", lambda: now[0])
    first = form_action(client.get("/accounts/login/"))
    # Another worker's save: the row and the shared copy change, not this worker's copy.
    Application.objects.filter(pk=app.pk).update(
        redirect_uris="https://moved.example.org/callback", post_logout_redirect_uris=""
    )
    cache.delete(csp.RELYING_ORIGINS_CACHE_KEY)
    assert form_action(client.get("/accounts/login/")) == first
    now[0] += csp.LOCAL_SECONDS
    assert (
        form_action(client.get("/accounts/login/"))
        == "form-action 'self' https://moved.example.org"
    )
