from django.urls import path

from mfa.passkeys import signin_views, views

app_name = "passkeys"

urlpatterns = [
    # Security Settings, Passkeys tab
    path("", views.passkey_list, name="list"),
    path("register/", views.register, name="register"),
    path("register/options/", views.register_options, name="register_options"),
    path("register/verify/", views.register_verify, name="register_verify"),
    path("<int:pk>/rename/", views.rename, name="rename"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    # Sign in with passkey
    path("signin/", signin_views.signin_page, name="signin"),
    path("signin/options/", signin_views.signin_options, name="signin_options"),
    path("signin/verify/", signin_views.signin_verify, name="signin_verify"),
    path("signin/confirm/", signin_views.signin_confirm, name="signin_confirm"),
    # A passkey as the second factor after a password
    path("challenge/options/", signin_views.second_factor_options, name="challenge_options"),
]
