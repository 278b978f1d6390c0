"""Template filters for Buddhist-era dates: {{ value|be_date }}, {{ value|be_datetime }}."""

import datetime as dt

from django import template

from gfms_portal.thaidate import format_bangkok_time, format_be_date, format_be_datetime

register = template.Library()


@register.filter
def be_date(value: dt.date | dt.datetime | None, style: str = "") -> str:
    if value is None or value == "":
        return ""
    return format_be_date(value, long=(style == "long"))


@register.filter
def be_datetime(value: dt.datetime | None) -> str:
    if value is None or value == "":
        return ""
    return format_be_datetime(value)


@register.filter
def bangkok_time(value: dt.datetime | None) -> str:
    if value is None or value == "":
        return ""
    return format_bangkok_time(value)
