from django.urls import path

from accounts.signin import views

urlpatterns = [
    path("login/", views.username_step, name="login"),
    path("login/method/", views.method_step, name="method"),
    path("login/password/", views.password_step, name="password"),
    path("login/restart/", views.restart, name="restart"),
    path("logout/", views.sign_out, name="logout"),
]
