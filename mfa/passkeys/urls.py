"""Passkeys: the Security Settings tab, sign-in with a passkey, a passkey as second factor.

The views load py_webauthn: imported at their first request (sso/lazy_views.py), so a worker
whose users sign in with a password and a code does not hold it."""

from django.urls import path

from sso.lazy_views import LazyView, lazy_view

app_name = "passkeys"


def _view(name: str) -> LazyView:
    return lazy_view(f"mfa.passkeys.{name}")


urlpatterns = [
    # Security Settings, Passkeys tab
    path("", _view("views.passkey_list"), name="list"),
    path("register/", _view("views.register"), name="register"),
    path("register/options/", _view("views.register_options"), name="register_options"),
    path("register/verify/", _view("views.register_verify"), name="register_verify"),
    path("<int:pk>/rename/", _view("views.rename"), name="rename"),
    path("<int:pk>/delete/", _view("views.delete"), name="delete"),
    # Sign in with passkey
    path("signin/", _view("signin_views.signin_page"), name="signin"),
    path("signin/options/", _view("signin_views.signin_options"), name="signin_options"),
    path("signin/verify/", _view("signin_views.signin_verify"), name="signin_verify"),
    path("signin/confirm/", _view("signin_views.signin_confirm"), name="signin_confirm"),
    # A passkey as the second factor after a password
    path(
        "challenge/options/",
        _view("signin_views.second_factor_options"),
        name="challenge_options",
    ),
]
