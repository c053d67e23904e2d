from django.urls import path

from mfa import views

app_name = "mfa"

urlpatterns = [
    path("", views.security_settings, name="settings"),
]
