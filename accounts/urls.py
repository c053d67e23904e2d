from django.urls import include, path

from accounts import account_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.username_step, name="login"),
    path("login/method/", views.method_step, name="method"),
    path("login/password/", views.password_step, name="password"),
    path("login/restart/", views.restart, name="restart"),
    path("logout/", views.sign_out, name="logout"),
    path("password/forgot/", views.forgot_password, name="forgot_password"),
    path("password/forgot/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.password_reset_done, name="password_reset_done"),
    path("login/question/", account_views.question_step, name="security_question"),
    path("password/change/", account_views.PasswordChange.as_view(), name="password_change"),
    path("activity/", account_views.activity, name="activity"),
    path("sessions/", account_views.where_signed_in, name="sessions"),
    path(
        "sessions/<int:session_id>/sign-out/",
        account_views.sign_out_session,
        name="session_sign_out",
    ),
    path(
        "sessions/sign-out-others/",
        account_views.sign_out_other_sessions,
        name="sessions_sign_out_others",
    ),
    path("question/", account_views.question_settings, name="question_settings"),
    path("", include("accounts.invitations.urls")),
    path("", include("accounts.registration.urls")),
    path("", include("accounts.profile.urls")),
]
