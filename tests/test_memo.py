import gc
import re
import uuid

import pytest

from widgets.memo import LruMemo, MemoNameTaken, clear_memos, memos

# The framework's own memos: each is made when its module is imported.
FRAMEWORK_MEMOS = {
    "asgi.csp_policies": 64,
    "asgi.skippable_signals": 64,
    "cache.keys": 1000,
    "cache.policies": 256,
    "render.fragments": 1000,
    "render.page_queries": 1000,
    "render.warned_templates": 256,
    "render.widget_paths": 1024,
}


def new_memo(max_entries: int) -> LruMemo[str, int]:
    # A name of its own: a memo kept alive by a failed test's traceback cannot clash with the next test's.
    return LruMemo(name=f"test.{uuid.uuid4().hex}", max_entries=max_entries)


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


def test_every_memo_is_listed_by_name_with_its_entries_and_bound():
    memo = new_memo(max_entries=5)
    memo.put("a", 1)
    [listed] = [listed for listed in memos() if listed.name == memo.name]
    assert listed is memo
    assert (len(listed), listed.max_entries) == (1, 5)
    assert repr(memo) == f"<LruMemo {memo.name!r}: 1 of 5>"


def test_the_framework_memos_are_registered_with_their_bounds():
    import widgets.asgi.handler
    import widgets.asgi.inline_middleware
    import widgets.render  # noqa: F401

    bounds = {memo.name: memo.max_entries for memo in memos() if memo.name in FRAMEWORK_MEMOS}
    assert bounds == FRAMEWORK_MEMOS


def test_clear_memos_empties_every_memo_and_keeps_their_bounds():
    first, second = new_memo(max_entries=3), new_memo(max_entries=4)
    first.put("a", 1)
    second.put("b", 2)
    clear_memos()
    assert (len(first), len(second)) == (0, 0)
    assert (first.max_entries, second.max_entries) == (3, 4)


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
