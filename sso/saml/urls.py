"""The SAML 2.0 identity provider's endpoints, under /saml/.

The views load pysaml2: imported at their first request (sso/lazy_views.py), so a worker that
serves no SAML message does not hold it."""

from django.urls import path

from sso.lazy_views import LazyView, lazy_view

app_name = "saml"


def _view(name: str) -> LazyView:
    return lazy_view(f"sso.saml.views.{name}")


urlpatterns = [
    path("metadata/", _view("metadata"), name="metadata"),
    path("sso/redirect/", _view("sso_redirect"), name="sso_redirect"),
    path("sso/post/", _view("sso_post"), name="sso_post"),
    path("sso/continue/", _view("sso_continue"), name="sso_continue"),
    path("sso/resume/<str:token>/", _view("resume"), name="resume"),
    path("apps/<int:pk>/open/", _view("launch"), name="launch"),
    path("slo/redirect/", _view("slo_redirect"), name="slo_redirect"),
    path("slo/post/", _view("slo_post"), name="slo_post"),
    path("slo/continue/", _view("slo_continue"), name="slo_continue"),
    path("slo/next/", _view("slo_next"), name="slo_next"),
]
