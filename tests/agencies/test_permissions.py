"""The permission table (agencies.permissions), role by role and scope by scope.

Each row is written out by hand: who acts, on what, and the verdict expected — allowed (A),
allowed with a fresh code (S: step-up), forbidden (F: 403) or not found (N: 404). A rule that
changes must change here, visibly.
"""

import datetime as dt

import pytest

from agencies import permissions as p
from agencies.permissions import Actor, Refusal, Subject
from agencies.policy import Kind, Role

AT = dt.datetime(2025, 3, 3, 3, 0, tzinfo=dt.UTC)
FRESH = AT - dt.timedelta(minutes=1)
STALE = AT - dt.timedelta(minutes=6)

HOME = "03/03004/"  # the department administered by `dept_admin`
HOME_UNIT = "03/03004/0300400001/"
OTHER = "05/05001/0500100001/"  # another ministry's unit

ACTORS = {
    "officer": Actor(pk=1, role=Role.OFFICER),
    "dept_admin": Actor(pk=2, role=Role.AGENCY_ADMIN, scope_path=HOME, scope_kind=Kind.DEPARTMENT),
    "unit_admin": Actor(pk=3, role=Role.AGENCY_ADMIN, scope_path=HOME_UNIT, scope_kind=Kind.UNIT),
    "central": Actor(pk=4, role=Role.CENTRAL_ADMIN),
    "auditor": Actor(pk=5, role=Role.AUDITOR),
    "central_inactive": Actor(pk=6, role=Role.CENTRAL_ADMIN, is_active=False),
}
SUBJECTS = {
    "home_officer": Subject(pk=10, role=Role.OFFICER, unit_path=HOME_UNIT),
    "other_officer": Subject(pk=11, role=Role.OFFICER, unit_path=OTHER),
    "home_admin": Subject(pk=12, role=Role.AGENCY_ADMIN, unit_path=HOME_UNIT),
    "central_self": Subject(pk=4, role=Role.CENTRAL_ADMIN),
    "dept_admin_self": Subject(pk=2, role=Role.AGENCY_ADMIN, unit_path=HOME_UNIT),
    "other_central": Subject(pk=13, role=Role.CENTRAL_ADMIN),
    "home_auditor": Subject(pk=14, role=Role.AUDITOR, unit_path=HOME_UNIT),
    "unitless_officer": Subject(pk=15, role=Role.OFFICER),
}

LETTER = {
    "A": None,
    "S": Refusal.STEP_UP,
    "F": Refusal.FORBIDDEN,
    "N": Refusal.NOT_FOUND,
}

# Reset, late code and unlock share one rule; the verdicts below are with a STALE code (a
# fresh one turns every S into A, checked separately).
OFFICER_ACTS = [p.may_reset_soft_token, p.may_issue_late_code, p.may_unlock]
OFFICER_TABLE = {
    #                  home_officer other_officer home_admin central_self dept_admin_self other_central home_auditor unitless_officer
    "officer":          ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N"),
    "dept_admin":       ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N"),
    "unit_admin":       ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N"),
    "central":          ("S",        "S",          "S",       "F",         "S",            "S",          "S",         "S"),
    "auditor":          ("F",        "F",          "F",       "F",         "F",            "F",          "F",         "F"),
    "central_inactive": ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N"),
}  # fmt: skip


def _expect(verdict: p.Verdict, letter: str) -> None:
    assert verdict.refusal == LETTER[letter], (verdict, letter)


@pytest.mark.parametrize("act", OFFICER_ACTS, ids=lambda act: act.__name__)
@pytest.mark.parametrize("actor", list(OFFICER_TABLE))
@pytest.mark.parametrize("subject", list(SUBJECTS))
def test_acting_on_an_officer_follows_the_table(act, actor: str, subject: str) -> None:
    expected = OFFICER_TABLE[actor][list(SUBJECTS).index(subject)]
    stale = act(ACTORS[actor], SUBJECTS[subject], at=AT, stepped_up_at=STALE)
    fresh = act(ACTORS[actor], SUBJECTS[subject], at=AT, stepped_up_at=FRESH)
    _expect(stale, expected)
    _expect(fresh, "A" if expected == "S" else expected)
    assert stale.permitted is (expected in ("A", "S"))


def test_a_step_up_never_typed_is_stale() -> None:
    verdict = p.may_reset_soft_token(
        ACTORS["central"], SUBJECTS["home_officer"], at=AT, stepped_up_at=None
    )
    assert verdict.refusal is Refusal.STEP_UP


def test_a_step_up_exactly_five_minutes_old_is_stale() -> None:
    at_limit = AT - dt.timedelta(minutes=5)
    verdict = p.may_unlock(
        ACTORS["central"], SUBJECTS["home_officer"], at=AT, stepped_up_at=at_limit
    )
    assert verdict.refusal is Refusal.STEP_UP


# Acts without a target: (act, verdict per actor in ACTORS order), codes STALE.
ROLES = list(ACTORS)
PLAIN_TABLE = {
    #                        officer dept  unit  central auditor inactive
    "view_schedule":          ("N",   "N",  "N",  "A",    "A",    "N"),
    "change_schedule":        ("N",   "N",  "N",  "S",    "F",    "N"),
    "remind_whole_scope":     ("N",   "A",  "A",  "A",    "F",    "N"),
    "remind_home_unit":       ("N",   "A",  "A",  "A",    "F",    "N"),
    "remind_other_unit":      ("N",   "N",  "N",  "A",    "F",    "N"),
    "hand_over_home":         ("N",   "A",  "A",  "A",    "F",    "N"),
    "hand_over_other":        ("N",   "N",  "N",  "A",    "F",    "N"),
    "lost_in_transit_home":   ("N",   "F",  "F",  "A",    "F",    "N"),
    "lost_before_transit":    ("N",   "A",  "A",  "A",    "F",    "N"),
    "pack":                   ("N",   "A",  "F",  "F",    "F",    "N"),
    "ship_home":              ("N",   "A",  "N",  "F",    "F",    "N"),
    "ship_other":             ("N",   "N",  "N",  "F",    "F",    "N"),
    "cancel_home":            ("N",   "A",  "N",  "F",    "F",    "N"),
    "receive":                ("N",   "F",  "F",  "A",    "F",    "N"),
    "resolve":                ("N",   "F",  "F",  "S",    "F",    "N"),
    "export_personal_data":   ("N",   "S",  "S",  "S",    "S",    "N"),
    "read_audit_log":         ("N",   "N",  "N",  "A",    "A",    "N"),
    "edit_officer_record":    ("N",   "F",  "F",  "S",    "F",    "N"),
    "change_own_token":       ("S",   "S",  "S",  "S",    "S",    "N"),
}  # fmt: skip

PLAIN_ACTS = {
    "view_schedule": lambda a, code: p.may_view_schedule(a),
    "change_schedule": lambda a, code: p.may_change_schedule(a, at=AT, stepped_up_at=code),
    "remind_whole_scope": lambda a, code: p.may_remind(a, None),
    "remind_home_unit": lambda a, code: p.may_remind(a, HOME_UNIT),
    "remind_other_unit": lambda a, code: p.may_remind(a, OTHER),
    "hand_over_home": lambda a, code: p.may_hand_over(a, HOME_UNIT),
    "hand_over_other": lambda a, code: p.may_hand_over(a, OTHER),
    "lost_in_transit_home": lambda a, code: p.may_report_lost(a, HOME_UNIT, in_shipment=True),
    "lost_before_transit": lambda a, code: p.may_report_lost(a, HOME_UNIT, in_shipment=False),
    "pack": lambda a, code: p.may_pack(a),
    "ship_home": lambda a, code: p.may_ship(a, HOME),
    "ship_other": lambda a, code: p.may_ship(a, "05/05001/"),
    "cancel_home": lambda a, code: p.may_cancel_shipment(a, HOME),
    "receive": lambda a, code: p.may_receive(a),
    "resolve": lambda a, code: p.may_resolve_discrepancy(a, at=AT, stepped_up_at=code),
    "export_personal_data": lambda a, code: p.may_export_personal_data(
        a, at=AT, stepped_up_at=code
    ),
    "read_audit_log": lambda a, code: p.may_read_audit_log(a),
    "edit_officer_record": lambda a, code: p.may_edit_officer_record(a, at=AT, stepped_up_at=code),
    "change_own_token": lambda a, code: p.may_change_own_token(a, at=AT, stepped_up_at=code),
}


@pytest.mark.parametrize("act", list(PLAIN_TABLE))
@pytest.mark.parametrize("actor", ROLES)
def test_each_act_follows_the_table(act: str, actor: str) -> None:
    _expect(PLAIN_ACTS[act](ACTORS[actor], STALE), PLAIN_TABLE[act][ROLES.index(actor)])


@pytest.mark.parametrize("act", list(PLAIN_TABLE))
@pytest.mark.parametrize("actor", ROLES)
def test_with_a_fresh_code_every_step_up_becomes_allowed(act: str, actor: str) -> None:
    expected = PLAIN_TABLE[act][ROLES.index(actor)]
    _expect(PLAIN_ACTS[act](ACTORS[actor], FRESH), "A" if expected == "S" else expected)


def test_the_table_names_every_act_of_the_module() -> None:
    """A new `may_…` rule must get its rows here."""
    module_acts = {name for name in dir(p) if name.startswith("may_")}
    covered = {f"may_{act}" for act in ("see_officer",)} | {act.__name__ for act in OFFICER_ACTS}
    covered |= {
        "may_view_schedule",
        "may_change_schedule",
        "may_remind",
        "may_hand_over",
        "may_report_lost",
        "may_pack",
        "may_ship",
        "may_cancel_shipment",
        "may_receive",
        "may_resolve_discrepancy",
        "may_export_personal_data",
        "may_read_audit_log",
        "may_edit_officer_record",
        "may_change_own_token",
    }
    covered |= PASSWORD_ACTS
    assert module_acts == covered


@pytest.mark.parametrize(
    ("actor", "subject", "expected"),
    [
        ("dept_admin", "home_officer", "A"),
        ("dept_admin", "other_officer", "N"),
        ("unit_admin", "home_officer", "A"),
        ("central", "other_officer", "A"),
        ("auditor", "other_officer", "A"),
        ("officer", "home_officer", "N"),
        ("central_inactive", "home_officer", "N"),
    ],
)
def test_seeing_an_officer_is_the_scope(actor: str, subject: str, expected: str) -> None:
    _expect(p.may_see_officer(ACTORS[actor], SUBJECTS[subject]), expected)


@pytest.mark.parametrize(
    ("verdict", "raised"),
    [
        (p.NOT_FOUND, p.OutOfSight),
        (p.FORBIDDEN, p.NotYours),
        (p.STEP_UP, p.StepUpRequired),
    ],
)
def test_enforce_raises_what_the_view_turns_into_a_page(verdict, raised) -> None:
    with pytest.raises(raised):
        p.enforce(verdict)


def test_enforce_lets_an_allowed_act_through() -> None:
    p.enforce(p.ALLOWED)


def test_refusals_are_django_404_and_403() -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    assert issubclass(p.OutOfSight, Http404)
    assert issubclass(p.NotYours, PermissionDenied)


# --- an officer's password (passwords app): the administrator-started reset -----------------------

PASSWORD_ACTS = {"may_start_password_reset"}
# With a STALE code, as OFFICER_TABLE; officers only (never an administrator's account), never
# oneself, auditors never.
PASSWORD_RESET_TABLE = {
    #                  home_officer other_officer home_admin central_self dept_admin_self other_central home_auditor unitless_officer
    "officer":          ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N"),
    "dept_admin":       ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N"),
    "unit_admin":       ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N"),
    "central":          ("S",        "S",          "F",       "F",         "F",            "F",          "F",         "S"),
    "auditor":          ("F",        "F",          "F",       "F",         "F",            "F",          "F",         "F"),
    "central_inactive": ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N"),
}  # fmt: skip


@pytest.mark.parametrize("actor", list(PASSWORD_RESET_TABLE))
@pytest.mark.parametrize("subject", list(SUBJECTS))
def test_starting_a_password_reset_follows_the_table(actor: str, subject: str) -> None:
    expected = PASSWORD_RESET_TABLE[actor][list(SUBJECTS).index(subject)]
    act = p.may_start_password_reset
    stale = act(ACTORS[actor], SUBJECTS[subject], at=AT, stepped_up_at=STALE)
    fresh = act(ACTORS[actor], SUBJECTS[subject], at=AT, stepped_up_at=FRESH)
    never = act(ACTORS[actor], SUBJECTS[subject], at=AT, stepped_up_at=None)
    _expect(stale, expected)
    _expect(never, expected)
    _expect(fresh, "A" if expected == "S" else expected)
