from widgets.sources.timing import SourceTiming, collect_timings, record_timing, server_timing_header


def test_timings_recorded_inside_the_block_are_collected():
    timing = SourceTiming("rates", 12.0, is_ok=True)
    with collect_timings() as timings:
        record_timing(timing)
    assert timings == [timing]


def test_timings_recorded_outside_a_block_are_dropped():
    record_timing(SourceTiming("rates", 12.0, is_ok=True))
    with collect_timings() as timings:
        pass
    assert timings == []


def test_nested_block_collects_separately_and_restores_the_outer_one():
    with collect_timings() as outer:
        with collect_timings() as inner:
            record_timing(SourceTiming("inner", 1.0, is_ok=True))
        record_timing(SourceTiming("outer", 2.0, is_ok=True))
    assert [timing.name for timing in inner] == ["inner"]
    assert [timing.name for timing in outer] == ["outer"]


def test_header_has_one_entry_per_source_with_duration_and_outcome():
    header = server_timing_header(
        [SourceTiming("revenue", 12.345, is_ok=True), SourceTiming("fx-rate", 3000.0, is_ok=False)]
    )
    assert header == 'revenue;dur=12.3;desc="ok", fx-rate;dur=3000.0;desc="failed"'


def test_header_turns_a_url_into_a_token():
    header = server_timing_header([SourceTiming("https://www.djangoproject.com/", 5.0, is_ok=True)])
    assert header == 'https-www.djangoproject.com;dur=5.0;desc="ok"'


def test_header_calls_a_name_without_token_characters_source():
    assert server_timing_header([SourceTiming("ü ü", 1.0, is_ok=True)]) == 'source;dur=1.0;desc="ok"'


def test_header_of_no_timings_is_empty():
    assert server_timing_header([]) == ""
