"""The burn-up chart of the progress page, drawn on the server as SVG coordinates (the template
writes the markup): no JavaScript, no third-party code, and the same numbers in a table."""

import datetime as dt
from dataclasses import dataclass

from monitoring.forecast import DailyCount
from monitoring.progress import Burnup

MAX_DAYS_AFTER_CLOSE = 60  # a projection later than this is drawn to the edge


@dataclass(frozen=True)
class Frame:
    """The drawing's size in SVG units and the room kept for the axis labels. The page scales
    the drawing to its width, so a frame is drawn for the width it will be shown at: the
    labels (13 units, portal.css) then stay about 13 px on the screen."""

    name: str
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    tick_gap: int  # today's date label only if 1/tick_gap of the span from the others; 0: never


WIDE = Frame("wide", 640, 260, 56, 16, 12, 36, 6)  # a PC: shown 640–900 px wide
# A phone: shown 330–400 px wide, room for two date labels only (opening and closing day).
NARROW = Frame("narrow", 340, 240, 44, 12, 12, 36, 0)


@dataclass(frozen=True)
class Tick:
    at: float
    label: object  # a number or a date (the template formats dates in the Buddhist era)


@dataclass(frozen=True)
class BurnupChart:
    name: str  # the frame's: ids in the page and the CSS that shows one chart per screen
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


def burnup_chart(data: Burnup, frame: Frame = WIDE) -> BurnupChart | None:
    if not data.days or data.total == 0:
        return None
    first = data.opens
    finish = data.projected_finish
    last = max(data.closes, data.days[-1].day)
    if finish is not None and finish > last:
        last = min(finish, data.closes + dt.timedelta(days=MAX_DAYS_AFTER_CLOSE))
    span = max((last - first).days, 1)
    plot_width = frame.width - frame.left - frame.right
    plot_height = frame.height - frame.top - frame.bottom

    def x(day: dt.date) -> float:
        return frame.left + plot_width * (day - first).days / span

    def y(count: float) -> float:
        return frame.top + plot_height * (1 - min(count, data.total) / data.total)

    registered = [(x(day.day), y(day.registered)) for day in data.days]
    needed = [(frame.left, y(0)), (x(data.closes), y(data.total))]
    projection = ""
    if data.remaining > 0 and data.recent_per_day > 0:
        end = min(finish or last, last)
        end_count = data.registered + data.recent_per_day * (end - data.days[-1].day).days
        projection = _points([registered[-1], (x(end), y(end_count))])
    values = sorted({round(data.total * share / 4) for share in range(5)})  # whole officers
    y_ticks = [Tick(y(value), value) for value in values]
    x_ticks = [Tick(x(data.opens), data.opens), Tick(x(data.closes), data.closes)]
    apart = span / frame.tick_gap if frame.tick_gap else span  # keep the labels from overlapping
    if (data.today - data.opens).days > apart and (data.closes - data.today).days > apart:
        x_ticks.insert(1, Tick(x(data.today), data.today))
    return BurnupChart(
        name=frame.name,
        width=frame.width,
        height=frame.height,
        registered=_points(registered),
        needed=_points(needed),
        projection=projection,
        closes_x=x(data.closes),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        plot_top=frame.top,
        plot_bottom=frame.height - frame.bottom,
        plot_left=frame.left,
        plot_right=frame.width - frame.right,
    )


@dataclass(frozen=True)
class DailyChart:
    """A count per day as a line (the forecast page's trend), in the burn-up's frames."""

    name: str
    width: int
    height: int
    line: str  # SVG points
    dots: list[tuple[float, float]]  # one per day, so that a single day still shows
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    plot_top: int
    plot_bottom: int
    plot_left: int
    plot_right: int


def daily_chart(days: list[DailyCount], frame: Frame = WIDE) -> DailyChart | None:
    if not days:
        return None
    top = max(max(day.officers for day in days), 1)
    span = max(len(days) - 1, 1)
    plot_width = frame.width - frame.left - frame.right
    plot_height = frame.height - frame.top - frame.bottom

    def x(index: int) -> float:
        return frame.left + plot_width * index / span

    def y(count: float) -> float:
        return frame.top + plot_height * (1 - count / top)

    pairs = [(x(index), y(day.officers)) for index, day in enumerate(days)]
    values = sorted({round(top * share / 4) for share in range(5)})
    x_ticks = [Tick(x(0), days[0].day)]
    if len(days) > 1:
        x_ticks.append(Tick(x(len(days) - 1), days[-1].day))
    if frame.tick_gap and len(days) > 2 * frame.tick_gap:
        middle = len(days) // 2
        x_ticks.insert(1, Tick(x(middle), days[middle].day))
    return DailyChart(
        name=frame.name,
        width=frame.width,
        height=frame.height,
        line=_points(pairs),
        dots=pairs,
        y_ticks=[Tick(y(value), value) for value in values],
        x_ticks=x_ticks,
        plot_top=frame.top,
        plot_bottom=frame.height - frame.bottom,
        plot_left=frame.left,
        plot_right=frame.width - frame.right,
    )
