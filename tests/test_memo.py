import gc
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from django import forms
from django.http import QueryDict
from django.test import AsyncClient
from django.utils.safestring import SafeString

from widgets import Dashboard, PeriodField, Tile, dashboards, register
from widgets.builtin.kpi import Kpi, KpiWidget
from widgets.cache import cache_key
from widgets.memo import MAX_KEY_TEXT, OBJECT_BYTES, LruMemo, MemoNameTaken, clear_memos, estimate_size, memos
from widgets.pages.filters import read_filters
from widgets.registry import registry
from widgets.render.fragments import fragment_memo
from widgets.render.frames import WidgetFrame
from widgets.render.params import query_size

KIB, MIB = 1024, 1024 * 1024
# The framework's own memos and their bounds (entries, bytes): each is made when its module is imported.
FRAMEWORK_MEMOS = {
    "asgi.csp_policies": (64, 256 * KIB),
    "asgi.skippable_signals": (64, 256 * KIB),
    "cache.keys": (1000, 1 * MIB),
    "cache.policies": (256, 256 * KIB),
    "cache.warnings": (256, 256 * KIB),
    "embed.link_states": (4096, 512 * KIB),
    "embed.policies": (16, 64 * KIB),
    "pages.placements": (256, 2 * MIB),
    "pages.shells": (256, 2 * MIB),
    "pages.valid_filters": (256, 512 * KIB),
    "render.fragments": (1000, 8 * MIB),
    "render.page_queries": (1000, 1 * MIB),
    "render.warned_templates": (256, 64 * KIB),
    "render.widget_paths": (1024, 256 * KIB),
}


def new_memo(max_entries: int, **bounds) -> LruMemo[str, Any]:
    # A name of its own: a memo kept alive by a failed test's traceback cannot clash with the next test's.
    return LruMemo(name=f"test.{uuid.uuid4().hex}", max_entries=max_entries, **bounds)


def memo_named(name: str) -> LruMemo[Any, Any]:
    [memo] = [memo for memo in memos() if memo.name == name]
    return memo


def test_a_memo_keeps_at_most_its_bound():
    memo = new_memo(max_entries=2)
    for number in range(5):
        memo.put(str(number), number)
    assert len(memo) == 2
    assert [memo.get("3"), memo.get("4")] == [3, 4]


def test_the_least_recently_used_entry_goes_first():
    memo = new_memo(max_entries=2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # now "b" is the least recently used
    memo.put("c", 3)
    assert "a" in memo
    assert "b" not in memo


def test_get_or_make_makes_a_value_once_and_reuses_it():
    memo = new_memo(max_entries=10)
    made = []

    def make() -> int:
        made.append(1)
        return 42

    assert memo.get_or_make("answer", make) == 42
    assert memo.get_or_make("answer", make) == 42
    assert len(made) == 1


def test_a_memo_with_no_room_keeps_nothing():
    memo = new_memo(max_entries=0)
    assert memo.put("a", 1) == 1
    assert memo.get("a") is None
    assert [memo.get_or_make("b", lambda: 2) for _ in range(2)] == [2, 2]
    assert len(memo) == 0


def test_lowering_the_bound_forgets_the_oldest_entries_at_once():
    memo = new_memo(max_entries=3)
    for number in range(3):
        memo.put(str(number), number)
    memo.max_entries = 1
    assert len(memo) == 1
    assert memo.get("2") == 2
    memo.max_entries = 0
    assert len(memo) == 0


def test_a_negative_bound_is_refused():
    with pytest.raises(ValueError, match="0 or more"):
        new_memo(max_entries=-1)


# Bytes


def test_a_memo_keeps_at_most_its_bytes_counting_keys_and_text_values():
    memo = new_memo(max_entries=10, max_bytes=10)
    for key in "abc":
        memo.put(key, "1234")  # 1 + 4 bytes each
    assert ("a" in memo, len(memo), memo.used_bytes) == (False, 2, 10)
    assert [memo.get("b"), memo.get("c")] == ["1234", "1234"]


def test_the_least_recently_used_entries_go_first_until_a_big_one_fits():
    memo = new_memo(max_entries=10, max_bytes=10)
    memo.put("a", "12")
    memo.put("b", "12")
    memo.put("c", "12")
    assert memo.get("a") == "12"  # now "b" is the least recently used, then "c"
    memo.put("d", "1234567")
    assert ("a" in memo, "b" in memo, "c" in memo, "d" in memo) == (False, False, False, True)
    memo.put("e", "1")
    assert (len(memo), memo.used_bytes) == (2, 10)


def test_an_entry_larger_than_the_bytes_bound_alone_is_not_kept():
    memo = new_memo(max_entries=10, max_bytes=10)
    memo.put("a", "1")
    assert memo.put("b", "x" * 10) == "x" * 10
    assert memo.get_or_make("c", lambda: "y" * 10) == "y" * 10
    assert ("a" in memo, "b" in memo, "c" in memo, memo.used_bytes) == (True, False, False, 2)


def test_a_value_too_big_to_keep_forgets_the_older_value_of_its_key():
    memo = new_memo(max_entries=10, max_bytes=10)
    memo.put("a", "1")
    memo.put("a", "x" * 20)
    assert (memo.get("a"), memo.used_bytes) == (None, 0)


def test_replacing_a_value_counts_the_new_one_only():
    memo = new_memo(max_entries=10, max_bytes=100)
    memo.put("a", "1234")
    memo.put("a", "12")
    assert (len(memo), memo.used_bytes) == (1, 3)


def test_lowering_the_bytes_bound_forgets_the_oldest_entries_at_once():
    memo = new_memo(max_entries=10, max_bytes=100)
    for key in "abc":
        memo.put(key, "1234")
    memo.max_bytes = 5
    assert (list(memo._values), memo.used_bytes) == (["c"], 5)
    memo.max_bytes = 0
    assert len(memo) == 0


def test_a_negative_bytes_bound_is_refused():
    with pytest.raises(ValueError, match="max_bytes must be 0 or more"):
        new_memo(max_entries=1, max_bytes=-1)


def test_text_counts_its_length_tuples_their_items_and_other_objects_a_fixed_estimate():
    assert estimate_size("abc") == estimate_size(b"abc") == estimate_size(SafeString("abc")) == 3
    assert estimate_size(("ab", ("c", 1), frozenset({"de"}))) == 5 + OBJECT_BYTES
    assert estimate_size(object()) == estimate_size([1, 2]) == OBJECT_BYTES


def test_other_values_count_the_memos_value_size_a_function_or_a_number():
    by_default = new_memo(max_entries=10)
    by_function = new_memo(max_entries=10, value_size=len)
    fixed = new_memo(max_entries=10, value_size=500)
    for memo in (by_default, by_function, fixed):
        memo.put("k", [1, 2, 3])
        memo.put("t", "text")  # text counts its length, whatever value_size says
    assert [memo.used_bytes for memo in (by_default, by_function, fixed)] == [
        1 + OBJECT_BYTES + 5,
        1 + 3 + 5,
        1 + 500 + 5,
    ]


def test_a_memo_switched_off_keeps_nothing_whatever_its_bytes():
    memo = new_memo(max_entries=0, max_bytes=100)
    memo.put("a", "1")
    assert (len(memo), memo.used_bytes) == (0, 0)


def test_every_memo_is_listed_by_name_with_its_entries_bytes_and_bounds():
    memo = new_memo(max_entries=5, max_bytes=100)
    memo.put("a", "bc")
    [listed] = [listed for listed in memos() if listed.name == memo.name]
    assert listed is memo
    assert (len(listed), listed.max_entries, listed.used_bytes, listed.max_bytes) == (1, 5, 3, 100)
    assert repr(memo) == f"<LruMemo {memo.name!r}: 1 of 5 entries, 3 of 100 bytes>"


def test_the_framework_memos_are_registered_with_their_bounds():
    import widgets.asgi.handler
    import widgets.asgi.inline_middleware
    import widgets.cache
    import widgets.embed.revocation
    import widgets.embed.views
    import widgets.pages.views
    import widgets.render  # noqa: F401

    bounds = {
        memo.name: (memo.max_entries, memo.max_bytes) for memo in memos() if memo.name in FRAMEWORK_MEMOS
    }
    assert bounds == FRAMEWORK_MEMOS


def test_clear_memos_empties_every_memo_and_keeps_their_bounds():
    first, second = new_memo(max_entries=3), new_memo(max_entries=4, max_bytes=50)
    first.put("a", 1)
    second.put("b", 2)
    clear_memos()
    assert (len(first), len(second), first.used_bytes, second.used_bytes) == (0, 0, 0, 0)
    assert (first.max_entries, second.max_entries, second.max_bytes) == (3, 4, 50)


def test_a_name_is_taken_while_its_memo_exists():
    memo = new_memo(max_entries=1)
    with pytest.raises(MemoNameTaken, match=re.escape(memo.name)):
        LruMemo(name=memo.name, max_entries=1)


def test_a_framework_memos_name_cannot_be_reused():
    import widgets.cache.keys  # noqa: F401

    with pytest.raises(MemoNameTaken, match=r"cache\.keys"):
        LruMemo(name="cache.keys", max_entries=1)


def test_a_memo_no_longer_referenced_leaves_the_registry():
    name = new_memo(max_entries=1).name
    gc.collect()
    assert name not in {memo.name for memo in memos()}
    LruMemo(name=name, max_entries=1)  # the name is free again


# The bench's hook (bench/benchapp/apps.py): BENCH_MEMOS_OFF switches memos off to measure their worth.


@pytest.fixture
def bounds_restored(monkeypatch):
    """Every memo of the app server, each with its bound put back after the test."""
    from bench.benchapp.apps import known_memos

    known = known_memos()
    for memo in known.values():
        monkeypatch.setattr(memo, "max_entries", memo.max_entries)
    return known


def test_the_bench_switches_off_only_the_memos_it_names(bounds_restored):
    from bench.benchapp.apps import switch_off_memos

    switch_off_memos(["cache.keys", "render.fragments"])
    off = {name for name, memo in bounds_restored.items() if memo.max_entries == 0}
    assert off == {"cache.keys", "render.fragments"}


def test_the_bench_switches_off_every_memo_when_told_all(bounds_restored):
    from bench.benchapp.apps import switch_off_memos

    switch_off_memos(["all"])
    assert {memo.max_entries for memo in bounds_restored.values()} == {0}


def test_the_bench_refuses_an_unknown_memo_name_and_lists_the_known_ones(bounds_restored):
    from django.core.exceptions import ImproperlyConfigured

    from bench.benchapp.apps import switch_off_memos

    with pytest.raises(ImproperlyConfigured, match=r"unknown memos: cache\.kyes\. Known: .*cache\.keys"):
        switch_off_memos(["cache.keys", "cache.kyes"])
    assert all(memo.max_entries > 0 for memo in bounds_restored.values())


# Request values that key a memo: past a length, they are used but not kept


class SearchFilters(forms.Form):
    period = PeriodField(initial="7d")
    search = forms.CharField(required=False, strip=False)


class MemoProbeWidget(KpiWidget):
    name = "test_memo_probe"
    title = "Memo probe"
    params_form = SearchFilters

    async def load(self, params):
        return {"kpis": [Kpi("Search", str(len(params["search"])))]}


class SearchDashboard(Dashboard):
    slug = "test_memo_search"
    title = "Search"
    filters_form = SearchFilters
    layout = (Tile("test_memo_probe"),)


@pytest.fixture
def search_dashboard():
    register(MemoProbeWidget)
    register(SearchDashboard)
    yield
    registry.unregister(MemoProbeWidget.name)
    dashboards.unregister(SearchDashboard.slug)


PAGE_MEMOS = ("pages.valid_filters", "pages.placements", "pages.shells")


async def test_a_page_whose_filters_are_short_is_kept_in_the_page_memos(search_dashboard, in_process):
    response = await AsyncClient().get("/dashboards/test_memo_search/?search=short")
    assert response.status_code == 200
    assert [len(memo_named(name)) for name in PAGE_MEMOS] == [1, 1, 1]


async def test_a_page_whose_filters_are_long_is_served_but_kept_in_no_page_memo(search_dashboard, in_process):
    long_search = "x" * (MAX_KEY_TEXT + 1)
    response = await AsyncClient().get(f"/dashboards/test_memo_search/?search={long_search}&range=30d")
    html = "".join([chunk.decode() async for chunk in response.streaming_content])
    assert (response.status_code, f'value="{long_search}"' in html) == (200, True)
    assert [len(memo_named(name)) for name in PAGE_MEMOS] == [0, 0, 0]


def test_filters_padded_past_the_cap_are_valid_but_not_kept():
    padded = QueryDict(mutable=True)
    padded["range"] = "30d" + " " * MAX_KEY_TEXT  # a PeriodField strips its values
    page_filters = read_filters(SearchDashboard(), padded)
    assert (page_filters.is_valid, page_filters.query) == (True, (("range", "30d"), ("search", "")))
    assert len(memo_named("pages.valid_filters")) == 0


def test_a_cache_key_of_long_parameters_is_built_every_time_and_not_kept():
    widget = MemoProbeWidget()
    long_params = {"search": "x" * (MAX_KEY_TEXT + 1)}
    assert cache_key(widget, long_params) == cache_key(widget, dict(long_params))
    assert len(memo_named("cache.keys")) == 0
    cache_key(widget, {"search": "x"})
    assert len(memo_named("cache.keys")) == 1


def test_the_fragment_of_a_frame_with_a_long_url_is_rendered_but_not_kept():
    loaded_at = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    long_url = "/widgets/test_memo_probe/?search=" + "x" * MAX_KEY_TEXT
    frame = WidgetFrame(
        "test_memo_probe",
        "Memo probe",
        "ready",
        long_url,
        body_template=MemoProbeWidget().ready_template,
        body={"kpis": [Kpi("Search", "1")]},
        loaded_at=loaded_at,
        age_seconds=0,
    )
    assert 'data-widget="test_memo_probe"' in fragment_memo.render(frame)
    assert len(fragment_memo) == 0
    fragment_memo.render(replace(frame, url="/widgets/test_memo_probe/"))
    assert len(fragment_memo) == 1


def test_a_page_query_counts_its_keys_and_values():
    assert query_size(QueryDict("range=30d&currency=USD&currency=EUR")) == 5 + 3 + 8 + 3 + 3
