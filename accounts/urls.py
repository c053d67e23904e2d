"""/accounts/: one package per use case, each with its own urls.py (namespace accounts:)."""

from django.urls import include, path

app_name = "accounts"

urlpatterns = [
    path("", include("accounts.signin.urls")),
    path("", include("accounts.password.urls")),
    path("", include("accounts.question.urls")),
    path("", include("accounts.activity.urls")),
    path("", include("accounts.invitations.urls")),
    path("", include("accounts.registration.urls")),
    path("", include("accounts.profile.urls")),
]
