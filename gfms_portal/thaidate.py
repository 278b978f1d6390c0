"""Buddhist-era dates: shown as "11 เม.ย. 2568", accepted as 2568-04-11 or 2025-04-11."""

import datetime as dt
import re

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from gfms_portal.clock import BANGKOK

BE_OFFSET = 543
# A year this large can only be Buddhist era: CE 2400 is centuries away, BE 2400 was 1857.
FIRST_BE_YEAR = 2400

THAI_MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
THAI_MONTHS_LONG = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
ENGLISH_MONTHS_SHORT = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip

_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("aware datetime required")
        return value.astimezone(BANGKOK).date()
    return value


def format_be_date(value: dt.date | dt.datetime, *, long: bool = False, lang: str = "") -> str:
    """Thai: "11 เม.ย. 2568" (or "11 เมษายน 2568" with long=True). English: "11 Apr 2025 (BE
    2568)" so an English reader sees both eras."""
    day = _local_date(value)
    lang = (lang or get_language() or "th")[:2]
    if lang == "th":
        months = THAI_MONTHS_LONG if long else THAI_MONTHS_SHORT
        return f"{day.day} {months[day.month - 1]} {day.year + BE_OFFSET}"
    return f"{day.day} {ENGLISH_MONTHS_SHORT[day.month - 1]} {day.year} (BE {day.year + BE_OFFSET})"


def format_be_datetime(value: dt.datetime, *, lang: str = "") -> str:
    """ "11 เม.ย. 2568 23:59 น." in Asia/Bangkok time."""
    local = value.astimezone(BANGKOK)
    lang = (lang or get_language() or "th")[:2]
    suffix = " น." if lang == "th" else ""
    return f"{format_be_date(local, lang=lang)} {local:%H:%M}{suffix}"


_ISO_VALUE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?$"
)


def format_be_value(value: object, *, lang: str = "") -> str:
    """A date or an aware datetime — or its ISO text, as stored in JSON (audit details) — the
    way people read it: "1 ธ.ค. 2569" or "1 ธ.ค. 2569 14:39 น." (Bangkok). Anything else is
    returned as text, unchanged."""
    if isinstance(value, str) and _ISO_VALUE.match(value):
        try:
            parsed: object = (
                dt.date.fromisoformat(value)
                if len(value) == 10
                else dt.datetime.fromisoformat(value)
            )
        except ValueError:
            return value
        value = parsed
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return format_be_datetime(value, lang=lang)
    if isinstance(value, dt.date):
        return format_be_date(value, lang=lang)
    return str(value)


def format_bangkok_time(value: dt.datetime, *, lang: str = "") -> str:
    """ "14:39:30 น." — the Bangkok time of day, to the second (for "ask again from …")."""
    lang = (lang or get_language() or "th")[:2]
    suffix = " น." if lang == "th" else ""
    return f"{value.astimezone(BANGKOK):%H:%M:%S}{suffix}"


def be_stamp(value: dt.date | dt.datetime, *, with_time: bool = False) -> str:
    """A Buddhist-era date for file names, sortable: "2569-12-01" (Bangkok day), or
    "2569-12-01-1439" with the Bangkok time."""
    day = _local_date(value)
    stamp = f"{day.year + BE_OFFSET:04d}-{day.month:02d}-{day.day:02d}"
    if with_time:
        if not isinstance(value, dt.datetime):
            raise ValueError("a time needs a datetime")
        stamp += f"-{value.astimezone(BANGKOK):%H%M}"
    return stamp


def parse_date(text: str) -> dt.date:
    """Parse YYYY-MM-DD or DD/MM/YYYY; a year of 2400 or more is Buddhist era.

    Raises ValueError with a message naming what is wrong.
    """
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _SLASH_DATE.match(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise ValueError(
            _("“%(text)s” is not a date: use YYYY-MM-DD (e.g. 2568-04-11 or 2025-04-11)")
            % {"text": text}
        )
    if year >= FIRST_BE_YEAR:
        year -= BE_OFFSET
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(_("“%(text)s” is not a valid date") % {"text": text}) from None
