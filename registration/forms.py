from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from auth_gateway.services import portal_login
from gfms_portal.clock import now


class PortalLoginForm(AuthenticationForm):
    """The portal's sign-in: the gateway's lockout rules, and the same answer for an unknown
    user id and a wrong password."""

    error_messages = {
        "invalid_login": _(
            "Wrong user id or password, or the account is locked for a while after repeated "
            "failures (we e-mail you when that happens)."
        ),
    }

    def clean(self):  # type: ignore[no-untyped-def]
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        if not username or not password:
            return self.cleaned_data
        officer, _reason = portal_login(username, password, at=now())
        if officer is None:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        self.user_cache = officer
        return self.cleaned_data


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


DELIVERY_CHOICES = [
    ("email", _("Send it to the officer's official e-mail")),
    ("in_person", _("Show it to me once, to hand over in person")),
]


class ResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the audit trail)"),
        min_length=5,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    delivery = forms.ChoiceField(
        label=_("Re-registration code"),
        choices=DELIVERY_CHOICES,
        initial="email",
        widget=forms.RadioSelect,
    )


class LateCodeForm(forms.Form):
    days = forms.IntegerField(label=_("Valid for (days, 1–7)"), min_value=1, max_value=7, initial=7)
    delivery = forms.ChoiceField(
        label=_("Late-registration code"),
        choices=DELIVERY_CHOICES,
        initial="email",
        widget=forms.RadioSelect,
    )


class FreshCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Current code from your app, or a recovery code"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
