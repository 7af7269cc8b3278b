"""Small charts drawn on the server as SVG: horizontal bars (counts, or shares of a whole) and a
timeline of dates. Each returns plain geometry, in the SVG's own units (it scales to its box); the
templates `includes/bar_chart.html` and `includes/timeline_chart.html` draw it, each with a table
of the same figures for screen readers, so no script is needed to read a chart.

Pure Python: no domain, no database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

# The longest a timeline runs by default, in days.
MAX_DAYS = 180
# Height of a line of label text above a bar, when labels go above (narrow screens read them).
_LABEL_LINE = 18


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    text: str  # what is written after the bar (the value, or "3 of 4 (75%)")
    y: int  # top of the bar
    width: int
    text_x: int
    label_y: int  # baseline of the label
    href: str = ""


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart's geometry. ``label_width`` 0: each label stands above its bar."""

    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int
    maximum: int
    room: int  # the length of a full bar (a share's track)

    @property
    def labels_above(self) -> bool:
        return self.label_width == 0


def bar_chart(
    rows: Sequence[tuple[str, int]],
    *,
    width: int = 480,
    label_width: int = 80,
    bar_height: int = 24,
    maximum: int | None = None,
    texts: Sequence[str] | None = None,
    hrefs: Sequence[str] | None = None,
) -> BarChart:
    """Bars for ``rows`` (label, value), the longest (or ``maximum``) as long as the room for bars
    allows, leaving room after each bar for its figure (``texts``, else the value). With
    ``label_width=0`` each label is written above its bar, which suits long labels."""
    values = [max(0, int(v)) for _, v in rows]
    room = width - label_width - (130 if texts else 48)
    top = max(values, default=0) if maximum is None else maximum
    gap = bar_height // 2
    above = _LABEL_LINE if label_width == 0 else 0
    step = above + bar_height + gap
    bars = []
    for n, ((label, _), value) in enumerate(zip(rows, values, strict=True)):
        length = min(room, round(room * value / top)) if top else 0
        y = gap + above + n * step
        bars.append(
            Bar(
                label=label,
                value=value,
                text=texts[n] if texts else str(value),
                y=y,
                width=length,
                text_x=label_width + length + 6,
                label_y=y - 5 if above else y + bar_height * 2 // 3,
                href=hrefs[n] if hrefs else "",
            )
        )
    height = gap + len(values) * step
    return BarChart(bars, width, height, label_width, bar_height, top, room)


def share_chart(
    rows: Sequence[tuple[str, int, int]], *, width: int = 480, bar_height: int = 18
) -> BarChart:
    """Bars for shares of a whole: ``rows`` (label, part, whole), each bar as long as its share of
    a full track, written "part of whole (percent%)"; labels above the bars."""
    percents = [round(100 * part / whole) if whole else 0 for _, part, whole in rows]
    texts = [
        f"{part} of {whole} ({p}%)" for (_, part, whole), p in zip(rows, percents, strict=True)
    ]
    return bar_chart(
        [(label, p) for (label, _, _), p in zip(rows, percents, strict=True)],
        width=width,
        label_width=0,
        bar_height=bar_height,
        maximum=100,
        texts=texts,
    )


@dataclass(frozen=True)
class Mark:
    label: str
    on: dt.date
    note: str
    y: int
    x: int  # where the date falls (clamped to the chart)
    start_x: int  # the line from today to the date
    late: bool
    href: str = ""


@dataclass(frozen=True)
class Timeline:
    """Dates on a line from ``start`` (today) to ``end``, one row each: a late date sits at the
    left edge, marked late."""

    marks: list[Mark]
    start: dt.date
    end: dt.date
    width: int
    height: int
    label_width: int
    today_x: int
    ticks: list[tuple[int, str]]  # (x, label) of the axis


def timeline(
    items: Sequence[tuple[str, dt.date, str, str]],
    *,
    today: dt.date,
    days: int | None = None,
    width: int = 480,
    label_width: int = 150,
    row: int = 26,
) -> Timeline:
    """A row per item (label, date, note, link) along ``days`` from ``today`` (by default the
    months up to the furthest date, at most six); dates beyond the end sit at the right edge, late
    ones (before today) at the left edge of a band kept for them."""
    if days is None:
        furthest = max(((on - today).days for _, on, _, _ in items), default=0)
        days = min(max(30, -(-furthest // 30) * 30), MAX_DAYS)
    end = today + dt.timedelta(days=days)
    late_band = 24
    left = label_width + late_band
    room = width - left - 12
    marks = []
    for n, (label, on, note, href) in enumerate(items):
        late = on < today
        offset = min(max((on - today).days, 0), days)
        x = label_width + 8 if late else left + round(room * offset / days)
        marks.append(Mark(label, on, note, 24 + n * row, x, left, late, href))
    ticks = []
    for k in range(0, days + 1, max(1, days // 4)):
        day = today + dt.timedelta(days=k)
        ticks.append((left + round(room * k / days), day.strftime("%d %b").lstrip("0")))
    height = 24 + len(items) * row + 4
    return Timeline(marks, today, end, width, height, label_width, left, ticks)
