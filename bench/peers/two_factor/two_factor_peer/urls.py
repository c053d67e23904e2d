from django.urls import include, path
from two_factor.urls import urlpatterns as tf_urls

from bench.peers.home import home

urlpatterns = [
    path("", include(tf_urls)),
    path("", home, name="home"),
]
