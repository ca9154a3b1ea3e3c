from django.urls import include, path

from dashboard.health import healthz, readyz
from dashboard.views import dashboard_view

urlpatterns = [
    path("", dashboard_view, name="dashboard"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("widgets/", include("widgets.urls")),
]
