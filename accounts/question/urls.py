from django.urls import path

from accounts.question import views

urlpatterns = [
    path("login/question/", views.question_step, name="security_question"),
    path("question/", views.question_settings, name="question_settings"),
]
