"""The embed page: ``path("embed/", include("widgets.embed.urls"))`` in the project's URLs.

oEmbed lives at the site's root: ``path("oembed", oembed_view, name="oembed")``
(``widgets.embed.views.oembed_view``); the embed page links to it when it is routed.
"""

from django.urls import path

from widgets.embed.views import embed_view

app_name = "embed"

urlpatterns = [
    path("<str:token>/", embed_view, name="widget"),
]
