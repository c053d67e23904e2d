from django.urls import include, path

from bench.peers.home import home

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("", home, name="home"),
]
