"""A frame as an HTTP response: the fragment htmx swaps in, or a minimal page."""

from django.http import HttpResponse
from django.shortcuts import render

from widgets.render.fragments import fragment_memo, render_fragment
from widgets.render.frames import WidgetFrame
from widgets.request_types import HtmxHttpRequest


def fragment_response(frame: WidgetFrame, *, status: int = 200) -> HttpResponse:
    """The frame alone, as htmx swaps it in; a loaded frame's HTML is rendered once per load."""
    html = render_fragment(frame, not_found=True) if status == 404 else fragment_memo.render(frame)
    return with_retry_after(HttpResponse(html, status=status), frame)


def render_frame(request: HtmxHttpRequest, frame: WidgetFrame, *, status: int = 200) -> HttpResponse:
    """The fragment for HTMX, or the standalone widget page for everyone else."""
    if request.htmx:
        return fragment_response(frame, status=status)
    context = {**frame.body, "frame": frame, "not_found": status == 404}
    # A plain response: Django would run a TemplateResponse's render() in a thread.
    return with_retry_after(render(request, "widgets/page.html", context, status=status), frame)


def with_retry_after(response: HttpResponse, frame: WidgetFrame) -> HttpResponse:
    """``Retry-After`` on the response of a frame that will ask again (an overloaded one)."""
    if frame.retry_after_seconds is not None:
        response["Retry-After"] = str(frame.retry_after_seconds)
    return response
