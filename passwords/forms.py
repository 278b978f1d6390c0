from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # django-stubs-ext is a development dependency (pyproject.toml)
    from django_stubs_ext import StrOrPromise

from agencies.models import Officer
from passwords.services import password_rule_problems
from passwords.validators import PasswordRulesValidator

# Longer than any rule allows (the rule's own message names "too long"), short enough that
# nobody posts a megabyte to the hasher.
LONGEST_INPUT = 1024


def _password_field(
    label: "StrOrPromise", autocomplete: str, help_text: "StrOrPromise" = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=LONGEST_INPUT,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        error_messages={"required": _("Type the password.")},
    )


def _code_field(label: "StrOrPromise", autocomplete: str = "one-time-code") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": autocomplete}),
        error_messages={"required": _("Type the code.")},
    )


class NewPasswordForm(forms.Form):
    """The new password twice, checked against the rules (the service checks them again)."""

    new_password = _password_field(
        _("New password"),
        "new-password",
        help_text=lazy(PasswordRulesValidator().get_help_text, str)(),
    )
    new_password_again = _password_field(_("The new password again"), "new-password")

    def __init__(self, *args: Any, officer: Officer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.officer = officer

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data["new_password"]
        if problems := password_rule_problems(password, self.officer):
            raise forms.ValidationError(problems)
        return password

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        new, again = cleaned.get("new_password"), cleaned.get("new_password_again")
        if new and again is not None and new != again:
            self.add_error(
                "new_password_again",
                _("The two new passwords are not the same: type the same one twice."),
            )
        return cleaned


class PasswordChangeForm(NewPasswordForm):
    current_password = _password_field(_("Current password"), "current-password")
    code = _code_field(_("Current code from your app, or a recovery code"))

    field_order = ["current_password", "code", "new_password", "new_password_again"]


class ForgottenPasswordForm(forms.Form):
    username = forms.CharField(
        label=_("GFMS user id"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        error_messages={"required": _("Type your GFMS user id.")},
    )


class ResetCodesForm(forms.Form):
    email_code = _code_field(_("Code from the e-mail (6 digits)"))
    token_code = _code_field(_("Current code from your app, or a recovery code"), "off")
