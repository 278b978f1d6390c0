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
    "agency_desk": Actor(pk=7, role=Role.HELPDESK, scope_path=HOME, scope_kind=Kind.DEPARTMENT),
    "central_desk": Actor(pk=8, role=Role.CENTRAL_HELPDESK),
    # Scoped roles without their node: they see nothing (fail closed).
    "unscoped_desk": Actor(pk=9, role=Role.HELPDESK),
    "unscoped_admin": Actor(pk=16, role=Role.AGENCY_ADMIN),
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
    "home_desk": Subject(pk=17, role=Role.HELPDESK, unit_path=HOME_UNIT),
    "agency_desk_self": Subject(pk=7, role=Role.HELPDESK, unit_path=HOME_UNIT),
}

LETTER = {
    "A": None,
    "S": Refusal.STEP_UP,
    "F": Refusal.FORBIDDEN,
    "N": Refusal.NOT_FOUND,
}

# Reset and unlock share one rule; the verdicts below are with a STALE code (a fresh one
# turns every S into A, checked separately). The desk acts on officers only, never on itself
# or another privileged account.
OFFICER_ACTS = [p.may_reset_soft_token, p.may_unlock]
OFFICER_TABLE = {
    #                  home_officer other_officer home_admin central_self dept_admin_self other_central home_auditor unitless_officer home_desk agency_desk_self
    "officer":          ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "dept_admin":       ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "unit_admin":       ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "central":          ("S",        "S",          "S",       "F",         "S",            "S",          "S",         "S",             "S",      "S"),
    "auditor":          ("F",        "F",          "F",       "F",         "F",            "F",          "F",         "F",             "F",      "F"),
    "central_inactive": ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "agency_desk":      ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "central_desk":     ("S",        "S",          "F",       "F",         "F",            "F",          "F",         "S",             "F",      "F"),
    "unscoped_desk":    ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "unscoped_admin":   ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
}  # fmt: skip

# A late-registration code: the administrators' rows of the table above, but never the desk
# (an exception to the deadline is the administrator's decision).
LATE_CODE_TABLE = {
    **OFFICER_TABLE,
    "agency_desk":      ("F",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "central_desk":     ("F",        "F",          "F",       "F",         "F",            "F",          "F",         "F",             "F",      "F"),
}  # fmt: skip

# Resending the registration e-mail code and checking a citizen ID read out on the phone: the
# same people on the same accounts as reset and unlock, without a fresh code (each is limited
# and audited instead).
NO_CODE_ACTS = [p.may_resend_email_code, p.may_check_citizen_id]
NO_CODE_TABLE = {
    #                  home_officer other_officer home_admin central_self dept_admin_self other_central home_auditor unitless_officer home_desk agency_desk_self
    "officer":          ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "dept_admin":       ("A",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "unit_admin":       ("A",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "central":          ("A",        "A",          "A",       "F",         "A",            "A",          "A",         "A",             "A",      "A"),
    "auditor":          ("F",        "F",          "F",       "F",         "F",            "F",          "F",         "F",             "F",      "F"),
    "central_inactive": ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "agency_desk":      ("A",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "central_desk":     ("A",        "A",          "F",       "F",         "F",            "F",          "F",         "A",             "F",      "F"),
    "unscoped_desk":    ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "unscoped_admin":   ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
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


@pytest.mark.parametrize("actor", list(LATE_CODE_TABLE))
@pytest.mark.parametrize("subject", list(SUBJECTS))
def test_issuing_a_late_code_follows_its_table(actor: str, subject: str) -> None:
    expected = LATE_CODE_TABLE[actor][list(SUBJECTS).index(subject)]
    stale = p.may_issue_late_code(ACTORS[actor], SUBJECTS[subject], at=AT, stepped_up_at=STALE)
    fresh = p.may_issue_late_code(ACTORS[actor], SUBJECTS[subject], at=AT, stepped_up_at=FRESH)
    _expect(stale, expected)
    _expect(fresh, "A" if expected == "S" else expected)


@pytest.mark.parametrize("act", NO_CODE_ACTS, ids=lambda act: act.__name__)
@pytest.mark.parametrize("actor", list(NO_CODE_TABLE))
@pytest.mark.parametrize("subject", list(SUBJECTS))
def test_acts_without_a_fresh_code_follow_their_table(act, actor: str, subject: str) -> None:
    _expect(
        act(ACTORS[actor], SUBJECTS[subject]), NO_CODE_TABLE[actor][list(SUBJECTS).index(subject)]
    )


def test_every_actor_has_a_row_in_every_officer_table() -> None:
    for table in (OFFICER_TABLE, LATE_CODE_TABLE, NO_CODE_TABLE):
        assert set(table) == set(ACTORS)
        assert all(len(row) == len(SUBJECTS) for row in table.values())


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
    #                        officer dept  unit  central auditor inactive a_desk c_desk no_scope_desk no_scope_admin
    "view_schedule":          ("N",   "N",  "N",  "A",    "A",    "N",     "N",   "N",   "N",          "N"),
    "change_schedule":        ("N",   "N",  "N",  "S",    "F",    "N",     "N",   "N",   "N",          "N"),
    "remind_whole_scope":     ("N",   "A",  "A",  "A",    "F",    "N",     "A",   "A",   "N",          "N"),
    "remind_home_unit":       ("N",   "A",  "A",  "A",    "F",    "N",     "A",   "A",   "N",          "N"),
    "remind_other_unit":      ("N",   "N",  "N",  "A",    "F",    "N",     "N",   "A",   "N",          "N"),
    "hand_over_home":         ("N",   "A",  "A",  "A",    "F",    "N",     "F",   "F",   "N",          "N"),
    "hand_over_other":        ("N",   "N",  "N",  "A",    "F",    "N",     "N",   "F",   "N",          "N"),
    "lost_in_transit_home":   ("N",   "F",  "F",  "A",    "F",    "N",     "F",   "F",   "N",          "N"),
    "lost_before_transit":    ("N",   "A",  "A",  "A",    "F",    "N",     "F",   "F",   "N",          "N"),
    "pack":                   ("N",   "A",  "F",  "F",    "F",    "N",     "F",   "F",   "N",          "N"),
    "ship_home":              ("N",   "A",  "N",  "F",    "F",    "N",     "F",   "F",   "N",          "N"),
    "ship_other":             ("N",   "N",  "N",  "F",    "F",    "N",     "N",   "F",   "N",          "N"),
    "cancel_home":            ("N",   "A",  "N",  "F",    "F",    "N",     "F",   "F",   "N",          "N"),
    "receive":                ("N",   "F",  "F",  "A",    "F",    "N",     "F",   "F",   "N",          "N"),
    "resolve":                ("N",   "F",  "F",  "S",    "F",    "N",     "F",   "F",   "N",          "N"),
    "export_personal_data":   ("N",   "S",  "S",  "S",    "S",    "N",     "S",   "S",   "N",          "N"),
    "read_audit_log":         ("N",   "N",  "N",  "A",    "A",    "N",     "N",   "N",   "N",          "N"),
    "see_forecast":           ("N",   "A",  "A",  "A",    "A",    "N",     "A",   "A",   "N",          "N"),
    "see_forecast_home_unit": ("N",   "A",  "A",  "A",    "A",    "N",     "A",   "A",   "N",          "N"),
    "see_forecast_other":     ("N",   "N",  "N",  "A",    "A",    "N",     "N",   "A",   "N",          "N"),
    "edit_officer_record":    ("N",   "F",  "F",  "S",    "F",    "N",     "F",   "F",   "N",          "N"),
    "change_own_token":       ("S",   "S",  "S",  "S",    "S",    "N",     "S",   "S",   "S",          "S"),
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
    "see_forecast": lambda a, code: p.may_see_forecast(a),
    "see_forecast_home_unit": lambda a, code: p.may_see_forecast(a, HOME_UNIT),
    "see_forecast_other": lambda a, code: p.may_see_forecast(a, OTHER),
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
    covered = {f"may_{act}" for act in ("see_officer", "issue_late_code")}
    covered |= {act.__name__ for act in OFFICER_ACTS + NO_CODE_ACTS}
    covered |= {
        "may_view_schedule",
        "may_change_schedule",
        "may_see_forecast",
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
        ("agency_desk", "home_officer", "A"),
        ("agency_desk", "other_officer", "N"),
        ("agency_desk", "unitless_officer", "N"),
        ("central_desk", "other_officer", "A"),
        ("central_desk", "unitless_officer", "A"),
        ("unscoped_desk", "home_officer", "N"),
        ("unscoped_admin", "home_officer", "N"),
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
# With a STALE code, as OFFICER_TABLE; officers only (never a privileged account), never
# oneself, auditors never; the help desk for the officers it sees (the link goes to the
# official e-mail).
PASSWORD_RESET_TABLE = {
    #                  home_officer other_officer home_admin central_self dept_admin_self other_central home_auditor unitless_officer home_desk agency_desk_self
    "officer":          ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "dept_admin":       ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "unit_admin":       ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "central":          ("S",        "S",          "F",       "F",         "F",            "F",          "F",         "S",             "F",      "F"),
    "auditor":          ("F",        "F",          "F",       "F",         "F",            "F",          "F",         "F",             "F",      "F"),
    "central_inactive": ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "agency_desk":      ("S",        "N",          "F",       "N",         "F",            "N",          "F",         "N",             "F",      "F"),
    "central_desk":     ("S",        "S",          "F",       "F",         "F",            "F",          "F",         "S",             "F",      "F"),
    "unscoped_desk":    ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
    "unscoped_admin":   ("N",        "N",          "N",       "N",         "N",            "N",          "N",         "N",             "N",      "N"),
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
