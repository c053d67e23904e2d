"""The SAML 2.0 identity provider's endpoints, under /saml/."""

from django.urls import path

from sso.saml import views

app_name = "saml"

urlpatterns = [
    path("metadata/", views.metadata, name="metadata"),
    path("sso/redirect/", views.sso_redirect, name="sso_redirect"),
    path("sso/post/", views.sso_post, name="sso_post"),
    path("sso/continue/", views.sso_continue, name="sso_continue"),
    path("sso/resume/<str:token>/", views.resume, name="resume"),
    path("apps/<int:pk>/open/", views.launch, name="launch"),
    path("slo/redirect/", views.slo_redirect, name="slo_redirect"),
    path("slo/post/", views.slo_post, name="slo_post"),
    path("slo/continue/", views.slo_continue, name="slo_continue"),
    path("slo/next/", views.slo_next, name="slo_next"),
]
