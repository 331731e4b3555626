"""Server-drawn SVG charts: no JavaScript, readable by screen readers through their text."""

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    week: dt.date
    count: int


@dataclass
class WeeklyChart:
    bars: list[Bar]
    width: int
    height: int
    peak: int
    total: int
    first: dt.date
    last: dt.date


def weekly_chart(
    published: Iterable[dt.datetime], *, today: dt.date, weeks: int = 26,
    width: int = 520, height: int = 120,
) -> WeeklyChart:  # fmt: skip
    """Stories per week (weeks start on Monday) for the `weeks` up to and including today's."""
    this_monday = today - dt.timedelta(days=today.weekday())
    first = this_monday - dt.timedelta(weeks=weeks - 1)
    counts = Counter(d.date() - dt.timedelta(days=d.weekday()) for d in published)
    peak = max(counts.values(), default=0)
    slot = width / weeks
    bars = []
    for i in range(weeks):
        week = first + dt.timedelta(weeks=i)
        count = counts.get(week, 0)
        bar_height = (height - 16) * count / peak if peak else 0
        bars.append(
            Bar(i * slot + 1, height - bar_height, max(slot - 2, 1), bar_height, week, count)
        )
    total = sum(bar.count for bar in bars)
    return WeeklyChart(bars, width, height, peak, total, first, this_monday)
