from django.urls import path

from mfa.sms import views

app_name = "sms"

urlpatterns = [
    path("", views.settings_tab, name="settings"),
    path("verify/", views.verify, name="verify"),
    path("resend/", views.resend, name="resend"),
    path("cancel/", views.cancel, name="cancel"),
    path("switch/", views.switch, name="switch"),
    path("remove/", views.remove, name="remove"),
]
