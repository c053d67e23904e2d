from django.urls import path

from accounts.activity import views

urlpatterns = [
    path("activity/", views.activity, name="activity"),
    path("sessions/", views.where_signed_in, name="sessions"),
    path(
        "sessions/<int:session_id>/sign-out/",
        views.sign_out_session,
        name="session_sign_out",
    ),
    path(
        "sessions/sign-out-others/",
        views.sign_out_other_sessions,
        name="sessions_sign_out_others",
    ),
]
