from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from agencies.http import SignedInRequest
from agencies.lockout import unlock_officer
from agencies.models import Agency, Officer
from agencies.permissions import Refusal, may_unlock
from agencies.policy import (
    agency_problems,
    is_valid_citizen_id,
    kind_for_code,
    normalise_citizen_id,
    path_for,
)
from agencies.services import record_admin_change
from agencies.step_up import STEP_UP_NEEDED, stepped_up_at
from audit.admin_audit import AuditedAdmin
from gfms_portal.clock import now


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["code", "parent", "name_th", "name_en", "region", "province", "is_active"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for field, message in agency_problems(
            code=data.get("code") or "",
            parent_code=data["parent"].code if data.get("parent") else None,
            region=data.get("region") or "",
            province=data.get("province") or "",
        ).items():
            self.add_error(field if field in self.fields else None, message)
        return data

    def save(self, commit: bool = True) -> Agency:
        self.instance.path = path_for(self.instance.code)
        self.instance.kind = kind_for_code(self.instance.code)
        return super().save(commit)


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    form = AgencyForm
    list_display = ["code", "name_th", "name_en", "kind", "region", "province", "is_active"]
    list_filter = ["kind", "region", "is_active"]
    search_fields = ["code", "name_th", "name_en", "province"]
    raw_id_fields = ["parent"]


class OfficerForm(forms.ModelForm):
    citizen_id = forms.CharField(
        label=_("Citizen ID"),
        required=False,
        help_text=_("13 digits. Leave empty to keep the stored one (it is never shown)."),
    )

    class Meta:
        model = Officer
        fields = [
            "username", "name_th", "name_en", "email", "phone", "unit", "role", "admin_scope",
            "is_active",
        ]  # fmt: skip

    def clean_citizen_id(self) -> str:
        value = normalise_citizen_id(self.cleaned_data.get("citizen_id", ""))
        if value and not is_valid_citizen_id(value):
            raise ValidationError(_("A citizen ID has 13 digits and a valid check digit."))
        return value

    def save(self, commit: bool = True) -> Officer:
        if self.cleaned_data.get("citizen_id"):
            self.instance.set_citizen_id(self.cleaned_data["citizen_id"])
        if not self.instance.pk:
            self.instance.set_unusable_password()
        return super().save(commit)


@admin.register(Officer)
class OfficerAdmin(AuditedAdmin):
    audit_saves = False  # record_admin_change writes officer.created/changed_by_admin
    form = OfficerForm
    # The role filter lists the help desks too; `admin_scope` is the node an agency
    # administrator or an agency's help desk sees (CGD's desk and administrators have none).
    list_display = ["username", "name_th", "role", "unit", "admin_scope", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "name_th", "name_en", "email"]
    raw_id_fields = ["unit", "admin_scope"]
    readonly_fields = [
        "masked_citizen_id",
        "failed_logins",
        "locked_until",
        "last_login",
        "date_joined",
    ]
    list_select_related = ["unit", "admin_scope"]
    actions = ["unlock"]

    @admin.action(description=_("Unlock the selected accounts (reset failed logins)"))
    def unlock(self, request: SignedInRequest, queryset: QuerySet[Officer]) -> None:
        """All or nothing: every selected account is checked against agencies.permissions
        before any is unlocked (one's own account, say, is refused), and the refused ones are
        named."""
        at = now()
        proof = stepped_up_at(request)
        officers = list(queryset)
        verdicts = [
            may_unlock(request.user.actor, officer.subject, at=at, stepped_up_at=proof)
            for officer in officers
        ]
        if any(verdict.refusal is Refusal.STEP_UP for verdict in verdicts):
            self.message_user(request, STEP_UP_NEEDED, level=messages.ERROR)
            return
        refused = [
            officer.username for officer, v in zip(officers, verdicts, strict=True) if not v.allowed
        ]
        if refused:
            self.message_user(
                request,
                _("Nothing was unlocked: you may not unlock %(accounts)s.")
                % {"accounts": ", ".join(refused)},
                level=messages.ERROR,
            )
            return
        with transaction.atomic():
            for officer in officers:
                unlock_officer(officer, actor=request.user, at=at, stepped_up_at=proof)
        self.message_user(request, _("%(count)d account(s) unlocked.") % {"count": len(officers)})

    def save_model(
        self, request: HttpRequest, obj: Officer, form: OfficerForm, change: bool
    ) -> None:
        # Only central administrators reach the admin (gfms_portal.urls.admin_has_permission).
        assert isinstance(request.user, Officer)  # noqa: S101
        record_admin_change(
            obj,
            changed=form.changed_data,
            actor=request.user,
            at=now(),
            stepped_up_at=stepped_up_at(request),
        )

    @admin.display(description=_("Citizen ID (masked)"))
    def masked_citizen_id(self, obj: Officer) -> str:
        return obj.masked_citizen_id
