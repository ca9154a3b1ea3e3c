"""Where a widget's parameters come from: its own query string, over the page's filters."""

from urllib.parse import urlsplit

from django.http import QueryDict

from widgets.requests import HtmxHttpRequest


def page_query(request: HtmxHttpRequest) -> QueryDict:
    """The query string of the page an HTMX request came from (empty otherwise)."""
    current_url = request.htmx.current_url if request.htmx else None
    return QueryDict(urlsplit(current_url).query if current_url else "")


def widget_query(request: HtmxHttpRequest) -> QueryDict:
    """The widget's own query values, falling back to the page's filters.

    A widget polled from ``/?range=30d`` keeps that range even when its own
    URL does not repeat it; a value in the widget URL always wins.
    """
    merged = page_query(request).copy()
    for key in request.GET:
        merged.setlist(key, request.GET.getlist(key))
    return merged
