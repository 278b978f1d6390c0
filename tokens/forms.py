from django import forms
from django.utils.translation import gettext_lazy as _


class FreshCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Current code from your app, or a recovery code"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
