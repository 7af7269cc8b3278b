"""A horizontal bar chart as SVG, drawn on the server: no script, no CDN.

The SVG is decoration for sighted readers (``aria-hidden``); the page puts the same figures in a
table for screen readers beside it. A hidden count (see `ombuds.cases.transparency`) has no bar and
says "fewer than 5".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ROW = 28
LABEL_WIDTH = 170
BAR_WIDTH = 200
WIDTH = LABEL_WIDTH + BAR_WIDTH + 110  # room for "fewer than 5" after the longest bar


class Bar(Protocol):
    label: str
    value: int | None

    @property
    def text(self) -> str: ...


def _short(label: str, limit: int = 21) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart_svg(bars: Sequence[Bar], *, hidden_upto: int = 0) -> SafeString:
    """One bar per item, scaled to the largest shown value, its label on the left and its count
    (or "fewer than 5") on the right; the whole drawing scales to the width of the page. A hidden
    count is drawn as a dashed outline up to ``hidden_upto`` (the most it can be), not as a bar."""
    largest = max((b.value for b in bars if b.value is not None), default=0)
    if any(b.value is None for b in bars):
        largest = max(largest, hidden_upto)
    largest = largest or 1
    height = ROW * len(bars) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" aria-hidden="true" focusable="false">'
    ]
    for i, bar in enumerate(bars):
        y = 2 + i * ROW
        width = round(BAR_WIDTH * (hidden_upto if bar.value is None else bar.value) / largest)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" text-anchor="end" font-size="14" '
            f'fill="#1a1a1a">{escape(_short(bar.label))}</text>'
        )
        if width and bar.value is None:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{width}" height="{ROW - 8}" '
                f'fill="none" stroke="#1d5c99" stroke-dasharray="4 3"/>'
            )
        elif width:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{width}" height="{ROW - 8}" '
                f'fill="#1d5c99"/>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 18}" font-size="14" '
            f'fill="#1a1a1a">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
