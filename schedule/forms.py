"""The schedule form: the four dates, typed with a Buddhist-era or Common-era year.

Parsing is gfms_portal.thaidate.parse_date and the rules are registration.policy
.schedule_problems, the same as the set_schedule command; this only turns their answers into
errors on the right field.
"""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from gfms_portal.forms import ThaiDateField, as_input
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
