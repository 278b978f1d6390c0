import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation

from gfms_portal.thaidate import (
    be_stamp,
    format_be_date,
    format_be_datetime,
    format_be_value,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04-11", dt.date(2025, 4, 11)),
        ("2568-04-11", dt.date(2025, 4, 11)),
        ("11/04/2568", dt.date(2025, 4, 11)),
        ("11/4/2025", dt.date(2025, 4, 11)),
        (" 2568-4-1 ", dt.date(2025, 4, 1)),
        ("2567-02-29", dt.date(2024, 2, 29)),  # BE 2567 is the leap year CE 2024
    ],
)
def test_parse_date_accepts_common_and_buddhist_era(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "2025/04/11", "11-04-2568", "2568-13-01", "2568-02-29"])
def test_parse_date_refuses_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match="ไม่ใช่วันที่"):  # in the portal's language (Thai)
        parse_date(text)


def test_be_stamp_is_the_bangkok_day_in_buddhist_era() -> None:
    # 30 Nov 2026 17:30 UTC is already 1 Dec in Bangkok.
    moment = dt.datetime(2026, 11, 30, 17, 30, tzinfo=dt.UTC)
    assert be_stamp(moment) == "2569-12-01"
    assert be_stamp(moment, with_time=True) == "2569-12-01-0030"
    assert be_stamp(dt.date(2025, 4, 11)) == "2568-04-11"


def test_iso_values_are_shown_in_buddhist_era_bangkok_time() -> None:
    assert format_be_value("2026-12-01T07:39:07.429239+00:00", lang="th") == (
        "1 ธ.ค. 2569 14:39 น."
    )
    assert format_be_value("2026-12-20", lang="th") == "20 ธ.ค. 2569"
    assert format_be_value(dt.date(2026, 12, 20), lang="th") == "20 ธ.ค. 2569"
    for text in ("TK-2026-12", "lost phone", "2026", "20261220"):
        assert format_be_value(text, lang="th") == text


def test_format_thai_short_and_long() -> None:
    day = dt.date(2025, 4, 11)
    assert format_be_date(day, lang="th") == "11 เม.ย. 2568"
    assert format_be_date(day, long=True, lang="th") == "11 เมษายน 2568"


def test_format_english_shows_both_eras() -> None:
    assert format_be_date(dt.date(2025, 2, 10), lang="en") == "10 Feb 2025 (BE 2568)"


def test_datetime_is_shown_in_bangkok_time() -> None:
    # 11 Apr 2025 17:30 UTC is already 12 Apr 00:30 in Bangkok.
    moment = dt.datetime(2025, 4, 11, 17, 30, tzinfo=dt.UTC)
    assert format_be_date(moment, lang="th") == "12 เม.ย. 2568"
    assert format_be_datetime(moment, lang="th") == "12 เม.ย. 2568 00:30 น."


def test_template_filter_follows_active_language() -> None:
    template = Template("{{ day|be_date }}|{{ day|be_date:'long' }}|{{ moment|be_datetime }}")
    context = Context(
        {
            "day": dt.date(2025, 5, 30),
            "moment": dt.datetime(2025, 5, 30, 9, 5, tzinfo=ZoneInfo("Asia/Bangkok")),
        }
    )
    with translation.override("th"):
        assert template.render(context) == "30 พ.ค. 2568|30 พฤษภาคม 2568|30 พ.ค. 2568 09:05 น."
    with translation.override("en"):
        assert template.render(context).startswith("30 May 2025 (BE 2568)|")


def test_empty_values_render_empty() -> None:
    assert Template("[{{ missing|be_date }}]").render(Context({})) == "[]"


def test_date_field_range_error_shows_buddhist_era_dates() -> None:
    from django import forms as django_forms

    from gfms_portal.forms import ThaiDateField

    field = ThaiDateField(first=dt.date(2020, 1, 1), last=dt.date(2040, 12, 31))
    with translation.override("th"), pytest.raises(django_forms.ValidationError) as error:
        field.clean("1957-01-01")
    message = error.value.messages[0]
    assert message == (
        "“1957-01-01” (1 ม.ค. 2500) อยู่นอกช่วง 1 ม.ค. 2563 – 31 ธ.ค. 2583: "
        "ปีถูกต้องหรือไม่ (พ.ศ. หรือ ค.ศ.)"
    )
