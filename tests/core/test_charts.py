"""The server-drawn charts' geometry (ombuds.core.charts): bars in proportion, shares of a
whole written out, a timeline that keeps late and far dates on the chart."""

from __future__ import annotations

import datetime as dt

from ombuds.core.charts import bar_chart, share_chart, timeline


def test_bars_are_in_proportion_and_the_longest_fills_the_room():
    chart = bar_chart([("a", 4), ("b", 2), ("c", 0)], width=480, label_width=80)
    a, b, c = chart.bars
    assert a.width == chart.room and b.width == chart.room // 2 and c.width == 0
    assert [bar.text for bar in chart.bars] == ["4", "2", "0"]
    assert chart.height > c.y + chart.bar_height


def test_no_rows_draws_an_empty_chart_rather_than_failing():
    chart = bar_chart([])
    assert chart.bars == [] and chart.maximum == 0


def test_shares_are_written_as_part_of_whole_with_the_percent():
    chart = share_chart([("Campaign", 3, 4), ("Nobody asked", 0, 0)])
    first, empty = chart.bars
    assert first.text == "3 of 4 (75%)" and first.width == round(chart.room * 0.75)
    assert empty.text == "0 of 0 (0%)" and empty.width == 0
    assert chart.labels_above and first.label_y < first.y


def test_a_timeline_keeps_late_and_far_dates_on_the_chart():
    today = dt.date(2026, 1, 1)
    items = [
        ("late", today - dt.timedelta(days=3), "Acknowledge", ""),
        ("soon", today + dt.timedelta(days=10), "Answer", ""),
        ("far", today + dt.timedelta(days=400), "Appeal", ""),
    ]
    chart = timeline(items, today=today)
    late, soon, far = chart.marks
    assert late.late and late.x < chart.today_x
    assert chart.today_x < soon.x < far.x <= chart.width
    assert (chart.end - today).days == 180  # six months at most by default
    assert chart.ticks[0][0] == chart.today_x
