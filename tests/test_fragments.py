from datetime import UTC, datetime
from unittest import mock

from widgets.render.fragments import FragmentMemo, render_fragment
from widgets.render.frames import ParamError, WidgetFrame

LOADED_AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ready_frame(**changes) -> WidgetFrame:
    values = dict(
        name="rates",
        title="Rates",
        state="ready",
        url="/widgets/rates/",
        refresh_seconds=30,
        body_template="widgets/builtin/rates.html#ready",
        body={"base": "EUR", "date": "2026-11-25", "rates": [("USD", 1.1)]},
        loaded_at=LOADED_AT,
        age_seconds=3,
    )
    return WidgetFrame(**{**values, **changes})


def test_a_load_renders_once_for_every_viewer():
    memo = FragmentMemo()
    with mock.patch("widgets.render.fragments.render_fragment", wraps=render_fragment) as rendering:
        first = memo.render(ready_frame())
        second = memo.render(ready_frame())
    assert first == second
    assert 'data-widget="rates"' in first
    assert rendering.call_count == 1


def test_a_new_load_or_another_age_renders_again():
    memo = FragmentMemo()
    with mock.patch("widgets.render.fragments.render_fragment", wraps=render_fragment) as rendering:
        memo.render(ready_frame())
        memo.render(ready_frame(loaded_at=LOADED_AT.replace(minute=1)))
        older = memo.render(ready_frame(age_seconds=125, state="stale"))
    assert rendering.call_count == 3
    assert 'data-state="stale"' in older
    assert 'data-age-seconds="125"' in older


def test_placeholders_and_invalid_requests_are_not_kept():
    memo = FragmentMemo()
    invalid = ready_frame(loaded_at=None, param_errors=[ParamError("range", "1y", "bad")])
    memo.render(ready_frame(loaded_at=None, state="loading"))
    memo.render(invalid)
    assert memo.key(invalid) is None
    assert len(memo._fragments) == 0


def test_the_memo_keeps_only_its_most_recently_used_entries():
    memo = FragmentMemo(max_entries=2)
    for minute in range(3):
        memo.render(ready_frame(loaded_at=LOADED_AT.replace(minute=minute)))
    assert len(memo._fragments) == 2
    assert memo.key(ready_frame()) not in memo._fragments
