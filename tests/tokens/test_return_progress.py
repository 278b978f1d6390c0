"""Return progress per parent agency, the outstanding-devices export, and the reminders."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from agencies.models import Officer
from agencies.policy import Role
from gfms_portal.exports import BE_DATE_FORMAT
from schedule.policy import CIRCULAR_SCHEDULE
from tests.conftest import PASSWORD, sign_in, streamed_body
from tests.factories import OfficerFactory, TokenKeyFactory
from tokens.models import ReturnReminder, TokenKey, TokenKeyState
from tokens.returns import return_progress, return_reminder_key

pytestmark = pytest.mark.django_db
S = TokenKeyState
AT = dt.datetime(2025, 5, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def fleet(cgd_tree, charlie: Officer, dave: Officer) -> None:
    states = [S.IN_USE, S.HANDED_OVER, S.IN_SHIPMENT, S.RECEIVED, S.RECEIVED, S.LOST]
    for number, state in enumerate(states):
        TokenKeyFactory.create(
            serial=f"DEMO-C{number}", officer=charlie, state=state, updated_at=AT
        )
    TokenKeyFactory.create(serial="DEMO-D0", officer=dave, updated_at=AT)


def test_progress_equals_a_recount_and_respects_scope(fleet, alice: Officer, bob: Officer) -> None:
    everything = {row.code: row for row in return_progress(alice.viewer)}
    assert set(everything) == {"03004", "21004"}
    cgd = everything["03004"]
    recount = TokenKey.objects.filter(unit__parent__code="03004")
    assert cgd.total == recount.count() == 6
    assert cgd.received == recount.filter(state=S.RECEIVED).count() == 2
    assert (cgd.in_transit, cgd.lost, cgd.outstanding) == (2, 1, 1)
    assert cgd.percent_returned == 50.0  # received 2 + lost 1 of 6 accounted for
    assert [row.code for row in return_progress(bob.viewer)] == ["03004"]  # bob's subtree only


def test_csv_export_has_a_bom_thai_headers_and_only_outstanding_in_scope(
    fleet, bob: Officer
) -> None:
    client = Client()
    with time_machine.travel(AT, tick=False):
        sign_in(client, "bob")
        response = client.get("/manage/token-keys/outstanding.csv")
        xlsx = client.get("/manage/token-keys/outstanding.xlsx")
        missing_format = client.get("/manage/token-keys/outstanding.pdf")
    body = streamed_body(response).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "หมายเลขเครื่อง"
    assert sorted(row[0] for row in rows[1:]) == ["DEMO-C0", "DEMO-C1", "DEMO-C2"]  # not dave's
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(streamed_body(xlsx))).active
    assert sheet.max_row == 4
    assert sheet.cell(row=2, column=7).is_date  # last change: a date cell in the BE calendar
    assert sheet.cell(row=2, column=7).number_format == BE_DATE_FORMAT
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G4"
    assert missing_format.status_code == 404


@pytest.mark.parametrize(
    ("today", "key"),
    [
        (dt.date(2025, 5, 16), "before-14-2025-05-30"),
        (dt.date(2025, 5, 23), "before-7-2025-05-30"),
        (dt.date(2025, 5, 29), "before-1-2025-05-30"),
        (dt.date(2025, 5, 30), None),  # the due day itself
        (dt.date(2025, 5, 20), None),
        (dt.date(2025, 6, 2), "overdue-2025-06-02"),  # a Monday after the due day
        (dt.date(2025, 6, 3), None),
    ],
)
def test_return_reminders_fall_on_their_days_before_the_due_date(
    today: dt.date, key: str | None
) -> None:
    assert return_reminder_key(today, CIRCULAR_SCHEDULE.return_due) == key


def test_reminders_go_once_to_agencies_with_keys_out(
    fleet, bob: Officer, django_capture_on_commit_callbacks
) -> None:
    daves_unit = Officer.objects.get(username="dave").unit
    assert daves_unit is not None
    OfficerFactory.create(
        username="health.admin", role=Role.AGENCY_ADMIN, unit=None, admin_scope=daves_unit.parent
    )
    fourteen_days_before = dt.datetime(2025, 5, 16, 2, 0, tzinfo=dt.UTC)
    with (
        time_machine.travel(fourteen_days_before, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_return_reminders", stdout=io.StringIO())
        call_command("send_return_reminders", stdout=io.StringIO())  # a rerun sends nothing
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [bob.email, "health.admin@agency.example"]
    )
    assert ReturnReminder.objects.filter(key="before-14-2025-05-30").count() == 2
    assert "30 พฤษภาคม 2568" in mail.outbox[0].body


def test_cgd_follows_up_a_missing_key_from_the_progress_page(
    cgd_tree, bob: Officer, alice: Officer, charlie: Officer
) -> None:
    from tokens.custody import (
        create_shipment,
        discrepancies,
        hand_over,
        mark_shipped,
        receive_shipment,
    )

    for serial in ("DEMO-F1", "DEMO-F2"):
        TokenKeyFactory.create(serial=serial, officer=charlie, updated_at=AT)
    with time_machine.travel(AT, tick=False):
        hand_over("DEMO-F1 DEMO-F2", actor=bob, at=AT)
        shipment = create_shipment("DEMO-F1 DEMO-F2", actor=bob, at=AT)
        mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AT)
        receive_shipment(shipment, "DEMO-F1", actor=alice, at=AT)
        client = Client()
        sign_in(client, "alice")
        page = client.get("/manage/token-keys/progress/").content.decode()
        assert "DEMO-F2" in page and 'value="late"' in page
        client.post("/manage/token-keys/progress/", {"action": "late", "serial": "DEMO-F2"})
        assert TokenKey.objects.get(serial="DEMO-F2").state == S.RECEIVED
        assert discrepancies() == []
        # An agency administrator sees the list but cannot act on it.
        other = Client()
        other.post("/login/", {"username": "bob", "password": PASSWORD})
        assert 'value="resolve"' not in other.get("/manage/token-keys/progress/").content.decode()
