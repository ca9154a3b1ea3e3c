"""The demo's URLs plus the bench-only pages under ``/bench/``."""

from django.urls import include, path

urlpatterns = [
    path("bench/", include("bench.benchapp.urls")),
    path("", include("dashboard.urls")),
]
