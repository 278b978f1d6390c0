"""Each audit event as a sentence a person reads: who did what to whom, with Buddhist-era
Bangkok times (gfms_portal.thaidate), in the active language (Thai unless English was chosen).

The rows keep their stable codes and raw `data` (the CSV/XLSX exports carry them too, in
labelled columns); this only words them. An action without a sentence here reads as its label
followed by its details, dates still in the Buddhist era, so a new service never breaks the
viewer — but give it a sentence when you add it (tests/monitoring/test_audit_sentences.py checks
that every labelled action has one). Reads only the event and the rows the viewer's query
already joined (actor, officer and unit, agency): no query per row.
"""

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from agencies.models import Officer
from agencies.policy import LOCKED_UNTIL_UNLOCKED
from audit.labels import HIDDEN, HIDDEN_KEYS, RENAMED_ACTIONS, describe_data, event_label
from audit.models import AuditEvent
from auth_gateway.policy import Reason
from gfms_portal.thaidate import format_be_value
from registration.models import Delivery, RegistrationCodeKind
from schedule.policy import FIELD_LABELS
from tokens.models import TokenKey, TokenKeyState
from tokens.policy import Act

# --- who ------------------------------------------------------------------------------------------


def _system_names() -> dict[str, str]:
    return {
        "auth_gateway": _("the login gateway"),
        "portal": _("the portal's sign-in page"),
        "seed_demo": _("the demo data (seed_demo)"),
        "demo front-end": _("the demo GFMS login page"),
        "rotate_encryption_key": _("the key rotation command (rotate_encryption_key)"),
        "import_token_keys": _("the Token Key import (import_token_keys)"),
        "bootstrap_admin": _("the first-administrator command (bootstrap_admin)"),
    }


def _system_prefixes() -> list[tuple[str, str]]:
    """Labels that carry a detail (a file name, the server account that ran the command)."""
    return [
        ("import_officers", _("the officer import")),
        ("import_soft_tokens", _("the soft token import")),
        ("set_schedule", _("the schedule command (set_schedule)")),
        ("create_service_client", _("the API client command (create_service_client)")),
        ("agencies.imported", _("the agency import")),
        ("officers.imported", _("the officer import")),
        ("token_keys.imported", _("the Token Key import")),
        ("soft_tokens.imported", _("the soft token import")),
    ]


def system_actor_name(label: str) -> str:
    """ "auth_gateway" → "ระบบตรวจสอบการเข้าสู่ระบบ"; "set_schedule (root)" → "คำสั่งตั้ง…
    (root)". An unknown label is shown as itself."""
    label = label.strip()
    if not label:
        return _("the system")
    if (name := _system_names().get(label)) is not None:
        return name
    for prefix, name in _system_prefixes():
        if label.startswith(prefix):
            detail = label[len(prefix) :].strip().strip("()").strip()
            return f"{name} ({detail})" if detail else name
    return label


def person(officer: Officer | None) -> str:
    if officer is None:
        return "—"
    name = officer.display_name(get_language() or "th")
    return f"{name} ({officer.username})" if name else officer.username


def actor_name(event: AuditEvent) -> str:
    """The person who acted (name and user id) or the system that did, in words."""
    if event.actor is not None:
        return person(event.actor)
    return system_actor_name(event.actor_label)


# --- values ----------------------------------------------------------------------------------------


def when(value: Any) -> str:
    """An ISO date or datetime from `data` (or a real one) as a BE Bangkok date/time."""
    return format_be_value(value)


def _listing(items: Iterable[Any]) -> str:
    items = [str(item) for item in items]
    return ", ".join(items) if items else "—"


def _field_names(model: type, names: Iterable[str]) -> str:
    words = []
    for name in names:
        try:
            words.append(str(model._meta.get_field(name).verbose_name))  # type: ignore[attr-defined]
        except FieldDoesNotExist:
            words.append(name)
    return _listing(words)


def _choice(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _delivery(value: Any) -> str:
    return {
        Delivery.EMAIL.value: _("sent to the officer's official e-mail"),
        Delivery.IN_PERSON.value: _("shown once to hand over in person"),
    }.get(str(value), str(value))


def _act(value: Any) -> str:
    return {
        Act.HAND_OVER.value: _("handed over to the parent agency"),
        Act.REPORT_DAMAGED.value: _("reported damaged"),
        Act.REPORT_LOST.value: _("reported lost"),
        Act.SHIP.value: _("sent in a shipment"),
        Act.RECEIVE.value: _("received at CGD"),
        Act.LOST_IN_TRANSIT.value: _("missing from its shipment"),
        Act.RECEIVE_LATE.value: _("received at CGD after its shipment"),
        Act.FOUND_UNLISTED.value: _("found in a shipment that did not list it"),
    }.get(str(value), str(value))


def _reason(value: Any) -> str:
    return _choice(Reason, value)


# --- the sentences ----------------------------------------------------------------------------------

Words = dict[str, str]
Sentence = Callable[[Words, dict[str, Any]], str]


def _locked(w: Words, d: dict[str, Any]) -> str:
    w["failures"] = str(d.get("failed_logins", "?"))
    until = d.get("locked_until")
    try:
        forever = (
            until is not None and dt.datetime.fromisoformat(str(until)) >= LOCKED_UNTIL_UNLOCKED
        )
    except ValueError:
        forever = False
    if forever:
        return (
            _(
                "%(actor)s locked the account of %(officer)s after %(failures)s failed logins in "
                "a row, until an administrator unlocks it."
            )
            % w
        )
    if until is None:
        return (
            _("%(actor)s locked the account of %(officer)s after %(failures)s failed logins.") % w
        )
    w["until"] = when(until)
    return (
        _(
            "%(actor)s locked the account of %(officer)s after %(failures)s failed logins in a "
            "row, until %(until)s."
        )
        % w
    )


def _bound(w: Words, d: dict[str, Any]) -> str:
    w["token"] = str(d.get("token", "?"))
    text = _("%(officer)s registered soft token no. %(token)s.") % w
    replaced = d.get("replaced")
    if replaced:
        if isinstance(replaced, list):
            w["replaced"] = _listing(replaced)
            text += " " + _("It replaces soft token no. %(replaced)s, which no longer works.") % w
        else:
            text += " " + _("It replaces the earlier soft token, which no longer works.")
    if d.get("registration_code"):
        w["kind"] = _choice(RegistrationCodeKind, d["registration_code"])
        text += " " + _("Registered with a code: %(kind)s.") % w
    return text


def _reset(w: Words, d: dict[str, Any]) -> str:
    w["delivery"] = _delivery(d.get("delivery", ""))
    w["reason"] = str(d.get("reason") or "—")
    revoked = int(d.get("tokens_revoked") or 0)
    w["revoked"] = str(revoked)
    text = _("%(actor)s reset the soft token of %(officer)s (reason: %(reason)s).") % w
    if revoked:
        text += " " + (
            ngettext(
                "%(revoked)s soft token no longer works.",
                "%(revoked)s soft tokens no longer work.",
                revoked,
            )
            % w
        )
    return text + " " + _("The re-registration code was %(delivery)s.") % w


def _late_code(w: Words, d: dict[str, Any]) -> str:
    days = int(d.get("days") or 0)
    w["days"] = str(days)
    w["delivery"] = _delivery(d.get("delivery", ""))
    return (
        ngettext(
            "%(actor)s issued a late-registration code to %(officer)s, valid %(days)s day; it "
            "was %(delivery)s.",
            "%(actor)s issued a late-registration code to %(officer)s, valid %(days)s days; it "
            "was %(delivery)s.",
            days,
        )
        % w
    )


def _reminders(w: Words, d: dict[str, Any]) -> str:
    w["scope"] = str(d.get("scope") or "") or _("all of their units")
    w["unregistered"] = str(d.get("unregistered", 0))
    w["queued"] = str(d.get("queued", 0))
    return (
        _(
            "%(actor)s sent registration reminders to %(scope)s: %(queued)s e-mails queued for "
            "%(unregistered)s officers not yet registered."
        )
        % w
    )


def _officer_fields(template: str) -> Sentence:
    def sentence(w: Words, d: dict[str, Any]) -> str:
        w["fields"] = _field_names(Officer, d.get("fields") or [])
        return template % w

    return sentence


def _sign_in_refused(w: Words, d: dict[str, Any]) -> str:
    w["reason"] = _reason(d.get("reason", ""))
    if w["officer"] == "—":
        return _("The portal refused a sign-in with an unknown user id (%(reason)s).") % w
    return _("The portal refused a sign-in as %(officer)s (%(reason)s).") % w


def _second_factor_failed(w: Words, d: dict[str, Any]) -> str:
    return _("%(officer)s typed a wrong code at the second step of sign-in.") % w


def _admin(template: str) -> Sentence:
    def sentence(w: Words, d: dict[str, Any]) -> str:
        model_label = str(d.get("model", ""))
        try:
            model = apps.get_model(model_label)
        except (LookupError, ValueError):
            model = None
        w["model"] = str(model._meta.verbose_name) if model is not None else model_label
        w["object"] = str(d.get("object", d.get("object_id", "")))
        fields = d.get("fields")
        if isinstance(fields, list):
            w["fields"] = _field_names(model, fields) if model is not None else _listing(fields)
        else:
            w["fields"] = str(fields or "—")
        return template % w

    return sentence


def _export(w: Words, d: dict[str, Any]) -> str:
    w["export"] = str(d.get("export", ""))
    filters = [
        f"{key} = {HIDDEN if key.lower() in HIDDEN_KEYS else value}"
        for key, value in sorted(d.items())
        if key != "export"
    ]
    if not filters:
        return _("%(actor)s downloaded %(export)s (no filter).") % w
    w["filters"] = _listing(filters)
    return _("%(actor)s downloaded %(export)s with the filters %(filters)s.") % w


def _state_changed(w: Words, d: dict[str, Any]) -> str:
    w["serial"] = str(d.get("serial", "?"))
    w["from"] = _choice(TokenKeyState, d.get("from", ""))
    w["to"] = _choice(TokenKeyState, d.get("to", ""))
    w["act"] = _act(d.get("act", ""))
    return _("%(actor)s: Token Key %(serial)s %(act)s (%(from)s → %(to)s).") % w


def _token_key_updated(w: Words, d: dict[str, Any]) -> str:
    w["serial"] = str(d.get("serial", "?"))
    w["fields"] = _field_names(TokenKey, d.get("fields") or [])
    return _("%(actor)s changed %(fields)s of Token Key %(serial)s.") % w


def _shipment(template: str) -> Sentence:
    def sentence(w: Words, d: dict[str, Any]) -> str:
        w["shipment"] = str(d.get("shipment", "?"))
        w["devices"] = str(d.get("devices", "?"))
        w["tracking"] = str(d.get("tracking") or "—")
        w["received"] = str(d.get("received", 0))
        w["missing"] = _listing(d.get("missing") or [])
        w["unexpected"] = _listing(d.get("unexpected") or [])
        return template % w

    return sentence


def _discrepancy(w: Words, d: dict[str, Any]) -> str:
    w["item"] = str(d.get("item", "?"))
    w["note"] = str(d.get("note") or "—")
    return _("%(actor)s resolved discrepancy no. %(item)s: %(note)s") % w


def _schedule(w: Words, d: dict[str, Any]) -> str:
    old, new = d.get("old") or {}, d.get("new") or {}
    changes = [
        f"{label} {when(old.get(name, '—'))} → {when(new.get(name, '—'))}"
        for name, label in FIELD_LABELS.items()
        if old.get(name) != new.get(name)
    ]
    w["changes"] = "; ".join(changes) or _("no date moved")
    text = _("%(actor)s changed the migration schedule: %(changes)s.") % w
    if d.get("is_demo"):
        text += " " + _("(A demo schedule.)")
    return text


def _imported(w: Words, d: dict[str, Any]) -> str:
    w["file"] = str(d.get("file", "?"))
    w["created"] = str(d.get("created", 0))
    w["updated"] = str(d.get("updated", 0))
    w["unchanged"] = str(d.get("unchanged", 0))
    return (
        _(
            "%(actor)s imported %(file)s: %(created)s new, %(updated)s changed, %(unchanged)s "
            "unchanged."
        )
        % w
    )


def _rotated(w: Words, d: dict[str, Any]) -> str:
    rows = d.get("rows") or {}
    w["rows"] = str(sum(rows.values()) if isinstance(rows, dict) else rows)
    w["key"] = str(d.get("key_id", "?"))
    text = _("%(actor)s re-encrypted %(rows)s rows with key %(key)s.") % w
    if d.get("unreadable"):
        w["unreadable"] = str(d["unreadable"])
        text += " " + _("Not readable with any key: %(unreadable)s.") % w
    return text


def _fixed(template: str) -> Sentence:
    return lambda w, d: template % w


def _with(key: str, template: str, default: str = "?") -> Sentence:
    def sentence(w: Words, d: dict[str, Any]) -> str:
        w[key] = str(d.get(key, default))
        return template % w

    return sentence


def _identity_verified(w: Words, d: dict[str, Any]) -> str:
    if d.get("via") == "bootstrap_link":
        return _("%(officer)s confirmed their identity with the one-time registration link.") % w
    return _("%(officer)s confirmed their identity with the code e-mailed to them.") % w


def _citizen_id_checked(w: Words, d: dict[str, Any]) -> str:
    if d.get("matches"):
        return _("%(actor)s checked a citizen ID for %(officer)s: it matches the record.") % w
    return _("%(actor)s checked a citizen ID for %(officer)s: it does not match the record.") % w


def _imported_token(w: Words, d: dict[str, Any]) -> str:
    if d.get("replaced"):
        return (
            _("%(actor)s imported a soft token for %(officer)s; the one they had no longer works.")
            % w
        )
    return _("%(actor)s imported a soft token for %(officer)s.") % w


def _password_reset(w: Words, d: dict[str, Any]) -> str:
    if d.get("via") == "administrator_link":
        w["issued_by"] = str(d.get("issued_by") or "—")
        return (
            _(
                "%(officer)s set a new password with the one-time link sent by %(issued_by)s; "
                "the old one no longer works."
            )
            % w
        )
    return (
        _(
            "%(officer)s reset their forgotten password (a code to their e-mail and a code from "
            "their soft token); the old one no longer works."
        )
        % w
    )


@functools.cache
def _sentences_in(language: str) -> dict[str, Sentence]:
    """Built once per language (the templates translated in it)."""
    with translation.override(language):
        return _table()


def _table() -> dict[str, Sentence]:
    return {
        "registration.identity_failed": _fixed(
            _("%(officer)s typed a citizen ID that does not match the agency's record.")
        ),
        "registration.email_code_sent": _fixed(
            _("A verification code was e-mailed to the official address of %(officer)s.")
        ),
        "registration.email_code_resent": _fixed(
            _("%(actor)s sent a new verification code to the official address of %(officer)s.")
        ),
        "registration.identity_verified": _identity_verified,
        "soft_token.registration_started": _with(
            "token", _("%(officer)s started registering a soft token (no. %(token)s).")
        ),
        "soft_token.bound": _bound,
        "soft_token.replacement_started": _with(
            "token",
            _("%(officer)s started moving their soft token to a new phone (no. %(token)s)."),
        ),
        "soft_token.reset": _reset,
        "soft_token.imported": _imported_token,
        "recovery_code.used": _fixed(_("%(officer)s used one of their recovery codes.")),
        "recovery_codes.regenerated": _fixed(
            _("%(officer)s made new recovery codes; the earlier ones no longer work.")
        ),
        "registration_code.issued": _late_code,
        "registration.reminders_sent": _reminders,
        "officer.created_by_admin": _fixed(_("%(actor)s created the account of %(officer)s.")),
        "officer.changed_by_admin": _officer_fields(
            _("%(actor)s changed %(fields)s of %(officer)s.")
        ),
        "officer.updated_by_import": _officer_fields(
            _("%(actor)s changed %(fields)s of %(officer)s.")
        ),
        "officer.locked": _locked,
        "officer.unlocked": _fixed(_("%(actor)s unlocked the account of %(officer)s.")),
        "password.changed": _fixed(
            _("%(officer)s changed their password; the old one no longer works.")
        ),
        "password.change_refused": _fixed(
            _("%(officer)s typed a wrong current password when changing their password.")
        ),
        "password.reset_code_sent": _fixed(
            _("A password reset code was e-mailed to the official address of %(officer)s.")
        ),
        "password.reset_without_token": _fixed(
            _(
                "A password reset was asked for %(officer)s, who has no soft token: they were "
                "told by e-mail to ask their administrator."
            )
        ),
        "password.reset_codes_confirmed": _fixed(
            _(
                "%(officer)s confirmed the password reset code from their e-mail with a code from "
                "their soft token."
            )
        ),
        "password.reset": _password_reset,
        "password.reset_link_sent": _with(
            "valid_minutes",
            _(
                "%(actor)s e-mailed %(officer)s a one-time link to set a new password, valid "
                "%(valid_minutes)s minutes."
            ),
        ),
        "officer.citizen_id_checked": _citizen_id_checked,
        "portal.signed_in": _fixed(_("%(officer)s signed in to the portal with their password.")),
        "portal.sign_in_refused": _sign_in_refused,
        "portal.second_factor_passed": _fixed(
            _("%(officer)s confirmed the code of their soft token at sign-in.")
        ),
        "portal.second_factor_failed": _second_factor_failed,
        "portal.step_up": _fixed(_("%(officer)s confirmed a fresh code for a sensitive action.")),
        "registration.bootstrap_link_issued": _with(
            "valid_minutes",
            _(
                "%(actor)s issued a one-time registration link for %(officer)s, valid "
                "%(valid_minutes)s minutes."
            ),
        ),
        "admin.added": _admin(_("%(actor)s added %(model)s “%(object)s” in the Django admin.")),
        "admin.changed": _admin(
            _("%(actor)s changed %(fields)s of %(model)s “%(object)s” in the Django admin.")
        ),
        "admin.deleted": _admin(_("%(actor)s deleted %(model)s “%(object)s” in the Django admin.")),
        "export.downloaded": _export,
        "token_key.state_changed": _state_changed,
        "token_key.updated": _token_key_updated,
        "shipment.created": _shipment(
            _("%(actor)s packed shipment no. %(shipment)s with %(devices)s Token Keys.")
        ),
        "shipment.shipped": _shipment(
            _("%(actor)s sent shipment no. %(shipment)s (tracking number %(tracking)s).")
        ),
        "shipment.received": _shipment(
            _(
                "%(actor)s checked in shipment no. %(shipment)s: %(received)s received; missing: "
                "%(missing)s; not on its list: %(unexpected)s."
            )
        ),
        "shipment.cancelled": _shipment(
            _("%(actor)s cancelled shipment no. %(shipment)s (%(devices)s Token Keys).")
        ),
        "shipment.discrepancy_resolved": _discrepancy,
        "schedule.changed": _schedule,
        "agencies.imported": _imported,
        "officers.imported": _imported,
        "token_keys.imported": _imported,
        "soft_tokens.imported": _imported,
        "service_client.created": _with(
            "client", _("%(actor)s created the API client “%(client)s”.")
        ),
        "service_client.revoked": _with(
            "client", _("%(actor)s revoked the API client “%(client)s”.")
        ),
        "encryption_key.rotated": _rotated,
    }


def _sentences() -> dict[str, Sentence]:
    return _sentences_in(get_language() or "th")


SENTENCE_ACTIONS = frozenset(_table())


def describe_event(event: AuditEvent) -> str:
    """The event as one sentence in the active language."""
    data = event.data if isinstance(event.data, dict) else {}
    words: Words = {"actor": actor_name(event), "officer": person(event.officer)}
    sentence = _sentences().get(RENAMED_ACTIONS.get(event.action, event.action))
    if sentence is not None:
        try:
            return sentence(words, data)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # an older row of another shape: worded like an unknown action
    details = describe_data(data)
    label = event_label(event.action)
    return f"{label} — {details}" if details else label
