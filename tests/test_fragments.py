from datetime import UTC, datetime
from unittest import mock

from widgets.render.fragments import fragment_memo, render_fragment
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
    with mock.patch("widgets.render.fragments.render_fragment", wraps=render_fragment) as rendering:
        first = fragment_memo.render(ready_frame())
        second = fragment_memo.render(ready_frame())
    assert first == second
    assert 'data-widget="rates"' in first
    assert rendering.call_count == 1


def test_a_new_load_or_another_age_renders_again():
    with mock.patch("widgets.render.fragments.render_fragment", wraps=render_fragment) as rendering:
        fragment_memo.render(ready_frame())
        fragment_memo.render(ready_frame(loaded_at=LOADED_AT.replace(minute=1)))
        older = fragment_memo.render(ready_frame(age_seconds=125, state="stale"))
    assert rendering.call_count == 3
    assert 'data-state="stale"' in older
    assert 'data-age-seconds="125"' in older


def test_placeholders_and_invalid_requests_are_not_kept():
    invalid = ready_frame(loaded_at=None, param_errors=[ParamError("range", "1y", "bad")])
    fragment_memo.render(ready_frame(loaded_at=None, state="loading"))
    fragment_memo.render(invalid)
    assert fragment_memo.key(invalid) is None
    assert len(fragment_memo) == 0


def test_the_memo_keeps_only_its_most_recently_used_entries(monkeypatch):
    monkeypatch.setattr(fragment_memo, "max_entries", 2)
    for minute in range(3):
        fragment_memo.render(ready_frame(loaded_at=LOADED_AT.replace(minute=minute)))
    assert len(fragment_memo) == 2
    assert fragment_memo.key(ready_frame()) not in fragment_memo
