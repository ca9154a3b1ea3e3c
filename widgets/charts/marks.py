"""What a laid-out chart is drawn from: marks in SVG user units, legend entries, table rows.

Each is plain data with its coordinates rounded and its hover text written, so
a template only places them.
"""

from dataclasses import dataclass

# Colours are CSS classes (chart__series--1 … --10, --other), never fixed colours: themes restyle them.
PALETTE_SIZE = 10


def colour_of(index: int) -> str:
    """The colour class suffix of the ``index``-th series or slice (from 0), cycling through the palette."""
    return str(index % PALETTE_SIZE + 1)


@dataclass(frozen=True)
class Bar:
    """A bar, or one series' segment of a stacked bar."""

    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    title: str
    is_partial: bool = False


@dataclass(frozen=True)
class Point:
    """A point of a line, drawn as a dot with its hover text."""

    label: str
    value: float
    x: float
    y: float
    title: str
    is_partial: bool = False


@dataclass(frozen=True)
class SeriesMarks:
    """One series: its name, colour, and marks (bars, or a line's points and paths)."""

    name: str
    colour: str
    bars: list[Bar]
    points: list[Point]
    line_path: str = ""  # the complete intervals, solid
    partial_path: str = ""  # the segments to or from a partial interval, dashed
    area_path: str = ""  # down to zero, for area charts


@dataclass(frozen=True)
class Band:
    """A shaded column behind a partial interval."""

    x: float
    width: float


@dataclass(frozen=True)
class LegendEntry:
    """A swatch and its text; ``colour`` is a palette number, ``other`` or ``partial``."""

    label: str
    colour: str


@dataclass(frozen=True)
class TableRow:
    """A row of the data-table fallback: its label and each value as text."""

    label: str
    cells: list[str]
    is_partial: bool = False
