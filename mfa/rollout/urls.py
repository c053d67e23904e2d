from django.urls import path

from mfa.rollout import views

app_name = "mfa_rollout"

urlpatterns = [
    path("", views.enrol, name="enrol"),
    path("reminder/", views.reminder, name="reminder"),
    path("continue/", views.continue_on, name="continue"),
]
