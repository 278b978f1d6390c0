"""The schedule form: the four dates, typed with a Buddhist-era or Common-era year.

Parsing is gfms_portal.thaidate.parse_date and the rules are registration.policy
.schedule_problems, the same as the set_schedule command; this only turns their answers into
errors on the right field.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from gfms_portal.digits import THAI_DIGITS
from gfms_portal.thaidate import BE_OFFSET, parse_date
from schedule.policy import FIELD_LABELS, MigrationSchedule, schedule_problems
from schedule.services import SCHEDULE_FIELDS

HELP_TEXTS = {
    "opens": _("The first day officers can register."),
    "closes": _("The last day of self-service registration (the whole day counts)."),
    "soft_token_only_from": _(
        "From 00:00 of this day only soft-token logins are accepted: it must come after the "
        "closing day."
    ),
    "return_due": _("The last day for parent agencies to return Token Keys to CGD."),
}


def as_input(day: dt.date) -> str:
    """How a date is written back into the form: day/month/BE year, as Thai offices write it."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + BE_OFFSET}"


class ThaiDateField(forms.Field):
    """A date typed as 11/04/2568, 2568-04-11 or 2025-04-11 (Thai digits accepted)."""

    MAX_LENGTH = 20
    widget = forms.TextInput(
        attrs={"autocomplete": "off", "spellcheck": "false", "maxlength": MAX_LENGTH}
    )
    default_error_messages = {
        "invalid": _(
            "“%(value)s” is not a valid date. Write day/month/year or year-month-day, with a "
            "BE or CE year: 11/04/2568 or 2568-04-11."
        ),
    }

    def to_python(self, value: object) -> dt.date | None:
        text = str(value or "").translate(THAI_DIGITS).strip()
        if not text:
            return None
        try:
            if len(text) > self.MAX_LENGTH:
                raise ValueError(text)
            return parse_date(text)
        except ValueError:
            raise ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"value": text[: self.MAX_LENGTH]},
            ) from None


class ScheduleForm(forms.Form):
    """All four dates, always: the page pre-fills the current ones."""

    opens = ThaiDateField(label=capfirst(FIELD_LABELS["opens"]), help_text=HELP_TEXTS["opens"])
    closes = ThaiDateField(label=capfirst(FIELD_LABELS["closes"]), help_text=HELP_TEXTS["closes"])
    soft_token_only_from = ThaiDateField(
        label=capfirst(FIELD_LABELS["soft_token_only_from"]),
        help_text=HELP_TEXTS["soft_token_only_from"],
    )
    return_due = ThaiDateField(
        label=capfirst(FIELD_LABELS["return_due"]), help_text=HELP_TEXTS["return_due"]
    )

    @classmethod
    def for_schedule(cls, dates: MigrationSchedule) -> "ScheduleForm":
        return cls(initial={name: as_input(getattr(dates, name)) for name in SCHEDULE_FIELDS})

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if all(cleaned.get(name) for name in SCHEDULE_FIELDS):
            for name, problem in schedule_problems(self.dates).items():
                self.add_error(name, problem)
        return cleaned

    @property
    def dates(self) -> MigrationSchedule:
        """The schedule as typed (only once every field parsed)."""
        return MigrationSchedule(**{name: self.cleaned_data[name] for name in SCHEDULE_FIELDS})

    def hidden_values(self) -> list[tuple[str, str]]:
        """The checked dates, for the confirm step to post again."""
        return [(name, as_input(self.cleaned_data[name])) for name in SCHEDULE_FIELDS]
