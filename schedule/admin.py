"""The schedule in the Django admin: saved through change_schedule (validated, audited)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from agencies.permissions import StepUpRequired
from agencies.step_up import STEP_UP_NEEDED, stepped_up_at
from audit.admin_audit import AuditedAdmin
from gfms_portal.clock import now
from gfms_portal.forms import ThaiDateField
from schedule.models import Schedule
from schedule.policy import FIELD_LABELS
from schedule.services import SCHEDULE_FIELDS, change_schedule


class ScheduleAdminForm(forms.ModelForm):
    """The four dates as plain dates (BE or CE years); saved through change_schedule so that
    every change is validated and audited."""

    opens_date = ThaiDateField(label=FIELD_LABELS["opens"])
    closes_date = ThaiDateField(label=FIELD_LABELS["closes"])
    soft_token_only_from_date = ThaiDateField(label=FIELD_LABELS["soft_token_only_from"])
    return_due_date = ThaiDateField(label=FIELD_LABELS["return_due"])

    class Meta:
        model = Schedule
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dates = self.instance.dates
        for name in SCHEDULE_FIELDS:
            self.fields[f"{name}_date"].initial = getattr(dates, name).isoformat()
            self.fields[f"{name}_date"].help_text = _("YYYY-MM-DD; a BE year such as 2568 is fine")


@admin.register(Schedule)
class ScheduleAdmin(AuditedAdmin):
    audit_saves = False  # change_schedule writes schedule.changed
    form = ScheduleAdminForm
    list_display = ["__str__", "opens", "closes", "soft_token_only_from", "return_due", "is_demo"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Schedule, form: ScheduleAdminForm, change: bool
    ) -> None:
        try:
            at = now()
            change_schedule(
                at=at,
                actor=request.user,
                stepped_up_at=stepped_up_at(request),
                **{name: form.cleaned_data[f"{name}_date"] for name in SCHEDULE_FIELDS},
            )
        except StepUpRequired:
            messages.error(request, STEP_UP_NEEDED)
            messages.warning(request, _("The schedule was not changed."))
        except ValidationError as error:
            for problems in error.message_dict.values():
                for problem in problems:
                    messages.error(request, problem)
            messages.warning(request, _("The schedule was not changed."))
        obj.refresh_from_db()
