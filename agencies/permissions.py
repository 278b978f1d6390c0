"""Who may do what: one pure decision per administrative act.

Each `may_<act>` takes plain values — the actor, what is acted on, and for sensitive acts the
moment and when the actor last confirmed a code — and answers with a `Verdict`: allowed, or
why not.

- `NOT_FOUND`: outside the actor's sight (an officer of another agency, a page for
  administrators asked by an officer). Answered 404, as if it did not exist, so that codes
  and user ids of other agencies cannot be probed.
- `FORBIDDEN`: in sight, but not this actor's to do (an auditor resetting a token, an agency
  administrator acting on another administrator). Answered 403.
- `STEP_UP`: the actor may, with a code from their app typed in the last few minutes
  (agencies.policy.STEP_UP_VALID_FOR). The form asks for one and tries again.

Every service asks its own question and raises through `enforce` (zulip's check/do pairing),
so a command, a task or a new API cannot bypass it; views only turn the exception into a page
(`OutOfSight` is an Http404, `NotYours` a PermissionDenied) and use the same verdicts to show
or hide a button (`Verdict.permitted`). The whole table is tested role by role and scope by
scope in tests/agencies/test_permissions.py.
"""

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.http import Http404

from agencies.policy import (
    SCOPED_ROLES,
    Kind,
    Role,
    Viewer,
    can_see_agency,
    is_step_up_fresh,
    sees_everything,
)

# The help desk (an agency's, or CGD's service group): reads the officers in its scope, and
# does only the few acts a caller needs — unlock, resend the registration e-mail code, reset a
# lost soft token — and only on officers. Never late codes, the schedule, Token Key custody,
# officer records or the country's audit log.
DESK = frozenset({Role.HELPDESK, Role.CENTRAL_HELPDESK})
# Everyone who reads about officers (each page's own rule says what more).
ADMINISTRATORS = frozenset({Role.AGENCY_ADMIN, Role.CENTRAL_ADMIN, Role.AUDITOR}) | DESK
# Administrators who act (auditors only read; the desk acts only where a rule names it).
ACTING = frozenset({Role.AGENCY_ADMIN, Role.CENTRAL_ADMIN})
# CGD's own readers of the whole country's schedule and audit trail (named, not "whoever sees
# everything": CGD's help desk sees every officer, not the audit log).
CGD_READERS = frozenset({Role.CENTRAL_ADMIN, Role.AUDITOR})


@dataclass(frozen=True)
class Actor:
    """Who acts, as the rules need it (agencies.models.Officer.actor)."""

    pk: int
    role: Role
    scope_path: str | None = None  # the administered node (agency administrators)
    scope_kind: Kind | None = None
    is_active: bool = True

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.role, self.scope_path)


@dataclass(frozen=True)
class Subject:
    """The officer acted on (agencies.models.Officer.subject)."""

    pk: int
    role: Role
    unit_path: str | None = None


class Refusal(StrEnum):
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    STEP_UP = "step_up"


@dataclass(frozen=True)
class Verdict:
    refusal: Refusal | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def permitted(self) -> bool:
        """Allowed, or allowed once a fresh code is typed: show the form."""
        return self.refusal in (None, Refusal.STEP_UP)


ALLOWED = Verdict()
NOT_FOUND = Verdict(Refusal.NOT_FOUND)
FORBIDDEN = Verdict(Refusal.FORBIDDEN)
STEP_UP = Verdict(Refusal.STEP_UP)


class OutOfSight(Http404):
    """Refused as if it did not exist (404)."""


class NotYours(PermissionDenied):
    """Refused: in sight, but not this actor's to do (403)."""


class StepUpRequired(Exception):
    """The action needs a fresh code first (the view asks for one and retries)."""


def enforce(verdict: Verdict) -> None:
    """Raise unless `verdict` allows: every service calls this before it changes anything."""
    if verdict.refusal is Refusal.NOT_FOUND:
        raise OutOfSight("not in the actor's scope")
    if verdict.refusal is Refusal.FORBIDDEN:
        raise NotYours("not the actor's act")
    if verdict.refusal is Refusal.STEP_UP:
        raise StepUpRequired


def _fresh(stepped_up_at: dt.datetime | None, at: dt.datetime) -> Verdict:
    return ALLOWED if is_step_up_fresh(stepped_up_at, at=at) else STEP_UP


def _administrator(actor: Actor) -> bool:
    """An active reader of officers. A role scoped to a node (agency administrator, agency
    help desk) without one is nobody's reader: it fails closed, as agencies.scope does."""
    if not actor.is_active or actor.role not in ADMINISTRATORS:
        return False
    return actor.role not in SCOPED_ROLES or bool(actor.scope_path)


def _sees_path(actor: Actor, path: str | None) -> bool:
    """The actor's subtree holds `path` (CGD sees every path, and rows with none)."""
    if sees_everything(actor.viewer):
        return True
    return path is not None and can_see_agency(actor.viewer, path)


# --- acting on one officer: reset, late-registration code, unlock ---------------------------------


def may_see_officer(actor: Actor, officer: Subject) -> Verdict:
    """An administrator's view of one officer: its own subtree (CGD and auditors: everyone)."""
    if not _administrator(actor) or not _sees_path(actor, officer.unit_path):
        return NOT_FOUND
    return ALLOWED


def _act_on_officer(
    actor: Actor,
    officer: Subject,
    *,
    at: dt.datetime,
    stepped_up_at: dt.datetime | None,
    desk: bool,
) -> Verdict:
    """Agency administrators act on the officers of their subtree, central administrators on
    anyone; nobody on their own account (that goes through the officer's own pages); auditors
    only read; the help desk only where `desk` (and only on officers, never on a privileged
    account). Always with a fresh code."""
    if not (sight := _may_touch(actor, officer, desk=desk)).allowed:
        return sight
    return _fresh(stepped_up_at, at)


def _may_touch(actor: Actor, officer: Subject, *, desk: bool) -> Verdict:
    """Whose account this actor may act on at all (before any fresh code)."""
    if not (sight := may_see_officer(actor, officer)).allowed:
        return sight
    if actor.pk == officer.pk:
        return FORBIDDEN
    if actor.role in DESK:
        return ALLOWED if desk and officer.role == Role.OFFICER else FORBIDDEN
    if actor.role not in ACTING:
        return FORBIDDEN
    if actor.role == Role.AGENCY_ADMIN and officer.role != Role.OFFICER:
        return FORBIDDEN
    return ALLOWED


def may_reset_soft_token(
    actor: Actor, officer: Subject, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    return _act_on_officer(actor, officer, at=at, stepped_up_at=stepped_up_at, desk=True)


def codes_by_email_only(actor: Actor) -> bool:
    """The desk knows its caller only by a voice and a citizen ID read out (no secret): a code
    issued with its reset goes to the official e-mail on record, never read out on the phone."""
    return actor.role in DESK


def may_issue_late_code(
    actor: Actor, officer: Subject, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    """The exception to the circular's deadline is an administrator's decision, not the
    desk's: the desk tells the caller to ask their administrator."""
    return _act_on_officer(actor, officer, at=at, stepped_up_at=stepped_up_at, desk=False)


def may_unlock(
    actor: Actor, officer: Subject, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    return _act_on_officer(actor, officer, at=at, stepped_up_at=stepped_up_at, desk=True)


def may_resend_email_code(actor: Actor, officer: Subject) -> Verdict:
    """A new code for the registration the officer has started, to the official e-mail on
    record (the one it went to): whoever may act on the officer, the desk included. No fresh
    code: it reaches only the officer's own mailbox, and the e-mail limits still apply."""
    return _may_touch(actor, officer, desk=True)


def may_check_citizen_id(actor: Actor, officer: Subject) -> Verdict:
    """Ask whether a citizen ID the caller reads out matches the record (the answer is yes or
    no, never the number; counted per actor): whoever takes the officer's call — the desk and
    the administrators who act on the officer. Auditors only read."""
    return _may_touch(actor, officer, desk=True)


def may_edit_officer_record(
    actor: Actor, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    """The Django admin's officer form: central administrators, with a fresh code."""
    if not _administrator(actor):
        return NOT_FOUND
    if actor.role != Role.CENTRAL_ADMIN:
        return FORBIDDEN
    return _fresh(stepped_up_at, at)


# --- the schedule and reminders -------------------------------------------------------------------


def may_view_schedule(actor: Actor) -> Verdict:
    """CGD's page: central administrators and auditors (CGD's help desk sees the country's
    officers, not this page)."""
    if not _administrator(actor) or actor.role not in CGD_READERS:
        return NOT_FOUND
    return ALLOWED


def may_change_schedule(
    actor: Actor, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    if not (sight := may_view_schedule(actor)).allowed:
        return sight
    if actor.role != Role.CENTRAL_ADMIN:
        return FORBIDDEN
    return _fresh(stepped_up_at, at)


def may_remind(actor: Actor, node_path: str | None) -> Verdict:
    """E-mail the unregistered officers of a node (None: the whole scope) now. Not sensitive
    (one reminder a day per officer, whoever asks), so no fresh code; the desk may too."""
    if not _administrator(actor):
        return NOT_FOUND
    if node_path is not None and not _sees_path(actor, node_path):
        return NOT_FOUND
    if actor.role not in ACTING | DESK:
        return FORBIDDEN
    return ALLOWED


# --- Token Keys: hand-over, parcels, reception at CGD ---------------------------------------------


def may_hand_over(actor: Actor, unit_path: str) -> Verdict:
    """Record that a unit's Token Key reached its parent agency (also: report it damaged or
    lost before it travels): the agency administrator of that subtree, or CGD."""
    if not _administrator(actor) or not _sees_path(actor, unit_path):
        return NOT_FOUND
    if actor.role not in ACTING:
        return FORBIDDEN
    return ALLOWED


def may_report_lost(actor: Actor, unit_path: str, *, in_shipment: bool) -> Verdict:
    """A key lost in a parcel is CGD's to write off (after following the parcel up)."""
    if not (verdict := may_hand_over(actor, unit_path)).allowed:
        return verdict
    if in_shipment and actor.role != Role.CENTRAL_ADMIN:
        return FORBIDDEN
    return ALLOWED


def may_pack(actor: Actor) -> Verdict:
    """Put handed-over keys in a parcel for CGD: the administrator of a department (the parent
    agency that ships)."""
    if not _administrator(actor):
        return NOT_FOUND
    if actor.role != Role.AGENCY_ADMIN or actor.scope_kind != Kind.DEPARTMENT:
        return FORBIDDEN
    return ALLOWED


def may_ship(actor: Actor, sender_path: str) -> Verdict:
    """Mark a parcel shipped, or cancel it before it goes: its sender's administrator only."""
    if not _administrator(actor) or not _sees_path(actor, sender_path):
        return NOT_FOUND
    if actor.role != Role.AGENCY_ADMIN or actor.scope_path != sender_path:
        return FORBIDDEN
    return ALLOWED


def may_cancel_shipment(actor: Actor, sender_path: str) -> Verdict:
    return may_ship(actor, sender_path)


def may_receive(actor: Actor) -> Verdict:
    """Check a parcel in at CGD, or a key that arrived late: central administrators."""
    if not _administrator(actor):
        return NOT_FOUND
    if actor.role != Role.CENTRAL_ADMIN:
        return FORBIDDEN
    return ALLOWED


def may_resolve_discrepancy(
    actor: Actor, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    """Close a parcel's discrepancy (a key written off): CGD, with a fresh code."""
    if not (verdict := may_receive(actor)).allowed:
        return verdict
    return _fresh(stepped_up_at, at)


# --- reading: personal data and the audit trail ---------------------------------------------------


def may_see_forecast(actor: Actor, node_path: str | None = None) -> Verdict:
    """The forecast of tomorrow's refusals (monitoring.forecast) of a node (None: the whole
    scope): every reader of officers — administrators, auditors, the help desk — for what
    they see; the rows come from agencies.scope."""
    if not _administrator(actor):
        return NOT_FOUND
    if node_path is not None and not _sees_path(actor, node_path):
        return NOT_FOUND
    return ALLOWED


def may_export_personal_data(
    actor: Actor, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    """A download of names, user ids, e-mails or audit trails (of the actor's own scope: the
    query decides the rows): any administrator or help desk, with a fresh code."""
    if not _administrator(actor):
        return NOT_FOUND
    return _fresh(stepped_up_at, at)


def may_read_audit_log(actor: Actor) -> Verdict:
    """The audit trail of the whole country: CGD's administrators and auditors, by name (not
    CGD's help desk, which sees every officer: each officer's own story is on their page)."""
    if not _administrator(actor) or actor.role not in CGD_READERS:
        return NOT_FOUND
    return ALLOWED


# --- an officer's own account ---------------------------------------------------------------------


def may_change_own_token(
    actor: Actor, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    """A new phone or new recovery codes for one's own account: a fresh code (from the old
    phone or a recovery code) proves it is the owner, whoever else holds the password."""
    if not actor.is_active:
        return NOT_FOUND
    return _fresh(stepped_up_at, at)


# --- an officer's password (passwords app) ---------------------------------------------------------


def may_start_password_reset(
    actor: Actor, officer: Subject, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> Verdict:
    """E-mail an officer a one-time link to set a new password (the administrator never sets
    or sees one): agency administrators for the officers of their subtree, central
    administrators for any officer, the help desk for the officers it sees (the link goes to
    the official e-mail, like a reset's code); never for a privileged account (they reset
    their own with their soft token) and never one's own. Always with a fresh code."""
    if not (
        verdict := _act_on_officer(actor, officer, at=at, stepped_up_at=stepped_up_at, desk=True)
    ).permitted:
        return verdict
    if officer.role != Role.OFFICER:
        return FORBIDDEN
    return verdict
