from django.urls import path

from accounts import views

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
]
