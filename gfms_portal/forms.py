"""The one date field of every form: a day typed as 11/04/2568, 2568-04-11 or 2025-04-11,
Thai digits accepted (BE when the year is 2400 or more: gfms_portal.thaidate.parse_date)."""

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gfms_portal.digits import ascii_digits
from gfms_portal.thaidate import BE_OFFSET, format_be_date, parse_date


def as_input(day: dt.date) -> str:
    """How a date is written back into a form: day/month/BE year, as Thai offices write it."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + BE_OFFSET}"


class ThaiDateField(forms.Field):
    """A calendar day. `first` and `last` bound it (a typing mistake, such as a CE year where
    BE was meant, lands far outside any real question)."""

    MAX_LENGTH = 20
    default_error_messages = {
        "invalid": _(
            "“%(value)s” is not a valid date. Write day/month/year or year-month-day, with a "
            "BE or CE year: 11/04/2568 or 2568-04-11."
        ),
        "out_of_range": _(
            "“%(value)s” (%(date)s) is outside %(first)s – %(last)s: is the year right (BE or CE)?"
        ),
    }

    def __init__(
        self, *, first: dt.date | None = None, last: dt.date | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "maxlength": self.MAX_LENGTH,
                    "placeholder": "11/04/2568",
                }
            ),
        )
        super().__init__(**kwargs)
        self.first, self.last = first, last

    def to_python(self, value: object) -> dt.date | None:
        text = ascii_digits(str(value or "")).strip()
        if not text:
            return None
        try:
            if len(text) > self.MAX_LENGTH:
                raise ValueError(text)
            day = parse_date(text)
        except ValueError:
            raise ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"value": text[: self.MAX_LENGTH]},
            ) from None
        if (self.first and day < self.first) or (self.last and day > self.last):
            raise ValidationError(
                self.error_messages["out_of_range"],
                code="out_of_range",
                params={
                    "value": text,
                    "date": format_be_date(day),
                    "first": format_be_date(self.first or dt.date.min),
                    "last": format_be_date(self.last or dt.date.max),
                },
            )
        return day


class GfmisCodeField(forms.RegexField):
    """A GFMIS agency code of 2, 5 or 10 digits, Thai digits accepted (๐๓๐๐๔ = 03004).
    ASCII digits only once converted: Python's \\d would let Thai digits through unconverted,
    and no agency has such a code."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid": _("A GFMIS code has 2, 5 or 10 digits.")})
        super().__init__(regex=r"^[0-9]{2}([0-9]{3}([0-9]{5})?)?$", **kwargs)

    def to_python(self, value: object) -> str:
        return ascii_digits(str(super().to_python(value))).strip()
