"""What the audit codes mean to a person: a label for every action code the services write, in
groups for the event-type filter, and the event's details as one compact line.

The codes themselves stay the stable identifiers (exports carry both). A code missing here is
shown as itself, so a new service never breaks the viewer; add its label when you add it.
"""

import json
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gfms_portal.thaidate import format_be_value

EVENT_GROUPS: list[tuple[Promise, dict[str, Promise]]] = [
    (
        _("Registration and soft tokens"),
        {
            "registration.identity_failed": _("Identity check failed (citizen ID mismatch)"),
            "registration.email_code_sent": _("Verification code sent to the official e-mail"),
            "registration.email_code_resent": _(
                "Verification code sent again by the help desk or an administrator"
            ),
            "registration.identity_verified": _("Identity verified"),
            "soft_token.registration_started": _("Soft token registration started"),
            "soft_token.bound": _("Soft token registered"),
            "soft_token.replacement_started": _("Soft token replacement started (new phone)"),
            "soft_token.reset": _("Soft token reset by an administrator"),
            "soft_token.imported": _("Soft token imported"),
            "recovery_code.used": _("Recovery code used"),
            "recovery_codes.regenerated": _("New recovery codes generated"),
            "registration_code.issued": _("Late-registration code issued"),
            "registration.reminders_sent": _("Registration reminders sent"),
        },
    ),
    (
        _("Officer accounts"),
        {
            "officer.created_by_admin": _("Officer account created by an administrator"),
            "officer.changed_by_admin": _("Officer account changed by an administrator"),
            "officer.updated_by_import": _("Officer record changed by an import"),
            "officer.locked": _("Account locked after failed logins"),
            "officer.unlocked": _("Account unlocked by an administrator"),
            "officer.citizen_id_checked": _("Citizen ID read out on a call checked"),
        },
    ),
    (
        _("Passwords"),
        {
            "password.changed": _("Password changed by the officer"),
            "password.change_refused": _("Password change refused (wrong current password)"),
            "password.reset_code_sent": _("Password reset code sent to the official e-mail"),
            "password.reset_without_token": _(
                "Password reset asked without a soft token (told to ask an administrator)"
            ),
            "password.reset_codes_confirmed": _("Password reset codes confirmed"),
            "password.reset": _("Password reset"),
            "password.reset_link_sent": _("Password reset link sent by an administrator"),
        },
    ),
    (
        _("Sign-in and privileged access"),
        {
            "portal.signed_in": _("Signed in to the portal (password)"),
            "portal.sign_in_refused": _("Portal sign-in refused"),
            "portal.second_factor_passed": _("Second factor confirmed at sign-in"),
            "portal.second_factor_failed": _("Wrong second-factor code at sign-in"),
            "portal.step_up": _("Fresh code confirmed for a sensitive action"),
            "registration.bootstrap_link_issued": _(
                "Registration link issued by the bootstrap command"
            ),
            "admin.added": _("Record added in the Django admin"),
            "admin.changed": _("Record changed in the Django admin"),
            "admin.deleted": _("Record deleted in the Django admin"),
            "export.downloaded": _("List of personal data exported"),
        },
    ),
    (
        _("Hardware Token Keys"),
        {
            "token_key.state_changed": _("Token Key state changed"),
            "token_key.updated": _("Token Key record changed by an import"),
            "shipment.created": _("Token Key shipment created"),
            "shipment.shipped": _("Token Key shipment sent"),
            "shipment.received": _("Token Key shipment received at CGD"),
            "shipment.cancelled": _("Token Key shipment cancelled"),
            "shipment.discrepancy_resolved": _("Shipment discrepancy resolved"),
        },
    ),
    (
        _("System and imports"),
        {
            "schedule.changed": _("Migration schedule changed"),
            "agencies.imported": _("Agencies imported"),
            "officers.imported": _("Officers imported"),
            "token_keys.imported": _("Token Keys imported"),
            "soft_tokens.imported": _("Soft tokens imported"),
            "service_client.created": _("API client created"),
            "service_client.revoked": _("API client revoked"),
            "encryption_key.rotated": _("Encryption key rotated"),
        },
    ),
]

EVENT_LABELS: dict[str, Promise] = {
    code: label for _group, labels in EVENT_GROUPS for code, label in labels.items()
}

# `data` holds no secrets by design (audit.models). Should a future caller slip one in under an
# obvious name, the viewer and the exports still do not show it.
HIDDEN_KEYS = frozenset({"secret", "password", "otp", "code", "citizen_id", "recovery_codes"})
HIDDEN = "[hidden]"


# Codes renamed since rows were written under them ("enrollment" became "registration"). Audit
# rows are never rewritten: the old code keeps its row, and reads and filters as the new one.
RENAMED_ACTIONS = {
    "soft_token.enrollment_started": "soft_token.registration_started",
    "enrollment.reminders_sent": "registration.reminders_sent",
}


def codes_for(action: str) -> list[str]:
    """The codes a filter on `action` matches: itself and its former names."""
    return [action, *(old for old, new in RENAMED_ACTIONS.items() if new == action)]


def event_label(action: str) -> str:
    """The label in the active language; an unknown code is shown as itself."""
    label = EVENT_LABELS.get(RENAMED_ACTIONS.get(action, action))
    return str(label) if label is not None else action


def describe_data(data: Any, *, separator: str = "; ") -> str:
    """ "from: assigned; serial: TK-1; to: returned" — keys sorted (PostgreSQL's jsonb does not
    keep their order anyway), nested values inline, dates and times (ISO in the JSON) in the
    Buddhist era, Bangkok time. For an action the audit viewer has no sentence for; the
    machine exports carry the raw JSON (raw_data)."""
    if not isinstance(data, dict):
        return _value(data)
    return separator.join(
        f"{key}: {HIDDEN if key.lower() in HIDDEN_KEYS else _value(data[key])}"
        for key in sorted(data)
    )


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + describe_data(value, separator=", ") + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return format_be_value(value)


def raw_data(data: Any) -> str:
    """The details as stored, for machine exports: JSON with sorted keys, ISO dates as they
    are, secrets (should one slip in) hidden."""
    if isinstance(data, dict):
        data = {key: HIDDEN if key.lower() in HIDDEN_KEYS else value for key, value in data.items()}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
