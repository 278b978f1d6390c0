"""The audit-log filters (GET). A filter that cannot be understood is an error naming it, never
silently dropped: an auditor must not read an unfiltered list as the filtered one."""

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Officer
from audit.labels import EVENT_GROUPS, RENAMED_ACTIONS
from gfms_portal.forms import GfmisCodeField, ThaiDateField
from gfms_portal.thaidate import format_be_date
from monitoring.audit_search import EventFilter

# Far enough either side of the migration for any real question, and inside what every database
# and time-zone conversion handles (day 1 of year 1 in Bangkok is before year 1 in UTC).
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)


def _event_choices() -> list[tuple[str | Promise, Promise | list[tuple[str, Promise]]]]:
    return [("", _("All events"))] + [
        (group, list(labels.items())) for group, labels in EVENT_GROUPS
    ]


class AuditLogFilter(forms.Form):
    officer = forms.CharField(
        required=False,
        max_length=64,
        label=_("Officer (GFMS user id)"),
        help_text=_("The exact user id; upper or lower case does not matter."),
    )
    actor = forms.CharField(
        required=False,
        max_length=200,
        label=_("Done by (user id or system)"),
        help_text=_(
            "An administrator's exact user id, or part of a system name such as officers.imported."
        ),
    )
    action = forms.ChoiceField(required=False, choices=_event_choices, label=_("Event type"))
    agency = GfmisCodeField(
        required=False,
        label=_("Agency (GFMIS code)"),
        help_text=_("2, 5 or 10 digits: the agency and everything below it."),
    )
    date_from = ThaiDateField(
        required=False, first=FIRST_DAY, last=LAST_DAY, label=_("From (date)")
    )
    date_to = ThaiDateField(
        required=False,
        first=FIRST_DAY,
        last=LAST_DAY,
        label=_("To (date, included)"),
        help_text=_("Days in Bangkok time, in the Buddhist or Christian era."),
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000, label=_("Page"))

    def __init__(self, data: "QueryDict | None" = None, **kwargs: Any) -> None:
        # A bookmarked filter on a renamed code (audit.labels.RENAMED_ACTIONS) still works.
        action = str(data.get("action", "")) if data is not None else ""
        if data is not None and action in RENAMED_ACTIONS:
            data = data.copy()
            data["action"] = RENAMED_ACTIONS[action]
        super().__init__(data, **kwargs)

    def clean_officer(self) -> Officer | None:
        text = self.cleaned_data["officer"].strip()
        if not text:
            return None
        officer = Officer.objects.by_username(text).first()
        if officer is None:
            raise ValidationError(
                _("No officer has the GFMS user id “%(value)s”."), params={"value": text}
            )
        return officer

    def clean_agency(self) -> Agency | None:
        code = self.cleaned_data["agency"]
        if not code:
            return None
        agency = Agency.objects.filter(code=code).first()
        if agency is None:
            raise ValidationError(
                _("No agency has the GFMIS code “%(value)s”."), params={"value": code}
            )
        return agency

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        since, until = data.get("date_from"), data.get("date_to")
        if since and until and since > until:
            self.add_error(
                "date_to",
                ValidationError(
                    _("The end date %(until)s is before the start date %(since)s."),
                    code="reversed",
                    params={"until": format_be_date(until), "since": format_be_date(since)},
                ),
            )
        return data

    def criteria(self) -> EventFilter:
        """The filters of a valid form as a query (all empty: every event)."""
        data = self.cleaned_data
        officer, agency = data.get("officer"), data.get("agency")
        return EventFilter(
            officer_id=officer.pk if officer else None,
            actor=data["actor"].strip(),
            action=data["action"],
            agency_path=agency.path if agency else "",
            since=data.get("date_from"),
            until=data.get("date_to"),
        )
