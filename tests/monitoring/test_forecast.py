"""Tomorrow's refusals, forecast (monitoring.forecast, /manage/forecast/): who is counted before
the soft-token-only day and after it, Bangkok day boundaries, the per-agency table, the trend,
scope and bad input. Actions (reminder, exports) and the number elsewhere:
test_forecast_actions.py."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from agencies.models import Agency, Officer
from agencies.policy import Role
from auth_gateway.policy import Decision, Method, Reason
from gfms_portal.clock import BANGKOK
from monitoring.forecast import (
    forecast_overview,
    forecast_trend,
    is_notice_due,
    refused_overview,
    refused_since_cutover,
    refused_trend,
    will_be_refused,
)
from schedule.models import Schedule
from schedule.policy import CIRCULAR_SCHEDULE, Phase
from tests.conftest import force_sign_in
from tests.factories import (
    LoginDecisionFactory,
    OfficerFactory,
    RegistrationCodeFactory,
    SoftTokenFactory,
)
from tokens.models import SoftTokenStatus

pytestmark = pytest.mark.django_db
CUTOVER = CIRCULAR_SCHEDULE.soft_token_only_from  # 12 Apr 2025
AT = dt.datetime(2025, 4, 1, 10, 0, tzinfo=BANGKOK)  # in the window, 11 days before the cutover
AFTER = dt.datetime(2025, 4, 15, 10, 0, tzinfo=BANGKOK)


def login(officer: Officer, method: Method, at: dt.datetime, **fields: object) -> None:
    LoginDecisionFactory.create(officer=officer, method=method, at=at, **fields)


def refused(officer: Officer, at: dt.datetime, reason: Reason = Reason.NOT_REGISTERED) -> None:
    LoginDecisionFactory.create(
        officer=officer,
        method=Method.TOKEN_KEY,
        decision=Decision.DENY,
        reason=reason,
        phase=Phase.SOFT_TOKEN_ONLY,
        at=at,
    )


def usernames(officers) -> set[str]:
    return set(officers.values_list("username", flat=True))


@pytest.fixture
def world(cgd_tree: dict[str, Agency]) -> dict[str, Officer]:
    """Officers of CGD's two units and one of the Department of Disease Control."""
    unit, regional, disease = (
        cgd_tree["cgd_unit"],
        cgd_tree["cgd_regional"],
        cgd_tree["disease_unit"],
    )
    people = {
        name: OfficerFactory.create(username=name, name_th=f"ชื่อ {name}", unit=where)
        for name, where in [
            ("keyuser", unit),  # Token Key two days ago, not registered: counted
            ("pwuser", regional),  # password alone yesterday, half-way through registering
            ("registered", unit),  # password yesterday, registered since: not counted
            ("oldlogin", unit),  # Token Key 20 days ago: outside 14 days
            ("refusedonly", unit),  # only a refused Token Key login (wrong password)
            ("softonly", unit),  # a soft-token login only (cannot happen unregistered, but)
            ("never", unit),  # never logged in: not counted
            ("disease", disease),  # another ministry's officer, Token Key yesterday
        ]
    }
    login(people["keyuser"], Method.TOKEN_KEY, AT - dt.timedelta(days=2))
    login(people["keyuser"], Method.TOKEN_KEY, AT - dt.timedelta(hours=1))
    login(people["pwuser"], Method.PASSWORD, AT - dt.timedelta(days=1))
    SoftTokenFactory.create(
        officer=people["pwuser"],
        status=SoftTokenStatus.PENDING,
        created_at=AT - dt.timedelta(minutes=3),
        confirmed_at=None,
    )
    login(people["registered"], Method.PASSWORD, AT - dt.timedelta(days=1))
    SoftTokenFactory.create(officer=people["registered"], confirmed_at=AT - dt.timedelta(hours=5))
    login(people["oldlogin"], Method.TOKEN_KEY, AT - dt.timedelta(days=20))
    login(
        people["refusedonly"],
        Method.TOKEN_KEY,
        AT - dt.timedelta(days=1),
        decision=Decision.DENY,
        reason=Reason.INVALID_CREDENTIALS,
    )
    login(people["softonly"], Method.SOFT_TOKEN, AT - dt.timedelta(days=1))
    login(people["disease"], Method.TOKEN_KEY, AT - dt.timedelta(days=1))
    # An administrator's own legacy login is never one of "the officers".
    admin = OfficerFactory.create(
        username="legacyadmin", role=Role.AGENCY_ADMIN, unit=unit, admin_scope=cgd_tree["cgd"]
    )
    login(admin, Method.PASSWORD, AT - dt.timedelta(days=1))
    return people


# --- the forecast set ---------------------------------------------------------------------------


def test_the_forecast_set_is_unregistered_officers_with_a_recent_legacy_login(
    world, alice, bob
) -> None:
    assert usernames(will_be_refused(alice.viewer, at=AT, days=14)) == {
        "keyuser",
        "pwuser",
        "disease",
    }
    assert usernames(will_be_refused(bob.viewer, at=AT, days=14)) == {"keyuser", "pwuser"}


def test_a_longer_window_takes_older_logins_in(world, alice) -> None:
    assert "oldlogin" in usernames(will_be_refused(alice.viewer, at=AT, days=21))
    assert "oldlogin" not in usernames(will_be_refused(alice.viewer, at=AT, days=20))


def test_the_window_is_whole_bangkok_days(cgd_tree, alice) -> None:
    """days=1 is today in Bangkok: from 00:00 Asia/Bangkok (17:00 UTC the day before)."""
    late_yesterday = OfficerFactory.create(username="lateyesterday", unit=cgd_tree["cgd_unit"])
    early_today = OfficerFactory.create(username="earlytoday", unit=cgd_tree["cgd_unit"])
    midnight = dt.datetime(2025, 4, 1, 0, 0, tzinfo=BANGKOK)
    login(late_yesterday, Method.TOKEN_KEY, midnight - dt.timedelta(seconds=1))
    login(early_today, Method.PASSWORD, midnight)
    with time_machine.travel(AT, tick=False):
        assert usernames(will_be_refused(alice.viewer, at=AT, days=1)) == {"earlytoday"}
        assert usernames(will_be_refused(alice.viewer, at=AT, days=2)) == {
            "earlytoday",
            "lateyesterday",
        }
        # 06:59 Bangkok is still "today" for the page, though it is yesterday in UTC.
        early = dt.datetime(2025, 4, 1, 6, 59, tzinfo=BANGKOK)
        assert usernames(will_be_refused(alice.viewer, at=early, days=1)) == {"earlytoday"}


def test_the_trend_counts_officers_per_bangkok_day(cgd_tree, world, alice) -> None:
    keyuser = world["keyuser"]
    # Two more logins on one day by the same officer: counted once that day.
    login(keyuser, Method.PASSWORD, dt.datetime(2025, 3, 30, 23, 59, tzinfo=BANGKOK))
    login(keyuser, Method.PASSWORD, dt.datetime(2025, 3, 31, 0, 1, tzinfo=BANGKOK))
    days = {day.day: day.officers for day in forecast_trend(alice.viewer, None, at=AT, days=14)}
    assert len(days) == 14 and min(days) == dt.date(2025, 3, 19) and max(days) == AT.date()
    assert days[dt.date(2025, 3, 30)] == 1  # keyuser at 10:00 and at 23:59: once
    assert days[dt.date(2025, 3, 31)] == 3  # keyuser (00:01), pwuser, disease
    assert days[dt.date(2025, 4, 1)] == 1  # keyuser an hour ago
    assert sum(days.values()) == 5  # the registered officer and the refused login count nowhere


def test_the_per_agency_table_drills_down(cgd_tree, world, alice, bob) -> None:
    node, summary, ministries = forecast_overview(alice.viewer, None, at=AT, days=14)
    assert node is None and summary.will_be_refused == 3
    by_code = {row.code: row for row in ministries}
    assert by_code["03"].will_be_refused == 2 and by_code["21"].will_be_refused == 1
    # unregistered: keyuser, pwuser, oldlogin, refusedonly, softonly, never
    assert by_code["03"].unregistered == 6 and by_code["03"].percent == 33.3
    node, summary, units = forecast_overview(bob.viewer, None, at=AT, days=14)
    assert node == cgd_tree["cgd"] and summary.will_be_refused == 2
    assert {row.code: row.will_be_refused for row in units} == {"0300400001": 1, "0300400002": 1}
    node, summary, leaf = forecast_overview(bob.viewer, "0300400002", at=AT, days=14)
    assert leaf == [] and summary.will_be_refused == 1 and summary.unregistered == 1


# --- after the day --------------------------------------------------------------------------------


@pytest.fixture
def refusals(cgd_tree) -> dict[str, Officer]:
    unit = cgd_tree["cgd_unit"]
    people = {
        name: OfficerFactory.create(username=name, unit=unit)
        for name in ["nocode", "withcode", "expiredcode", "since", "habit", "before", "wrongpw"]
    }
    day = dt.datetime(2025, 4, 12, 0, 0, tzinfo=BANGKOK)
    refused(people["nocode"], day)  # the first instant of the day counts
    refused(people["nocode"], day + dt.timedelta(days=1))
    refused(people["withcode"], day + dt.timedelta(days=2))
    RegistrationCodeFactory.create(
        officer=people["withcode"], issued_at=AFTER - dt.timedelta(days=1)
    )
    refused(people["expiredcode"], day + dt.timedelta(days=1))
    RegistrationCodeFactory.create(
        officer=people["expiredcode"],
        issued_at=AFTER - dt.timedelta(days=9),
        expires_at=AFTER - dt.timedelta(days=2),
    )
    refused(people["since"], day + dt.timedelta(hours=9))
    SoftTokenFactory.create(officer=people["since"], confirmed_at=AFTER - dt.timedelta(days=1))
    # A registered officer who tried the Token Key out of habit: method_not_allowed.
    SoftTokenFactory.create(officer=people["habit"], confirmed_at=day - dt.timedelta(days=30))
    refused(people["habit"], day + dt.timedelta(days=1), Reason.METHOD_NOT_ALLOWED)
    refused(people["before"], day - dt.timedelta(seconds=1))  # the evening before: not counted
    LoginDecisionFactory.create(  # a wrong password after the day is no refusal for a token
        officer=people["wrongpw"],
        method=Method.SOFT_TOKEN,
        decision=Decision.DENY,
        at=day + dt.timedelta(days=1),
    )
    return people


def test_after_the_day_the_refused_officers_and_what_they_have_now(
    refusals, alice, bob, dave
) -> None:
    refused(dave, dt.datetime(2025, 4, 13, 8, 0, tzinfo=BANGKOK))  # outside bob's scope
    schedule = CIRCULAR_SCHEDULE
    everyone = refused_since_cutover(alice.viewer, at=AFTER, schedule=schedule)
    assert usernames(everyone) == {"nocode", "withcode", "expiredcode", "since", "habit", "dave"}
    mine = refused_since_cutover(bob.viewer, at=AFTER, schedule=schedule, state="without_code")
    assert usernames(mine) == {"nocode", "expiredcode"}
    assert usernames(
        refused_since_cutover(bob.viewer, at=AFTER, schedule=schedule, state="with_code")
    ) == {"withcode"}
    assert usernames(
        refused_since_cutover(bob.viewer, at=AFTER, schedule=schedule, state="registered")
    ) == {"since", "habit"}
    _node, summary, units = refused_overview(bob.viewer, None, at=AFTER, schedule=schedule)
    assert (summary.refused, summary.registered, summary.with_code, summary.without_code) == (
        5,
        2,
        1,
        2,
    )
    assert [(row.code, row.refused) for row in units] == [("0300400001", 5)]


def test_after_the_day_the_trend_starts_on_the_day(refusals, bob) -> None:
    days = refused_trend(bob.viewer, None, at=AFTER, days=14, schedule=CIRCULAR_SCHEDULE)
    assert [(day.day.isoformat(), day.officers) for day in days] == [
        ("2025-04-12", 2),  # nocode at 00:00, since at 09:00 (not "before", the evening before)
        ("2025-04-13", 3),  # nocode, expiredcode, habit
        ("2025-04-14", 1),  # withcode
        ("2025-04-15", 0),
    ]
    assert len(refused_trend(bob.viewer, None, at=AFTER, days=2, schedule=CIRCULAR_SCHEDULE)) == 2


@time_machine.travel(AFTER, tick=False)
def test_after_the_day_the_page_changes_heading_and_columns(client: Client, refusals, bob) -> None:
    body = force_sign_in(client, bob).get("/manage/forecast/").content.decode()
    assert "ถูกปฏิเสธตั้งแต่ 12 เมษายน 2568" in body  # "Refused since 12 April 2568"
    assert 'data-testid="officer-nocode"' in body and 'data-testid="officer-before"' not in body
    assert "ยังไม่มีรหัส" in body  # "No code yet"
    assert 'data-testid="remind"' not in body  # a reminder cannot help any more
    assert 'name="state"' in body


# --- the page: scope, bad input -----------------------------------------------------------------


@time_machine.travel(AT, tick=False)
def test_an_agency_administrator_sees_only_its_subtree(client: Client, world, bob) -> None:
    force_sign_in(client, bob)
    body = client.get("/manage/forecast/").content.decode()
    assert "จะถูกปฏิเสธตั้งแต่ 12 เมษายน 2568" in body  # "Will be refused from 12 April 2568"
    assert 'data-testid="officer-keyuser"' in body and 'data-testid="officer-pwuser"' in body
    assert "disease" not in body and "registered</a>" not in body
    assert 'data-testid="row-0300400001"' in body
    assert client.get("/manage/forecast/21004/").status_code == 404
    assert client.get("/manage/forecast/2100400001/").status_code == 404
    assert client.get("/manage/forecast/99999/").status_code == 404  # same answer: no probing
    assert client.get("/manage/forecast.csv?unit=21004").status_code == 404
    body = client.get("/manage/forecast/0300400002/").content.decode()
    assert 'data-testid="officer-pwuser"' in body and "keyuser" not in body


@time_machine.travel(AT, tick=False)
def test_officers_do_not_see_the_page(client: Client, world) -> None:
    client.force_login(world["keyuser"])
    assert client.get("/manage/forecast/").status_code == 404


@time_machine.travel(AT, tick=False)
@pytest.mark.parametrize("days", ["abc", "0", "91", "-3", "1.5"])
def test_bad_days_are_named_and_nothing_is_shown(client: Client, world, bob, days) -> None:
    response = force_sign_in(client, bob).get(f"/manage/forecast/?days={days}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "จำนวนวัน" in body and "1 ถึง 90" in body  # "a whole number of days from 1 to 90"
    assert 'data-testid="officers"' not in body


@time_machine.travel(AT, tick=False)
def test_days_in_thai_digits(client: Client, world, alice) -> None:
    body = force_sign_in(client, alice).get("/manage/forecast/?days=๒๑").content.decode()
    assert 'data-testid="officer-oldlogin"' in body


@time_machine.travel(AT, tick=False)
def test_the_list_sorts_and_filters(client: Client, world, alice) -> None:
    force_sign_in(client, alice)
    body = client.get("/manage/forecast/?sort=username&order=desc").content.decode()
    assert (
        body.index("officer-pwuser") < body.index("officer-keyuser") < body.index("officer-disease")
    )
    body = client.get("/manage/forecast/?q=pwu").content.decode()
    assert "officer-pwuser" in body and "officer-keyuser" not in body
    body = client.get("/manage/forecast/?sort=last").content.decode()  # newest first
    assert body.index("officer-keyuser") < body.index("officer-pwuser")
    body = client.get("/manage/forecast/").content.decode()  # by unit, then user id
    assert (
        body.index("officer-keyuser") < body.index("officer-pwuser") < body.index("officer-disease")
    )
    body = client.get("/manage/forecast/?q=user&days=7").content.decode()
    assert "?q=user&amp;days=7&amp;sort=username&amp;order=asc" in body  # sorting keeps the filters


def test_the_notice_is_due_in_the_last_two_weeks_only() -> None:
    day = CIRCULAR_SCHEDULE.soft_token_only_from
    assert not is_notice_due(day - dt.timedelta(days=15), CIRCULAR_SCHEDULE)
    assert is_notice_due(day - dt.timedelta(days=14), CIRCULAR_SCHEDULE)
    assert is_notice_due(day - dt.timedelta(days=1), CIRCULAR_SCHEDULE)
    assert not is_notice_due(day, CIRCULAR_SCHEDULE)


def test_the_schedule_is_the_circulars(db) -> None:
    assert Schedule.load().dates.soft_token_only_from == CUTOVER
