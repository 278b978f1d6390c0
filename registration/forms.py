from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from auth_gateway.messages import guidance
from auth_gateway.policy import Reason
from auth_gateway.services import portal_login
from gfms_portal.clock import now
from registration.models import Schedule
from registration.policy import phase_at


class PortalLoginForm(AuthenticationForm):
    """The portal's sign-in: the gateway's lockout rules, and the same answer for an unknown
    user id and a wrong password."""

    error_messages = {
        "invalid_login": _(
            "Wrong user id or password. Repeated failures lock the account for a while."
        ),
        "inactive": _("Wrong user id or password. Repeated failures lock the account for a while."),
    }

    def clean(self):  # type: ignore[no-untyped-def]
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        if not username or not password:
            return self.cleaned_data
        at = now()
        officer, reason = portal_login(username, password, at=at)
        if reason == Reason.LOCKED and officer is not None:
            schedule = Schedule.load().dates
            text = guidance(
                reason,
                phase=phase_at(at, schedule),
                schedule=schedule,
                locked_until=officer.locked_until,
            )
            raise ValidationError(text["th"] if self._thai() else text["en"], code="locked")
        if officer is None:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        self.user_cache = officer
        return self.cleaned_data

    def _thai(self) -> bool:
        from django.utils.translation import get_language

        return (get_language() or "th").startswith("th")


class CitizenIdForm(forms.Form):
    citizen_id = forms.CharField(
        label=_("Citizen ID (13 digits)"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    registration_code = forms.CharField(
        label=_("Registration code from your administrator"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
