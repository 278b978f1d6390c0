from django import forms
from django.utils.translation import gettext_lazy as _

from registration.models import Delivery


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


class ResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the audit trail)"),
        min_length=5,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    delivery = forms.ChoiceField(
        label=_("Re-registration code"),
        choices=Delivery.choices,
        initial=Delivery.EMAIL,
        widget=forms.RadioSelect,
    )


class LateCodeForm(forms.Form):
    days = forms.IntegerField(label=_("Valid for (days, 1–7)"), min_value=1, max_value=7, initial=7)
    delivery = forms.ChoiceField(
        label=_("Late-registration code"),
        choices=Delivery.choices,
        initial=Delivery.EMAIL,
        widget=forms.RadioSelect,
    )
