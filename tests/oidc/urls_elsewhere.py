"""The OpenID Connect endpoints under another path (tests/oidc/test_issuer.py)."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("sso.oidc.urls"))]
