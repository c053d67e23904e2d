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
    response = client.post("/accounts/login/", {"username": "nobody"})
    assert response.status_code == 302
    assert form_action(response) == "form-action 'self'"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
