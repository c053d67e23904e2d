from django.urls import path

from accounts.invitations import views

urlpatterns = [
    path("invitation/<str:key>/<str:token>/", views.accept, name="invitation_accept"),
]
