from django.urls import path

from accounts.password import views

urlpatterns = [
    path("password/forgot/", views.forgot_password, name="forgot_password"),
    path("password/forgot/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.password_reset_done, name="password_reset_done"),
    path("password/change/", views.PasswordChange.as_view(), name="password_change"),
]
