import csv
import datetime as dt
import io
import json
import re

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from agencies.lockout import unlock_officer
from agencies.policy import Role
from audit.services import record_event
from gfms_portal.clock import BANGKOK
from gfms_portal.exports import BE_DATETIME_FORMAT
from monitoring import audit_views as views
from tests.conftest import sign_in, streamed_body
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 5, 1, 9, 30, tzinfo=BANGKOK)
URL, CSV_URL, XLSX_URL = (
    "/manage/audit-log/",
    "/manage/audit-log/export.csv",
    "/manage/audit-log/export.xlsx",
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def bangkok(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BANGKOK)


def record(action: str, at: dt.datetime, **fields):
    with transaction.atomic():
        return record_event(action, at=at, **fields)


def logged_in(username: str) -> Client:
    client = Client()
    sign_in(client, username)
    return client


def shown_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-event="(\d+)"', response.content.decode())]


def error_fields(response) -> set[str]:
    return set(re.findall(r'data-field="(\w+)"', response.content.decode()))


def csv_rows(response) -> list[list[str]]:
    text = streamed_body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


# --- who may read it ----------------------------------------------------------------------------


@pytest.mark.parametrize("reader", ["alice", "erin"])
def test_central_admin_and_auditor_see_every_event(reader, alice, erin, charlie, dave) -> None:
    client = logged_in(reader)  # signing in writes its own audit rows first
    unlock_officer(
        charlie,
        actor=alice,
        at=bangkok(2025, 4, 1, 10, 0),
        stepped_up_at=bangkok(2025, 4, 1, 10, 0),
    )
    other = record(
        "officer.locked", bangkok(2025, 4, 2, 8, 0), actor_label="auth_gateway", officer=dave
    )
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    # Newest first (the reader's own sign-in rows, today, come before them).
    assert [pk for pk in shown_ids(response) if pk >= other.pk - 1] == [other.pk, other.pk - 1]
    assert 'data-action="officer.unlocked"' in body
    assert "ระบบตรวจสอบการเข้าสู่ระบบ" in body  # auth_gateway, in words
    assert "1 เม.ย. 2568 10:00" in body  # Buddhist era, Bangkok time


@pytest.mark.parametrize("path", [URL, CSV_URL, XLSX_URL])
@pytest.mark.parametrize("username", ["bob", "charlie"])
def test_agency_admin_and_officer_get_404(path, username, bob, charlie) -> None:
    record("officer.locked", bangkok(2025, 4, 2, 8, 0), officer=charlie)
    assert logged_in(username).get(path).status_code == 404


@pytest.mark.parametrize("path", [URL, CSV_URL, XLSX_URL])
def test_anonymous_is_sent_to_login(path, cgd_tree) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/manage/audit-log/")


def test_the_log_is_read_only(erin) -> None:
    assert logged_in("erin").post(URL, {}).status_code == 405


# --- filters ------------------------------------------------------------------------------------


def test_officer_filter_is_the_exact_user_id_in_any_case(alice, erin, charlie, cgd_tree) -> None:
    charlie2 = OfficerFactory.create(username="charlie2", unit=cgd_tree["cgd_unit"])
    mine = record("officer.unlocked", bangkok(2025, 4, 1, 10, 0), actor=alice, officer=charlie)
    record("officer.unlocked", bangkok(2025, 4, 1, 11, 0), actor=alice, officer=charlie2)
    client = logged_in("erin")
    assert shown_ids(client.get(URL, {"officer": " CHARLIE "})) == [mine.pk]
    unknown = client.get(URL, {"officer": "charl"})
    assert unknown.status_code == 200
    assert shown_ids(unknown) == [] and error_fields(unknown) == {"officer"}


def test_actor_filter_matches_people_exactly_and_system_labels_by_part(
    alice, erin, charlie
) -> None:
    alice2 = OfficerFactory.create(username="alice2", role=Role.CENTRAL_ADMIN, unit=None)
    by_alice = record("soft_token.reset", bangkok(2025, 4, 1, 9, 0), actor=alice, officer=charlie)
    record("soft_token.reset", bangkok(2025, 4, 1, 9, 5), actor=alice2, officer=charlie)
    imported = record(
        "officers.imported", bangkok(2025, 4, 1, 9, 10), actor_label="officers.imported (root)"
    )
    client = logged_in("erin")
    assert shown_ids(client.get(URL, {"actor": "Alice"})) == [by_alice.pk]
    assert shown_ids(client.get(URL, {"actor": "officers.imported"})) == [imported.pk]
    assert shown_ids(client.get(URL, {"actor": "nobody"})) == []


def test_event_type_filter(alice, erin, charlie) -> None:
    reset = record("soft_token.reset", bangkok(2025, 4, 1, 9, 0), actor=alice, officer=charlie)
    record("officer.unlocked", bangkok(2025, 4, 1, 9, 5), actor=alice, officer=charlie)
    response = logged_in("erin").get(URL, {"action": "soft_token.reset"})
    assert shown_ids(response) == [reset.pk]


def test_agency_filter_takes_the_subtree_through_the_event_or_the_officer(
    alice, erin, charlie, dave, cgd_tree
) -> None:
    officer_event = record(
        "officer.unlocked", bangkok(2025, 4, 1, 9, 0), actor=alice, officer=charlie
    )
    device_event = record(
        "token_key.state_changed",
        bangkok(2025, 4, 1, 9, 5),
        actor=alice,
        agency=cgd_tree["cgd_regional"],
        data={"serial": "TK-1", "from": "assigned", "to": "handed_over"},
    )
    record("officer.unlocked", bangkok(2025, 4, 1, 9, 10), actor=alice, officer=dave)
    client = logged_in("erin")
    assert shown_ids(client.get(URL, {"agency": "03004"})) == [device_event.pk, officer_event.pk]
    assert shown_ids(client.get(URL, {"agency": "0300400002"})) == [device_event.pk]
    missing = client.get(URL, {"agency": "99999"})
    assert shown_ids(missing) == [] and error_fields(missing) == {"agency"}


def test_dates_are_bangkok_days_and_the_end_day_is_included(alice, erin, charlie) -> None:
    def at(*moment: int) -> int:
        return record("officer.unlocked", bangkok(*moment), actor=alice, officer=charlie).pk

    before = at(2025, 4, 9, 23, 59)
    first = at(2025, 4, 10, 0, 0)
    last = at(2025, 4, 11, 23, 30)  # 16:30 UTC: still the 11th in Bangkok
    after = at(2025, 4, 12, 0, 30)  # 17:30 UTC on the 11th, but the 12th in Bangkok
    client = logged_in("erin")
    assert shown_ids(client.get(URL, {"date_from": "2025-04-10", "date_to": "2025-04-11"})) == [
        last,
        first,
    ]
    # From the 12th on: `after`, and today's sign-in rows of erin (they are newer).
    assert shown_ids(client.get(URL, {"date_from": "2025-04-12"}))[-1] == after
    assert shown_ids(client.get(URL, {"date_to": "2025-04-09"})) == [before]


@pytest.mark.parametrize("typed", ["2568-04-11", "11/04/2568", "2025-04-11", "11/4/2568"])
def test_dates_may_be_typed_in_the_buddhist_era(typed, alice, erin, charlie) -> None:
    record("officer.unlocked", bangkok(2025, 4, 10, 12, 0), actor=alice, officer=charlie)
    on_the_day = record(
        "officer.unlocked", bangkok(2025, 4, 11, 12, 0), actor=alice, officer=charlie
    )
    response = logged_in("erin").get(URL, {"date_from": typed, "date_to": typed})
    assert response.status_code == 200
    assert shown_ids(response) == [on_the_day.pk]


def test_filters_combine_into_one_selection(alice, erin, charlie, dave) -> None:
    wanted = record("soft_token.reset", bangkok(2025, 4, 11, 9, 0), actor=alice, officer=charlie)
    record("soft_token.reset", bangkok(2025, 4, 12, 9, 0), actor=alice, officer=charlie)
    record("soft_token.reset", bangkok(2025, 4, 11, 9, 0), actor=alice, officer=dave)
    record("officer.unlocked", bangkok(2025, 4, 11, 9, 0), actor=alice, officer=charlie)
    filters = {
        "officer": "charlie",
        "actor": "alice",
        "action": "soft_token.reset",
        "agency": "03",
        "date_from": "11/04/2568",
        "date_to": "11/04/2568",
    }
    assert shown_ids(logged_in("erin").get(URL, filters)) == [wanted.pk]


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"action": "token.nonexistent"}, "action"),
        ({"date_from": "2568-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "31/02/2568"}, "date_from"),
        ({"date_from": "0001-01-01"}, "date_from"),  # out of range, not a crash
        ({"date_from": "12/04/2568", "date_to": "11/04/2568"}, "date_to"),
        ({"page": "-1"}, "page"),
        ({"page": "two"}, "page"),
        ({"officer": "ghost"}, "officer"),
        ({"agency": "12ab"}, "agency"),
    ],
)
def test_bad_filters_are_named_and_show_no_event(filters, field, alice, erin, charlie) -> None:
    record("officer.unlocked", bangkok(2025, 4, 11, 9, 0), actor=alice, officer=charlie)
    client = logged_in("erin")
    page = client.get(URL, filters)
    assert page.status_code == 200
    assert error_fields(page) == {field}
    assert shown_ids(page) == []
    assert 'role="alert"' in page.content.decode()
    for export in (CSV_URL, XLSX_URL):
        refused = client.get(export, filters)
        assert refused.status_code == 400
        assert refused["Content-Type"].startswith("text/html")
        assert error_fields(refused) == {field}  # the same message, and no dump


# --- what a row shows ---------------------------------------------------------------------------


def test_unknown_codes_and_details_are_shown_compactly(alice, erin) -> None:
    record(
        "future.thing_happened",
        bangkok(2025, 4, 11, 9, 0),
        actor_label="a-command",
        data={"b": [1, 2], "a": {"x": None}, "secret": "JBSWY3DPEHPK3PXP"},
    )
    body = logged_in("erin").get(URL).content.decode()
    assert 'data-action="future.thing_happened"' in body
    assert "future.thing_happened" in body.split("<tbody>")[1]
    assert "a: {x: —}; b: [1, 2]; secret: [hidden]" in body
    assert "a-command" in body  # an unknown system label is shown as itself
    assert "JBSWY3DPEHPK3PXP" not in body


# --- pages and query count ----------------------------------------------------------------------


def test_pages_of_fifty_newest_first(alice, erin, charlie) -> None:
    start = bangkok(2025, 4, 1, 8, 0)
    ids = [
        record("officer.unlocked", start + dt.timedelta(minutes=n), actor=alice, officer=charlie).pk
        for n in range(55)
    ]
    client = logged_in("erin")
    first = client.get(URL, {"officer": "charlie"})
    assert shown_ids(first) == ids[::-1][:50]
    assert "page=2" in first.content.decode()
    assert shown_ids(client.get(URL, {"officer": "charlie", "page": "2"})) == ids[4::-1]
    assert shown_ids(client.get(URL, {"officer": "charlie", "page": "99"})) == ids[4::-1]  # last


def _many_events(count: int, cgd_tree, actor) -> None:
    units = [cgd_tree["cgd_unit"], cgd_tree["cgd_regional"], cgd_tree["customs_unit"]]
    for n in range(count):
        unit = units[n % 3]
        record(
            "token_key.state_changed",
            bangkok(2025, 4, 1, 8, 0) + dt.timedelta(minutes=n),
            actor=OfficerFactory.create(role=Role.CENTRAL_ADMIN, unit=None) if n % 2 else actor,
            officer=OfficerFactory.create(unit=unit),
            agency=unit if n % 2 else None,
            data={"serial": f"TK-{n}"},
        )


@pytest.mark.parametrize("path", [URL, CSV_URL])
def test_query_count_does_not_grow_with_rows(path, alice, erin, cgd_tree) -> None:
    client = logged_in("erin")
    client.get(URL)  # the first page after the login also stamps the session

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
            if path == CSV_URL:
                streamed_body(response)
        assert response.status_code == 200
        return len(captured)

    _many_events(3, cgd_tree, alice)
    few = queries()
    _many_events(27, cgd_tree, alice)
    assert queries() == few


# --- exports ------------------------------------------------------------------------------------


def test_csv_export_is_filtered_thai_buddhist_era_and_formula_safe(
    alice, erin, charlie, cgd_tree
) -> None:
    evil = OfficerFactory.create(
        username="evil", unit=cgd_tree["cgd_unit"], name_th="=HYPERLINK(1)"
    )
    wanted = record(
        "soft_token.reset",
        bangkok(2025, 4, 11, 23, 30),
        actor=alice,
        officer=evil,
        data={"reason": "lost phone", "delivery": "email"},
    )
    record("soft_token.reset", bangkok(2025, 4, 12, 0, 30), actor=alice, officer=evil)
    record("soft_token.reset", bangkok(2025, 4, 11, 10, 0), actor=alice, officer=charlie)
    response = logged_in("erin").get(
        CSV_URL, {"officer": "evil", "date_from": "2568-04-11", "date_to": "11/04/2568"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="audit-log-2568-05-01-0930.csv"' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == views.EXPORT_HEADER and rows[0][0] == "เลขที่"
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["เลขที่"] == str(wanted.pk)
    assert row["วันเวลา"] == "11 เม.ย. 2568 23:30 น."
    assert row["วันเวลา (ISO 8601)"] == "2025-04-11T23:30:00+07:00"
    assert row["รหัสเหตุการณ์"] == "soft_token.reset"
    assert row["เหตุการณ์"] not in ("", "soft_token.reset")  # the label, not the code
    assert row["ผู้ดำเนินการ"] == f"{alice.name_th} (alice)"
    assert row["ผู้ดำเนินการ (รหัส)"] == "alice"
    assert row["รหัสผู้ใช้ของผู้ปฏิบัติงาน"] == "evil"
    assert row["ชื่อผู้ปฏิบัติงาน"] == "'=HYPERLINK(1)"  # not a formula
    assert row["รหัสหน่วยงาน"] == "0300400001"  # the officer's unit
    assert row["รายละเอียด"] == (
        f"{alice.name_th} (alice) รีเซ็ต Soft Token ของ =HYPERLINK(1) (evil) (เหตุผล: lost phone) "
        "รหัสลงทะเบียนใหม่ส่งไปที่อีเมลราชการของเจ้าหน้าที่"
    )
    assert json.loads(row["ข้อมูลดิบ (JSON, เวลา ISO 8601)"]) == {
        "delivery": "email",
        "reason": "lost phone",
    }


def test_csv_export_without_filters_has_every_event(alice, erin, charlie) -> None:
    for n in range(3):
        record("officer.unlocked", bangkok(2025, 4, 1, 8, n), actor=alice, officer=charlie)
    rows = csv_rows(logged_in("alice").get(CSV_URL))
    # Every event: the three, and alice's sign-in and this export's own rows.
    from audit.models import AuditEvent

    assert len(rows) == 1 + AuditEvent.objects.count()
    assert sum(row[3] == "officer.unlocked" for row in rows) == 3


def test_xlsx_export_follows_the_filters(alice, erin, charlie, dave) -> None:
    wanted = record(
        "officer.locked",
        bangkok(2025, 4, 11, 9, 0),
        actor_label="auth_gateway",
        officer=charlie,
        data={"failed_logins": 5},
    )
    record("officer.unlocked", bangkok(2025, 4, 11, 9, 5), actor=alice, officer=charlie)
    record("officer.locked", bangkok(2025, 4, 11, 9, 0), actor_label="auth_gateway", officer=dave)
    response = logged_in("erin").get(XLSX_URL, {"action": "officer.locked", "agency": "03004"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('filename="audit-log-2568-05-01-0930.xlsx"')
    sheet = load_workbook(io.BytesIO(streamed_body(response))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == views.EXPORT_HEADER
    assert [row[0] for row in rows[1:]] == [str(wanted.pk)]
    # A date cell in Bangkok time, shown in the Buddhist calendar; the ISO column stays text.
    assert rows[1][1] == dt.datetime.fromisoformat("2025-04-11T09:00")
    assert sheet.cell(row=2, column=2).number_format == BE_DATETIME_FORMAT
    assert rows[1][2] == "2025-04-11T09:00:00+07:00"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:M2"
    assert sheet.column_dimensions["L"].width == views.EXPORT_WIDTHS[11]
    assert rows[1][5] == "ระบบตรวจสอบการเข้าสู่ระบบ"
    assert rows[1][6] == "auth_gateway"
    assert rows[1][-1] == '{"failed_logins": 5}'


def test_xlsx_export_refuses_more_rows_than_excel_holds(monkeypatch, alice, erin, charlie) -> None:
    for n in range(3):
        record("officer.unlocked", bangkok(2025, 4, 1, 8, n), actor=alice, officer=charlie)
    monkeypatch.setattr(views, "XLSX_MAX_ROWS", 2)
    client = logged_in("erin")
    refused = client.get(XLSX_URL)
    assert refused.status_code == 400
    assert shown_ids(refused) == []
    assert client.get(XLSX_URL, {"date_to": "2025-03-31"}).status_code == 200
