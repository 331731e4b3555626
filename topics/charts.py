"""Server-drawn SVG charts: no JavaScript, readable by screen readers through their text."""

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# Room for the y axis's numbers on the left and the weeks' labels and axis title below.
LEFT, BOTTOM, TOP = 34, 34, 8


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    week: dt.date
    count: int


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class WeeklyChart:
    bars: list[Bar]
    width: int
    height: int
    peak: int
    total: int
    first: dt.date
    last: dt.date
    x_ticks: list[Tick]
    y_ticks: list[Tick]

    @property
    def left(self) -> int:
        return LEFT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM

    @property
    def middle_x(self) -> float:
        return LEFT + (self.width - LEFT) / 2


def _count_ticks(peak: int) -> list[int]:
    """0, the peak and, when there is room, a round number between them."""
    if peak <= 1:
        return [0, 1]
    middle = peak // 2
    return [0, middle, peak] if middle not in (0, peak) else [0, peak]


def weekly_chart(
    published: Iterable[dt.datetime], *, today: dt.date, weeks: int = 26,
    width: int = 520, height: int = 150,
) -> WeeklyChart:  # fmt: skip
    """Stories per week (weeks start on Monday) for the `weeks` up to and including today's."""
    this_monday = today - dt.timedelta(days=today.weekday())
    first = this_monday - dt.timedelta(weeks=weeks - 1)
    counts = Counter(d.date() - dt.timedelta(days=d.weekday()) for d in published)
    plot_height = height - BOTTOM - TOP
    baseline = height - BOTTOM
    slot = (width - LEFT) / weeks
    bars, x_ticks = [], []
    for i in range(weeks):
        week = first + dt.timedelta(weeks=i)
        count = counts.get(week, 0)
        bars.append(Bar(LEFT + i * slot + 1, baseline, max(slot - 2, 1), 0, week, count))
        # A label on the first week of each month, the month's name once it changes.
        if week.day <= 7:
            x_ticks.append(Tick(LEFT + i * slot + slot / 2, week.strftime("%b")))
    total = sum(bar.count for bar in bars)
    peak = max((bar.count for bar in bars), default=0)
    scale_top = max(peak, 1)
    for bar in bars:
        bar.height = plot_height * bar.count / scale_top
        bar.y = baseline - bar.height
    y_ticks = [
        Tick(baseline - plot_height * value / scale_top, str(value)) for value in _count_ticks(peak)
    ]
    return WeeklyChart(bars, width, height, peak, total, first, this_monday, x_ticks, y_ticks)
