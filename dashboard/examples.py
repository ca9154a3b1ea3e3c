"""Example pages: the framework's widgets inside ordinary pages of the demo shop."""

from django.http import HttpRequest, HttpResponse

from widgets import render_with_widgets


async def embed_example_view(request: HttpRequest) -> HttpResponse:
    """An article with widgets in its prose: one lazy, one loaded into this same response."""
    return await render_with_widgets(request, "examples/embed.html")
