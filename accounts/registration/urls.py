from django.urls import path

from accounts.registration import views

urlpatterns = [
    path("register/", views.signup, name="signup"),
    path("register/sent/", views.sent, name="signup_sent"),
    path("register/verify/<str:key>/<str:token>/", views.verify, name="signup_verify"),
]
