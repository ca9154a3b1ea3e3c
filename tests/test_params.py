import pytest
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from widgets.render.params import page_query, widget_query

PAGE_URL = "http://testserver/?range=30d&currency=USD"


@pytest.fixture
def widget_request():
    """A GET of a widget URL, from HTMX on the page at ``page_url`` unless that is None."""

    def build(path, page_url=PAGE_URL):
        headers = {} if page_url is None else {"HX-Request": "true", "HX-Current-URL": page_url}
        request = RequestFactory().get(path, headers=headers)
        request.htmx = HtmxDetails(request)
        return request

    return build


def test_page_query_is_the_query_of_the_htmx_page(widget_request):
    assert page_query(widget_request("/widgets/probe/")).dict() == {"range": "30d", "currency": "USD"}


def test_page_query_is_empty_without_htmx(widget_request):
    assert page_query(widget_request("/widgets/probe/", page_url=None)) == {}


def test_page_filters_apply_when_the_widget_url_omits_them(widget_request):
    query = widget_query(widget_request("/widgets/probe/"))
    assert query.dict() == {"range": "30d", "currency": "USD"}


def test_widget_url_value_wins_over_the_page_filter(widget_request):
    query = widget_query(widget_request("/widgets/probe/?range=24h"))
    assert query.dict() == {"range": "24h", "currency": "USD"}


def test_widget_url_keeps_every_value_of_a_repeated_key(widget_request):
    query = widget_query(widget_request("/widgets/probe/?tag=a&tag=b"))
    assert query.getlist("tag") == ["a", "b"]


def test_without_htmx_only_the_widget_url_counts(widget_request):
    query = widget_query(widget_request("/widgets/probe/?range=24h", page_url=None))
    assert query.dict() == {"range": "24h"}


def test_the_page_query_of_one_page_url_is_parsed_once_and_read_only(widget_request):
    first = page_query(widget_request("/widgets/probe/"))
    second = page_query(widget_request("/widgets/other/"))
    assert first is second
    with pytest.raises(AttributeError, match="immutable"):
        first["range"] = "7d"


def test_merging_the_widget_url_leaves_the_page_query_as_it_was(widget_request):
    merged = widget_query(widget_request("/widgets/probe/?range=7d"))
    assert merged.dict() == {"range": "7d", "currency": "USD"}
    assert page_query(widget_request("/widgets/probe/")).dict() == {"range": "30d", "currency": "USD"}


def test_a_page_url_longer_than_the_cap_is_ignored_and_not_kept(widget_request):
    from widgets.memo import MAX_KEY_TEXT, memos

    [kept] = [memo for memo in memos() if memo.name == "render.page_queries"]
    long_url = "http://testserver/?range=30d&junk=" + "x" * MAX_KEY_TEXT
    assert page_query(widget_request("/widgets/probe/", page_url=long_url)) == {}
    assert widget_query(widget_request("/widgets/probe/?range=24h", page_url=long_url)).dict() == {
        "range": "24h"
    }
    assert len(kept) == 0
