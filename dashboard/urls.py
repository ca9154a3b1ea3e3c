from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import include, path, reverse

from dashboard.examples import embed_example_view
from dashboard.health import healthz, readyz


async def home(request: HttpRequest) -> HttpResponseRedirect:
    """The site's root: the index of dashboards."""
    return HttpResponseRedirect(reverse("widgets:dashboards"))


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("", include("widgets.urls")),
    path("accounts/", include("widgets.auth.urls")),
    path("admin/", admin.site.urls),
    path("examples/embed/", embed_example_view, name="embed_example"),
]
