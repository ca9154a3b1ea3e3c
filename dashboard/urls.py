from django.contrib import admin
from django.urls import include, path

from dashboard.examples import embed_example_view
from dashboard.health import healthz, readyz
from dashboard.views import dashboard_view

urlpatterns = [
    path("", dashboard_view, name="dashboard"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("widgets.urls")),
    # Sessions and auth run for this prefix only (widgets.asgi.inline_middleware.AdminOnlyMiddleware).
    path("admin/", admin.site.urls),
    path("examples/embed/", embed_example_view, name="embed_example"),
]
