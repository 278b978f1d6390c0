"""The burn-up chart of the progress page, drawn on the server as SVG coordinates (the template
writes the markup): no JavaScript, no third-party code, and the same numbers in a table."""

import datetime as dt
from dataclasses import dataclass

from monitoring.progress import Burnup

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 12, 36  # room for the axis labels
MAX_DAYS_AFTER_CLOSE = 60  # a projection later than this is drawn to the edge


@dataclass(frozen=True)
class Tick:
    at: float
    label: object  # a number or a date (the template formats dates in the Buddhist era)


@dataclass(frozen=True)
class BurnupChart:
    width: int
    height: int
    registered: str  # SVG points "x,y x,y …"
    needed: str
    projection: str  # "" when there is no projection to draw
    closes_x: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    plot_top: int
    plot_bottom: int
    plot_left: int
    plot_right: int


def _points(pairs: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in pairs)


def burnup_chart(data: Burnup) -> BurnupChart | None:
    if not data.days or data.total == 0:
        return None
    first = data.opens
    finish = data.projected_finish
    last = max(data.closes, data.days[-1].day)
    if finish is not None and finish > last:
        last = min(finish, data.closes + dt.timedelta(days=MAX_DAYS_AFTER_CLOSE))
    span = max((last - first).days, 1)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM

    def x(day: dt.date) -> float:
        return LEFT + plot_width * (day - first).days / span

    def y(count: float) -> float:
        return TOP + plot_height * (1 - min(count, data.total) / data.total)

    registered = [(x(day.day), y(day.registered)) for day in data.days]
    needed = [(LEFT, y(0)), (x(data.closes), y(data.total))]
    projection = ""
    if data.remaining > 0 and data.recent_per_day > 0:
        end = min(finish or last, last)
        end_count = data.registered + data.recent_per_day * (end - data.days[-1].day).days
        projection = _points([registered[-1], (x(end), y(end_count))])
    values = sorted({round(data.total * share / 4) for share in range(5)})  # whole officers
    y_ticks = [Tick(y(value), value) for value in values]
    x_ticks = [Tick(x(data.opens), data.opens), Tick(x(data.closes), data.closes)]
    apart = span / 6  # keep the three date labels from overlapping
    if (data.today - data.opens).days > apart and (data.closes - data.today).days > apart:
        x_ticks.insert(1, Tick(x(data.today), data.today))
    return BurnupChart(
        width=WIDTH,
        height=HEIGHT,
        registered=_points(registered),
        needed=_points(needed),
        projection=projection,
        closes_x=x(data.closes),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
    )
