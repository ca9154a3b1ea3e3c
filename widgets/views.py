"""The widget endpoint: one widget as an HTMX fragment, or as a minimal page."""

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from widgets.render import frame_for, render_frame, widget_query
from widgets.request_types import HtmxHttpRequest


@require_safe
async def widget_view(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """Validate the widget's parameters, load it, and render it in its state."""
    frame, status = await frame_for(request, name, widget_query(request))
    return render_frame(request, frame, status=status)
