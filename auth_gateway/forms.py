from typing import Any

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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # An empty field says which one and what to do (Django's "This field is required."
        # was not even shown by the page).
        self.fields["username"].error_messages["required"] = _("Type your GFMS user id.")
        self.fields["password"].error_messages["required"] = _("Type your password.")

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        if not username or not password:
            return self.cleaned_data
        officer, _reason = portal_login(username, password, at=now())
        if officer is None:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        self.user_cache = officer
        return self.cleaned_data
