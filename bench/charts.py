"""How long a 90-point chart takes: ours (``widgets.charts``, laid out and rendered), and libraries.

    python -m bench.charts [--runs 300]

Prints the median milliseconds per chart over ``--runs`` runs, for each of our
kinds: building it (layout), rendering its template (SVG, legend and data
table), and both. Then the same 90 points as a line chart by pygal and leather,
when they are importable (they are not project dependencies: install them in
a throwaway environment and put its site-packages on ``PYTHONPATH``).
"""

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

POINTS = 90
START = datetime(2026, 9, 1, tzinfo=UTC)


def median_ms(run: Callable[[], object], runs: int) -> float:
    run()  # warm: templates compiled, imports done
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations) * 1000


def series() -> list[tuple[datetime, float]]:
    return [(START + timedelta(days=day), float((day * 37) % 101)) for day in range(POINTS)]


def ours(runs: int) -> list[tuple[str, float, float]]:
    """``(kind, build ms, render ms)`` for each kind of ours."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ.setdefault("SECRET_KEY", "bench-charts-only-not-a-secret")
    import django

    django.setup()
    from django.template.loader import get_template

    from widgets.charts import (
        Series,
        area_chart,
        bar_chart,
        donut_chart,
        line_chart,
        sparkline,
        stacked_bar_chart,
    )
    from widgets.pages import TimeWindow

    points = series()
    half = [(moment, value / 2) for moment, value in points]
    window = TimeWindow(START + timedelta(hours=5), START + timedelta(days=POINTS - 1, hours=5))
    builders: dict[str, Callable[[], Any]] = {
        "line": lambda: line_chart("Orders", [Series("Orders", points)], unit="orders", window=window),
        "area": lambda: area_chart("Orders", [Series("Orders", points)], unit="orders", window=window),
        "bar": lambda: bar_chart("Orders", points, unit="orders", window=window),
        "stacked bar (2 × 90)": lambda: stacked_bar_chart(
            "Orders", [Series("Paid", points), Series("Refunded", half)], unit="orders", window=window
        ),
        "donut (11 slices)": lambda: donut_chart(
            "Countries", [(f"C{index}", float(index + 1)) for index in range(15)], shown_slices=10
        ),
        "sparkline": lambda: sparkline("Orders", points, unit="orders", window=window),
    }
    results = []
    for kind, build in builders.items():
        chart = build()
        template = get_template(chart.template_name)
        context = {"chart": chart, "chart_id": "bench"}
        rendering = template.render
        results.append((kind, median_ms(build, runs), median_ms(partial(rendering, context), runs)))
    return results


def libraries(runs: int) -> list[tuple[str, float]]:
    """``(library and kind, ms)`` for the libraries that import."""
    points = [(moment.replace(tzinfo=None), value) for moment, value in series()]  # leather wants naive
    results = []
    try:
        import pygal  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pass
    else:

        def pygal_line() -> str:
            chart = pygal.DateTimeLine(show_legend=False, disable_xml_declaration=True, js=[])
            chart.title = "Orders"
            chart.add("Orders", points)
            return str(chart.render(is_unicode=True))

        def pygal_bar() -> str:
            chart = pygal.Bar(show_legend=False, disable_xml_declaration=True, js=[])
            chart.x_labels = [moment.strftime("%d %b") for moment, _ in points]
            chart.add("Orders", [value for _, value in points])
            return str(chart.render(is_unicode=True))

        results += [("pygal line", median_ms(pygal_line, runs)), ("pygal bar", median_ms(pygal_bar, runs))]
    try:
        import leather  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        pass
    else:

        def leather_line() -> str:
            chart = leather.Chart("Orders")
            chart.add_line(points)
            svg = io.StringIO()
            chart.to_svg(svg)
            return svg.getvalue()

        def leather_columns() -> str:
            chart = leather.Chart("Orders")
            chart.add_columns([(moment.strftime("%d %b"), value) for moment, value in points])
            svg = io.StringIO()
            chart.to_svg(svg)
            return svg.getvalue()

        results += [
            ("leather line", median_ms(leather_line, runs)),
            ("leather columns", median_ms(leather_columns, runs)),
        ]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    print(f"Median ms per chart of {POINTS} points, {runs} runs")
    print(f"{'ours':<24} {'build':>7} {'render':>7} {'total':>7}")
    for kind, build, render in ours(runs):
        print(f"{kind:<24} {build:7.2f} {render:7.2f} {build + render:7.2f}")
    found = libraries(runs)
    if not found:
        print("pygal, leather: not importable")
    for kind, total in found:
        print(f"{kind:<24} {'':>7} {'':>7} {total:7.2f}")


if __name__ == "__main__":
    main()
