from django.urls import path

from mfa import views
from mfa.challenge import views as challenge

app_name = "mfa"

urlpatterns = [
    path("", views.security_settings, name="settings"),
    path("email/", views.email_tab, name="email"),
    path("email/verify/", views.email_verify, name="email_verify"),
    path("email/resend/", views.email_resend, name="email_resend"),
    path("email/cancel/", views.email_cancel, name="email_cancel"),
    path("email/remove/", views.email_remove, name="email_remove"),
    path("authenticator/", views.authenticator_tab, name="authenticator"),
    path("authenticator/remove/", views.authenticator_remove, name="authenticator_remove"),
    path("recovery/", views.recovery_tab, name="recovery"),
    path("recovery/download/", views.recovery_download, name="recovery_download"),
    path("devices/", views.trusted_devices_tab, name="trusted_devices"),
    path(
        "devices/<int:device_id>/revoke/", views.trusted_device_revoke, name="trusted_device_revoke"
    ),
    path("devices/revoke-all/", views.trusted_device_revoke_all, name="trusted_device_revoke_all"),
    path("reauth/", views.reauth, name="reauth"),
    path("challenge/", challenge.picker, name="challenge"),
    path("challenge/confirm/", challenge.confirm, name="challenge_confirm"),
    path("challenge/<slug:slug>/", challenge.method_page, name="challenge_method"),
    path("challenge/<slug:slug>/resend/", challenge.resend, name="challenge_resend"),
    path("step-up/", challenge.step_up, name="step_up"),
    path("enrol/", challenge.enrol, name="enrol"),
    path("confirm-account/", challenge.prove_account, name="prove_account"),
]
