"""The bench's load generator reads widget states the way an HTML parser would."""

from html.parser import HTMLParser

import pytest

from bench.loadgen import WidgetRoot, widget_roots
from tests.users import superuser_client
from widgets.render.fragments import render_fragment
from widgets.render.frames import ParamError, WidgetFrame
from widgets.sources import SourceError


class ReferenceParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.roots: dict[str, WidgetRoot] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("data-widget")
        if name:
            self.roots[name] = WidgetRoot(name, attributes.get("data-state") or "", attributes.get("hx-get"))


def parsed(html: str) -> dict[str, WidgetRoot]:
    parser = ReferenceParser()
    parser.feed(html)
    parser.close()
    return parser.roots


@pytest.mark.django_db(transaction=True)
async def test_the_widget_roots_of_a_page_of_placeholders_match_an_html_parser():
    client = await superuser_client()
    html = (await client.get("/dashboards/shop/?range=30d", headers={"HX-Request": "true"})).text
    roots = widget_roots(html.encode())
    assert roots == parsed(html)
    assert len(roots) == 9
    assert roots["revenue"] == WidgetRoot("revenue", "loading", "/widgets/revenue/?range=30d&currency=EUR")


def test_every_state_of_a_fragment_reads_as_an_html_parser_reads_it():
    frames = [
        WidgetFrame("a", "A", "loading", "/widgets/a/?x=1&y=<2>"),
        WidgetFrame(
            "b", "B", "error", "/widgets/b/", source_errors=[SourceError("api", 'said "no" & <left>')]
        ),
        WidgetFrame("c", "C", "error", "/widgets/c/?range=x", param_errors=[ParamError("range", "x", "bad")]),
    ]
    html = (
        "<main><p>data-widget= in text</p>" + "".join(render_fragment(frame) for frame in frames) + "</main>"
    )
    roots = widget_roots(html.encode())
    assert roots == parsed(html)
    assert [root.state for root in roots.values()] == ["loading", "error", "error"]
    assert roots["a"].hx_get == "/widgets/a/?x=1&y=<2>"


def test_a_later_root_of_the_same_widget_wins_as_in_a_streamed_page():
    html = '<div data-widget="a" data-state="loading"></div><div data-widget="a" data-state="ready"></div>'
    assert widget_roots(html.encode()) == {"a": WidgetRoot("a", "ready", None)}
