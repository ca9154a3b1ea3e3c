"""Every endpoint of the app, under one include: ``path("", include("widgets.urls"))``.

- ``dashboards/``: the index of dashboards (``widgets:dashboards``);
- ``dashboards/<slug>/``: one dashboard, one streamed response (``widgets:dashboard``);
- ``widgets/<name>/``: one widget (``widgets:widget``);
- ``widgets/<name>/export.csv``, ``export.json``: its values as a download (``widgets:export``);
- ``embed/<token>/``: a widget fixed by a signed link, for other sites (``widgets:embed``);
- ``oembed``: oEmbed for embed links (``widgets:oembed``).
"""

from django.urls import path

from widgets.embed.views import embed_view, oembed_view
from widgets.export.views import export_view
from widgets.pages.views import dashboard_view, index_view
from widgets.views import widget_view

app_name = "widgets"

urlpatterns = [
    path("dashboards/", index_view, name="dashboards"),
    path("dashboards/<slug:slug>/", dashboard_view, name="dashboard"),
    path("widgets/<slug:name>/", widget_view, name="widget"),
    path("widgets/<slug:name>/export.<str:export_format>", export_view, name="export"),
    path("embed/<str:token>/", embed_view, name="embed"),
    path("oembed", oembed_view, name="oembed"),
]
