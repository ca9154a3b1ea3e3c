"""The widget endpoint: one widget as an HTMX fragment, or as a minimal page."""

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from widgets.auth import Verdict, check_access, login_redirect
from widgets.registry import registry
from widgets.render import forbidden_frame, frame_for, render_frame, widget_query
from widgets.request_types import HtmxHttpRequest


@require_safe
async def widget_view(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """Check who is asking, validate the widget's parameters, load it, and render it in its state."""
    widget = registry.get(name)
    if widget is not None:
        verdict = await check_access(widget, request)
        if verdict is Verdict.LOGIN_REQUIRED:
            return login_redirect(request)
        if verdict is Verdict.FORBIDDEN:
            return render_frame(request, forbidden_frame(widget), status=403)
    frame, status = await frame_for(request, name, widget_query(request))
    return render_frame(request, frame, status=status)
