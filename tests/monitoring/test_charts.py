"""The burn-up chart is drawn for a PC and for a phone: each frame fits its own width, and the
phone's keeps only the two date labels that cannot overlap (opening and closing day)."""

import datetime as dt
import re

from monitoring.charts import NARROW, WIDE, burnup_chart
from monitoring.progress import Burnup, BurnupDay

OPENS, CLOSES, TODAY = dt.date(2025, 2, 10), dt.date(2025, 4, 11), dt.date(2025, 3, 12)


def burnup() -> Burnup:
    days = [
        BurnupDay(day=OPENS + dt.timedelta(days=n), registered=n * 3, needed=n * 5)
        for n in range((TODAY - OPENS).days + 1)
    ]
    return Burnup(
        total=300,
        opens=OPENS,
        closes=CLOSES,
        today=TODAY,
        days=days,
        recent_per_day=3.0,
        needed_per_day=5.0,
    )


def xs(points: str) -> list[float]:
    return [float(pair.split(",")[0]) for pair in points.split()]


def test_each_frame_is_drawn_inside_its_own_width() -> None:
    for frame in (WIDE, NARROW):
        chart = burnup_chart(burnup(), frame)
        assert chart is not None
        assert (chart.name, chart.width, chart.height) == (frame.name, frame.width, frame.height)
        for points in (chart.registered, chart.needed, chart.projection):
            assert all(frame.left <= x <= frame.width - frame.right for x in xs(points))
        assert chart.plot_left == frame.left and chart.plot_right == frame.width - frame.right


def test_the_phone_frame_shows_two_date_labels_the_pc_three() -> None:
    wide, narrow = burnup_chart(burnup(), WIDE), burnup_chart(burnup(), NARROW)
    assert wide is not None and narrow is not None
    assert [tick.label for tick in wide.x_ticks] == [OPENS, TODAY, CLOSES]
    assert [tick.label for tick in narrow.x_ticks] == [OPENS, CLOSES]


def test_the_progress_page_draws_both_and_the_css_shows_one_per_screen(settings) -> None:
    css = (settings.BASE_DIR / "static" / "css" / "portal.css").read_text()
    assert ".chart-narrow { display: none; }" in css
    narrow_rules = re.search(r"@media \(max-width: 40rem\) \{\s*\.chart-wide[^}]*\}[^}]*\}", css)
    assert narrow_rules is not None and ".chart-narrow { display: block; }" in narrow_rules[0]
    # Labels of 13 SVG units on a drawing shown at about its own width: about 13 px.
    assert ".chart .axis { font-size: 13px;" in css
