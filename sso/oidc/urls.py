"""The OpenID Connect provider's endpoints, mounted at the site root.

The namespace is ``oauth2_provider`` (not ``oidc``) because django-oauth-toolkit reverses its
own URL names in that namespace (discovery, issuer, metadata).
"""

from django.urls import path, re_path
from oauth2_provider import views as dot_views

from sso.oidc import views

app_name = "oauth2_provider"

urlpatterns = [
    # OpenID Connect Discovery 1.0 §4 (no trailing slash; DOT still accepts one).
    re_path(
        r"^\.well-known/openid-configuration/?$",
        views.ConnectDiscoveryInfoView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("o/authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("o/token/", views.TokenView.as_view(), name="token"),
    path("o/revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
    path("o/introspect/", views.IntrospectTokenView.as_view(), name="introspect"),
    path("o/userinfo/", views.UserInfoView.as_view(), name="user-info"),
    path("o/.well-known/jwks.json", dot_views.JwksInfoView.as_view(), name="jwks-info"),
    path("o/logout/", views.RPInitiatedLogoutView.as_view(), name="rp-initiated-logout"),
]
