"""What happens to agencies and officers: create or update them from a record, validated,
with the audit trail. The CSV imports and the Django admin both come through here."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from agencies.models import Agency, Officer
from agencies.permissions import enforce, may_edit_officer_record
from agencies.policy import (
    REGION_ALIASES,
    SCOPED_ROLES,
    USERNAME_PATTERN,
    Kind,
    Role,
    agency_problems,
    is_valid_citizen_id,
    kind_for_code,
    normalise_citizen_id,
    parent_code_for,
    path_for,
)
from audit.services import record_event


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def officers_by_username() -> dict[str, Officer]:
    """Every officer by lower-case user id: one query for a whole import file."""
    return {officer.username.lower(): officer for officer in Officer.objects.all()}


class RecordError(Exception):
    """A record cannot be applied; `problems` maps each field to the reason."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class AgencyRecord:
    code: str
    name_th: str
    name_en: str = ""
    region: str = ""
    province: str = ""
    parent_code: str | None = None


def upsert_agency(record: AgencyRecord, *, known: dict[str, Agency] | None = None) -> Outcome:
    """Create or update the agency with `record.code`; its parent must already exist.

    `known` caches agencies by code for bulk imports (it is updated with what is created).
    """
    problems = agency_problems(
        code=record.code,
        parent_code=record.parent_code,
        region=record.region,
        province=record.province,
    )
    if not record.name_th:
        problems["name_th"] = "the Thai name is required"
    if problems:
        raise RecordError(problems)
    known = known if known is not None else {}
    parent_code = parent_code_for(record.code)
    parent = None
    if parent_code is not None:
        parent = known.get(parent_code) or Agency.objects.filter(code=parent_code).first()
        if parent is None:
            raise RecordError({"code": f"parent agency '{parent_code}' does not exist"})
    values = {
        "kind": kind_for_code(record.code),
        "parent": parent,
        "path": path_for(record.code),
        "name_th": record.name_th,
        "name_en": record.name_en,
        "region": REGION_ALIASES.get(record.region, ""),
        "province": record.province,
    }
    agency = known.get(record.code) or Agency.objects.filter(code=record.code).first()
    if agency is None:
        known[record.code] = Agency.objects.create(code=record.code, **values)
        return Outcome.CREATED
    known[record.code] = agency
    return _apply_changes(agency, values)


def _apply_changes(instance: Agency | Officer, values: Mapping[str, object]) -> Outcome:
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if not changed:
        return Outcome.UNCHANGED
    for name in changed:
        setattr(instance, name, values[name])
    instance.save(update_fields=changed)
    return Outcome.UPDATED


@dataclass(frozen=True)
class OfficerRecord:
    username: str
    name_th: str
    email: str
    name_en: str = ""
    phone: str = ""
    unit_code: str = ""
    citizen_id: str = ""
    role: str = Role.OFFICER
    scope_code: str = ""
    password_hash: str = ""


@dataclass
class OfficerImportContext:
    """Lookups shared by the rows of one import (one query each instead of one per row)."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    officers: dict[str, Officer] = field(default_factory=dict)  # by lower-case username

    @classmethod
    def load(cls) -> "OfficerImportContext":
        return cls(
            agencies={agency.code: agency for agency in Agency.objects.all()},
            officers=officers_by_username(),
        )


def officer_record_problems(record: OfficerRecord, agencies: dict[str, Agency]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not USERNAME_PATTERN.match(record.username):
        problems["username"] = (
            f"'{record.username}' is not a GFMS user id "
            "(3–64 letters, digits, dot, underscore or dash)"
        )
    if not record.name_th:
        problems["name_th"] = "the Thai name is required"
    try:
        validate_email(record.email)
    except ValidationError:
        problems["email"] = f"'{record.email}' is not an e-mail address"
    if record.role not in Role.values:
        problems["role"] = f"role '{record.role}' is not one of {', '.join(Role.values)}"
    if record.unit_code:
        unit = agencies.get(record.unit_code)
        if unit is None:
            problems["unit_code"] = f"unit '{record.unit_code}' does not exist"
        elif unit.kind != Kind.UNIT:
            problems["unit_code"] = f"'{record.unit_code}' is not a disbursement unit"
    elif record.role == Role.OFFICER:
        problems["unit_code"] = "an officer needs the code of a disbursement unit"
    if record.scope_code and record.scope_code not in agencies:
        problems["scope_code"] = f"agency '{record.scope_code}' does not exist"
    elif record.role == Role.AGENCY_ADMIN and not record.scope_code:
        problems["scope_code"] = "an agency administrator needs the code of the agency it runs"
    elif record.role == Role.HELPDESK and not record.scope_code:
        problems["scope_code"] = "an agency's help desk needs the code of the agency it serves"
    elif record.scope_code and record.role not in SCOPED_ROLES:
        problems["scope_code"] = "only an agency administrator or an agency's help desk has a scope"
    citizen_id = normalise_citizen_id(record.citizen_id)
    if citizen_id and not is_valid_citizen_id(citizen_id):
        # Never echo the number back: error output ends up in logs and e-mails.
        problems["citizen_id"] = "not a valid citizen ID (13 digits with a correct check digit)"
    elif not citizen_id and record.role == Role.OFFICER:
        problems["citizen_id"] = "an officer needs a citizen ID for the identity check"
    if record.password_hash:
        try:
            identify_hasher(record.password_hash)
        except ValueError:
            problems["password_hash"] = NOT_A_HASH
    return problems


NOT_A_HASH = (
    "not a password hash in a known Django format (algorithm$…); plain passwords are never accepted"
)

# Fields whose change could redirect an identity check or grant power: audited one by one.
SENSITIVE_OFFICER_FIELDS = ("email", "citizen_id_hash", "role", "admin_scope", "password", "unit")


def upsert_officer(
    record: OfficerRecord,
    *,
    context: OfficerImportContext,
    at: dt.datetime,
    actor_label: str,
) -> Outcome:
    """Create or update the officer with `record.username` (matched case-insensitively)."""
    if problems := officer_record_problems(record, context.agencies):
        raise RecordError(problems)
    values: dict[str, object] = {
        "name_th": record.name_th,
        "name_en": record.name_en,
        "email": record.email,
        "phone": record.phone,
        "unit": context.agencies.get(record.unit_code),
        "role": record.role,
        "admin_scope": context.agencies.get(record.scope_code),
    }
    officer = context.officers.get(record.username.lower())
    citizen_id = normalise_citizen_id(record.citizen_id)
    if officer is None:
        officer = Officer(username=record.username, **values)
        if citizen_id:
            officer.set_citizen_id(citizen_id)
        officer.password = record.password_hash or _unusable_password()
        officer.save()
        context.officers[record.username.lower()] = officer
        return Outcome.CREATED
    if citizen_id and not officer.has_citizen_id(citizen_id):
        values.update(Officer.citizen_id.column_values(citizen_id))
    if record.password_hash:
        values["password"] = record.password_hash
    sensitive = [
        name
        for name in SENSITIVE_OFFICER_FIELDS
        if name in values and getattr(officer, name) != values[name]
    ]
    outcome = _apply_changes(officer, values)
    if sensitive:
        record_event(
            "officer.updated_by_import",
            at=at,
            actor_label=actor_label,
            officer=officer,
            data={"fields": sensitive},
        )
    return outcome


def _unusable_password() -> str:
    officer = Officer()
    officer.set_unusable_password()
    return officer.password


def record_admin_change(
    officer: Officer,
    *,
    changed: list[str],
    actor: Officer,
    at: dt.datetime,
    stepped_up_at: dt.datetime | None,
) -> None:
    """Save an officer edited in the Django admin, with the audit row in the same transaction.
    The audit lists which fields changed, never their values (a citizen ID stays out of it).
    Role, scope, e-mail and citizen ID decide who can act and who can re-register: a fresh
    code first (the admin's forms are asked for one by registration.signin)."""
    enforce(may_edit_officer_record(actor.actor, at=at, stepped_up_at=stepped_up_at))
    with transaction.atomic():
        created = officer.pk is None
        officer.save()
        record_event(
            "officer.created_by_admin" if created else "officer.changed_by_admin",
            at=at,
            actor=actor,
            officer=officer,
            data={"fields": sorted(changed)},
        )
