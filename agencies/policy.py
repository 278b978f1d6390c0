"""Pure rules about the organisation and officers: codes, citizen IDs, administrator scope.

No ORM queries, no clock, no request: plain values in, answers out. (The enums are Django
TextChoices so that models and forms can use them directly.)
"""

import datetime as dt
import random
import re
from dataclasses import dataclass

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

# GFMIS codes: ministry 2 digits, department (parent agency) 5 digits that start with the
# ministry's code, disbursement unit 10 digits that start with the department's code.
CODE_LENGTH = {"ministry": 2, "department": 5, "unit": 10}
_DIGITS = re.compile(r"^\d+$")
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")


class Kind(TextChoices):
    MINISTRY = "ministry", _("Ministry")
    DEPARTMENT = "department", _("Department (parent agency)")
    UNIT = "unit", _("Disbursement unit")


class Region(TextChoices):
    CENTRAL = "central", _("Central")
    REGIONAL = "regional", _("Regional")


class Role(TextChoices):
    OFFICER = "officer", _("Officer")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    CENTRAL_ADMIN = "central_admin", _("Central administrator (CGD)")
    AUDITOR = "auditor", _("Auditor (read-only)")
    # Who takes the officers' calls: an agency's desk sees its subtree (the scope field the
    # agency administrator uses), CGD's service group the whole country. Both read officers
    # and do a few acts on them (agencies.permissions); nothing else.
    HELPDESK = "helpdesk", _("Help desk (agency)")
    CENTRAL_HELPDESK = "central_helpdesk", _("Help desk (CGD)")


# Accounts that can act on others or read about them: they sign in with a password and their
# own soft token, and confirm sensitive actions with a fresh code (DESIGN.md, "Who uses it").
PRIVILEGED_ROLES = frozenset(
    {Role.AGENCY_ADMIN, Role.CENTRAL_ADMIN, Role.AUDITOR, Role.HELPDESK, Role.CENTRAL_HELPDESK}
)
# Roles whose sight is one node of the tree and everything below it (Officer.admin_scope);
# without a node they see nothing (fail closed).
SCOPED_ROLES = frozenset({Role.AGENCY_ADMIN, Role.HELPDESK})
# Roles that see every officer and agency of the country.
COUNTRY_ROLES = frozenset({Role.CENTRAL_ADMIN, Role.AUDITOR, Role.CENTRAL_HELPDESK})


def is_privileged(role: Role) -> bool:
    return role in PRIVILEGED_ROLES


# A sensitive action (token reset, late-registration code, unlock, schedule change, resolving
# a return discrepancy, an export of personal data) needs a code typed this recently.
STEP_UP_VALID_FOR = dt.timedelta(minutes=5)


def is_step_up_fresh(stepped_up_at: dt.datetime | None, *, at: dt.datetime) -> bool:
    return stepped_up_at is not None and dt.timedelta(0) <= at - stepped_up_at < STEP_UP_VALID_FOR


def kind_for_code(code: str) -> Kind:
    """The level of the tree a GFMIS code belongs to, from its length."""
    if not _DIGITS.match(code):
        raise ValueError(f"agency code '{code}' must contain digits only")
    for kind, length in CODE_LENGTH.items():
        if len(code) == length:
            return Kind(kind)
    raise ValueError(
        f"agency code '{code}' has {len(code)} digits: a ministry has 2, a department 5, "
        "a disbursement unit 10"
    )


def parent_code_for(code: str) -> str | None:
    """The parent's code (None for a ministry): a code's parent is its own prefix."""
    kind = kind_for_code(code)
    if kind is Kind.MINISTRY:
        return None
    if kind is Kind.DEPARTMENT:
        return code[: CODE_LENGTH["ministry"]]
    return code[: CODE_LENGTH["department"]]


def path_for(code: str) -> str:
    """The materialised path of a code: "03/03004/0300400001/". A subtree is a prefix."""
    parts = [code]
    parent = parent_code_for(code)
    while parent is not None:
        parts.insert(0, parent)
        parent = parent_code_for(parent)
    return "/".join(parts) + "/"


def is_valid_citizen_id(value: str) -> bool:
    """13 digits whose last is the check digit: (11 - Σ dᵢ·(13-i) mod 11) mod 10."""
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        return False
    total = sum(int(digit) * (13 - index) for index, digit in enumerate(value[:12]))
    return (11 - total % 11) % 10 == int(value[12])


def citizen_id_with_check_digit(first_12_digits: str) -> str:
    """The 13-digit citizen ID that these 12 digits begin, with its check digit appended (the
    rule `is_valid_citizen_id` checks). For test, demo and benchmark data."""
    if len(first_12_digits) != 12 or not first_12_digits.isascii() or not first_12_digits.isdigit():
        raise ValueError(f"'{first_12_digits}' is not 12 digits")
    total = sum(int(digit) * (13 - index) for index, digit in enumerate(first_12_digits))
    return first_12_digits + str((11 - total % 11) % 10)


def random_citizen_id(rng: random.Random) -> str:
    """A valid citizen ID drawn from `rng` (first digit 1-8, as issued): the same `rng`
    state gives the same ID."""
    digits = [rng.randint(1, 8)] + [rng.randint(0, 9) for _ in range(11)]
    return citizen_id_with_check_digit("".join(map(str, digits)))


def normalise_citizen_id(value: str) -> str:
    """Drop the dashes and spaces people type ("1-2345-67890-12-1")."""
    return re.sub(r"[\s-]", "", value or "")


def mask_citizen_id(value: str) -> str:
    """Show only the last four digits: "X-XXXX-XXXX0-12-1"."""
    if len(value) != 13:
        return "X-XXXX-XXXXX-XX-X"
    return f"X-XXXX-XXXX{value[9]}-{value[10:12]}-{value[12]}"


@dataclass(frozen=True)
class Viewer:
    """Who is asking, as far as scope is concerned."""

    role: Role
    scope_path: str | None = None  # the administered node's path (agency administrators)


def sees_everything(viewer: Viewer) -> bool:
    """Sees every officer and agency (not: may do everything; what each role may do is
    agencies.permissions, role by role)."""
    return viewer.role in COUNTRY_ROLES


def can_see_agency(viewer: Viewer, agency_path: str) -> bool:
    """An agency administrator or an agency's help desk sees its node and everything below;
    CGD sees everything."""
    if sees_everything(viewer):
        return True
    if viewer.role in SCOPED_ROLES and viewer.scope_path:
        return agency_path.startswith(viewer.scope_path)
    return False


REGION_ALIASES = {
    "central": Region.CENTRAL,
    "ส่วนกลาง": Region.CENTRAL,
    "regional": Region.REGIONAL,
    "ส่วนภูมิภาค": Region.REGIONAL,
}


def agency_problems(
    *, code: str, parent_code: str | None, region: str, province: str
) -> dict[str, str]:
    """What is wrong with an agency record, by field (empty when it is valid).

    `parent_code`, when given, must be the code's own prefix; `region` is "central" or
    "regional" (Thai accepted) and only for disbursement units, and a regional unit names its
    province.
    """
    try:
        kind = kind_for_code(code)
    except ValueError as error:
        return {"code": str(error)}
    problems: dict[str, str] = {}
    expected_parent = parent_code_for(code)
    if parent_code and parent_code != expected_parent:
        problems["parent_code"] = (
            f"parent '{parent_code}' does not match code '{code}': "
            f"its parent must be '{expected_parent}'"
        )
    if region and region not in REGION_ALIASES:
        problems["region"] = f"region '{region}' is not 'central' or 'regional'"
    elif kind is Kind.UNIT and not region:
        problems["region"] = "a disbursement unit is 'central' or 'regional'"
    elif kind is not Kind.UNIT and region:
        problems["region"] = "only a disbursement unit has a region"
    elif REGION_ALIASES.get(region) is Region.REGIONAL and not province:
        problems["province"] = "a regional unit needs its province"
    return problems


# --- lockout ------------------------------------------------------------------------------------

FAILURES_PER_LOCK = 10
FIRST_LOCK = dt.timedelta(minutes=15)
LONGEST_LOCK = dt.timedelta(hours=1)
FAILURES_UNTIL_ADMIN_UNLOCK = 100
# "Until an administrator unlocks": a moment no clock reaches.
LOCKED_UNTIL_UNLOCKED = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)


def lock_after(failures: int, *, at: dt.datetime) -> dt.datetime | None:
    """When the account unlocks after its `failures`-th consecutive failure (None: no lock)."""
    if failures >= FAILURES_UNTIL_ADMIN_UNLOCK:
        return LOCKED_UNTIL_UNLOCKED
    if failures <= 0 or failures % FAILURES_PER_LOCK:
        return None
    nth_lock = failures // FAILURES_PER_LOCK
    return at + min(FIRST_LOCK * 2 ** (nth_lock - 1), LONGEST_LOCK)


def is_locked(locked_until: dt.datetime | None, *, at: dt.datetime) -> bool:
    return locked_until is not None and at < locked_until
