"""Where a widget's parameters come from: its own query string, over the page's filters."""

from urllib.parse import urlsplit

from django.http import QueryDict

from widgets.memo import MAX_KEY_TEXT, LruMemo
from widgets.request_types import HtmxHttpRequest


def query_size(query: QueryDict) -> int:
    """The length of a query's keys and values: what a ``QueryDict`` keeps of its query string."""
    return sum(len(key) + sum(map(len, values)) for key, values in query.lists())


# Every widget on a page, and every poll of it, sends the same page URL.
_page_queries: LruMemo[str, QueryDict] = LruMemo(
    name="render.page_queries", max_entries=1000, max_bytes=1024 * 1024, value_size=query_size
)


def page_query(request: HtmxHttpRequest) -> QueryDict:
    """The query string of the page an HTMX request came from (empty otherwise); read-only.

    A page URL longer than ``MAX_KEY_TEXT`` is ignored, as if there were none.
    """
    current_url = request.htmx.current_url if request.htmx else None
    if not current_url or len(current_url) > MAX_KEY_TEXT:
        return QueryDict("")
    return _page_queries.get_or_make(current_url, lambda: QueryDict(urlsplit(current_url).query))


def widget_query(request: HtmxHttpRequest) -> QueryDict:
    """The widget's own query values, falling back to the page's filters.

    A widget polled from ``/?range=30d`` keeps that range even when its own
    URL does not repeat it; a value in the widget URL always wins.
    """
    page = page_query(request)
    if not request.GET:
        return page
    merged = QueryDict(mutable=True)
    for key, values in page.lists():
        merged.setlist(key, values)
    for key, values in request.GET.lists():
        merged.setlist(key, values)
    return merged
