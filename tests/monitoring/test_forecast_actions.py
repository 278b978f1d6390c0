"""The forecast page's acts and its number elsewhere: the reminder to exactly those officers
(once a Bangkok day), the CSV/XLSX exports (BE dates, step-up), "will be refused from …" on the
progress pages and in the weekly digest only in the last two weeks, and bounded query counts."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from agencies.models import Agency, Officer
from audit.models import AuditEvent
from auth_gateway.policy import Decision, Method, Reason
from gfms_portal.clock import BANGKOK
from outbox.models import OutboxMessage
from registration.models import RegistrationReminder
from registration.reminders import send_registration_reminders
from schedule.policy import Phase
from tests.conftest import force_sign_in, streamed_body
from tests.factories import (
    LoginDecisionFactory,
    OfficerFactory,
    RegistrationCodeFactory,
    SoftTokenFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 4, 1, 10, 0, tzinfo=BANGKOK)  # 11 days before the cutover (12 Apr 2025)
AFTER = dt.datetime(2025, 4, 15, 10, 0, tzinfo=BANGKOK)


def legacy(officer: Officer, at: dt.datetime, method: Method = Method.TOKEN_KEY) -> None:
    LoginDecisionFactory.create(officer=officer, method=method, at=at)


@pytest.fixture
def people(cgd_tree: dict[str, Agency], dave: Officer) -> dict[str, Officer]:
    unit = cgd_tree["cgd_unit"]
    made = {
        "keyuser": OfficerFactory.create(username="keyuser", name_th="สมชาย ใจดี", unit=unit),
        "pwuser": OfficerFactory.create(
            username="pwuser", name_th="=สมหญิง", unit=cgd_tree["cgd_regional"]
        ),
        "quiet": OfficerFactory.create(username="quiet", unit=unit),  # unregistered, no login
        "done": OfficerFactory.create(username="done", unit=unit),
    }
    legacy(made["keyuser"], dt.datetime(2025, 3, 31, 14, 5, tzinfo=BANGKOK))
    legacy(made["pwuser"], dt.datetime(2025, 3, 30, 8, 0, tzinfo=BANGKOK), Method.PASSWORD)
    legacy(made["done"], AT - dt.timedelta(days=1))
    SoftTokenFactory.create(officer=made["done"])
    legacy(dave, AT - dt.timedelta(days=1))  # another ministry
    made["dave"] = dave
    return made


# --- the reminder -----------------------------------------------------------------------------------


@time_machine.travel(AT, tick=False)
def test_the_reminder_goes_to_exactly_those_officers_once_a_day(
    client: Client, people, bob, django_capture_on_commit_callbacks
) -> None:
    force_sign_in(client, bob)
    page = client.get("/manage/forecast/").content.decode()
    assert 'data-testid="remind"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/forecast/remind", {"unit": "", "days": "14"})
    assert response.status_code == 302 and response["Location"] == "/manage/forecast/?days=14"
    reminded = set(RegistrationReminder.objects.values_list("recipient__username", flat=True))
    assert reminded == {"keyuser", "pwuser"}  # not quiet, done or dave
    sent = set(
        OutboxMessage.objects.filter(kind="registration_reminder").values_list(
            "officer__username", flat=True
        )
    )
    assert sent == {"keyuser", "pwuser"}
    event = AuditEvent.objects.get(action="registration.reminders_sent")
    assert event.data["selection"] == "forecast" and event.data["queued"] == 2
    # A second click, and the progress page's button the same day: nobody gets a second one.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/manage/forecast/remind", {"unit": "", "days": "14"})
        client.post("/manage/progress/remind", {"unit": ""})
    counts = {
        name: OutboxMessage.objects.filter(officer__username=name).count()
        for name in ("keyuser", "pwuser")
    }
    assert counts == {"keyuser": 1, "pwuser": 1}
    assert OutboxMessage.objects.filter(officer__username="quiet").count() == 1  # progress page's
    follow = client.get("/manage/forecast/").content.decode()
    assert "คน" in follow  # the page still shows (messages rendered on it)


@time_machine.travel(AT, tick=False)
def test_the_reminder_of_a_node_stays_in_it_and_outside_is_404(
    client: Client, people, bob, django_capture_on_commit_callbacks
) -> None:
    force_sign_in(client, bob)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/manage/forecast/remind", {"unit": "0300400002", "days": "14"})
    assert set(RegistrationReminder.objects.values_list("recipient__username", flat=True)) == {
        "pwuser"
    }
    assert (
        client.post("/manage/forecast/remind", {"unit": "21004", "days": "14"}).status_code == 404
    )
    response = client.post("/manage/forecast/remind", {"unit": "0300400001", "days": "zero"})
    assert response.status_code == 302 and RegistrationReminder.objects.count() == 1


@time_machine.travel(AT, tick=False)
def test_an_auditor_cannot_remind(client: Client, people, erin) -> None:
    force_sign_in(client, erin)
    assert 'data-testid="remind"' not in client.get("/manage/forecast/").content.decode()
    assert client.post("/manage/forecast/remind", {"days": "14"}).status_code == 403
    assert not RegistrationReminder.objects.exists()


# --- exports ----------------------------------------------------------------------------------------


@time_machine.travel(AT, tick=False)
def test_the_csv_export_lists_those_officers_with_be_dates(client: Client, people, bob) -> None:
    force_sign_in(client, bob)
    response = client.get("/manage/forecast.csv?days=14&sort=username")
    assert response.status_code == 200
    assert "will-be-refused-2568-04-01" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(streamed_body(response).decode("utf-8-sig"))))
    assert rows[0][:4] == ["รหัสผู้ใช้", "ชื่อ", "หน่วยเบิกจ่าย", "เข้าระบบแบบเดิมครั้งล่าสุด"]
    assert rows[1:] == [
        ["keyuser", "สมชาย ใจดี", "0300400001", "31 มี.ค. 2568 14:05 น.", "Token Key", "ยังไม่เริ่ม"],
        ["pwuser", "'=สมหญิง", "0300400002", "30 มี.ค. 2568 08:00 น.", "รหัสผ่านอย่างเดียว", "ยังไม่เริ่ม"],
    ]
    event = AuditEvent.objects.get(action="export.downloaded")
    assert event.data["export"] == "forecast.csv"


@time_machine.travel(AT, tick=False)
def test_the_xlsx_export_of_a_node_has_date_cells(client: Client, people, alice) -> None:
    force_sign_in(client, alice)
    response = client.get("/manage/forecast.xlsx?unit=0300400002")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(streamed_body(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in rows] == ["รหัสผู้ใช้", "pwuser"]
    # Bangkok wall-clock time, a date cell (spreadsheets have no time zones)
    assert rows[1][3] == dt.datetime(2025, 3, 30, 8, 0)  # noqa: DTZ001
    assert sheet.cell(row=2, column=4).number_format.startswith("[$-107041E]")


@time_machine.travel(AT, tick=False)
def test_exports_need_a_fresh_code(client: Client, people, bob) -> None:
    force_sign_in(client, bob)
    with time_machine.travel(AT + dt.timedelta(minutes=10), tick=False):
        response = client.get("/manage/forecast.csv")
    assert response.status_code == 302 and response["Location"].startswith("/account/verify")
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


@time_machine.travel(AT, tick=False)
def test_an_empty_or_bad_export_goes_back_with_the_reason(client: Client, people, bob) -> None:
    force_sign_in(client, bob)
    response = client.get("/manage/forecast.csv?days=abc")
    assert response.status_code == 302 and response["Location"] == "/manage/forecast/?days=abc"
    response = client.get("/manage/forecast.csv?q=nobody-at-all")
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()


@time_machine.travel(AFTER, tick=False)
def test_after_the_day_the_export_says_who_has_a_code(client: Client, cgd_tree, bob) -> None:
    unit = cgd_tree["cgd_unit"]
    nocode = OfficerFactory.create(username="nocode", unit=unit)
    withcode = OfficerFactory.create(username="withcode", unit=unit)
    for officer in (nocode, withcode):
        LoginDecisionFactory.create(
            officer=officer,
            method=Method.PASSWORD,
            decision=Decision.DENY,
            reason=Reason.NOT_REGISTERED,
            phase=Phase.SOFT_TOKEN_ONLY,
            at=dt.datetime(2025, 4, 14, 9, 30, tzinfo=BANGKOK),
        )
    RegistrationCodeFactory.create(
        officer=withcode,
        issued_at=dt.datetime(2025, 4, 14, 11, 0, tzinfo=BANGKOK),
    )
    response = force_sign_in(client, bob).get("/manage/forecast.csv?sort=username")
    assert "refused-2568-04-15" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(streamed_body(response).decode("utf-8-sig"))))
    assert rows[0][3:] == ["ถูกปฏิเสธครั้งล่าสุด", "วิธีที่ใช้", "ตอนนี้", "รหัสลงทะเบียนใช้ได้ถึง"]
    assert rows[1] == [
        "nocode",
        nocode.name_th,
        "0300400001",
        "14 เม.ย. 2568 09:30 น.",
        "รหัสผ่านอย่างเดียว",
        "ยังไม่มีรหัสลงทะเบียน",
        "",
    ]
    assert rows[2][5:] == ["มีรหัสลงทะเบียนล่าช้าแล้ว", "21 เม.ย. 2568 11:00 น."]


# --- the number on the progress pages and in the digest -----------------------------------------------


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (dt.datetime(2025, 3, 29, 0, 0, tzinfo=BANGKOK), True),  # 14 days before: the first
        (dt.datetime(2025, 3, 28, 23, 59, tzinfo=BANGKOK), False),  # the evening before it
        (dt.datetime(2025, 4, 11, 23, 59, tzinfo=BANGKOK), True),  # the closing day
        (dt.datetime(2025, 4, 12, 0, 0, tzinfo=BANGKOK), False),  # the day itself: refusals
    ],
)
def test_the_progress_page_names_the_number_in_the_last_two_weeks(
    client: Client, people, bob, moment, shown
) -> None:
    with time_machine.travel(moment, tick=False):
        force_sign_in(client, bob)
        body = client.get("/manage/progress/").content.decode()
        node = client.get("/manage/progress/0300400002/").content.decode()
    assert ('data-testid="refusal-notice"' in body) is shown
    if shown:
        assert "จะถูกปฏิเสธตั้งแต่ 12 เมษายน 2568: 2 คน" in body
        assert "จะถูกปฏิเสธตั้งแต่ 12 เมษายน 2568: 1 คน" in node  # the node's own number
        assert 'href="/manage/forecast/0300400002/"' in node


def test_the_digest_names_the_number_in_the_last_two_weeks_only(people, bob) -> None:
    for monday in (dt.date(2025, 3, 24), dt.date(2025, 3, 31), dt.date(2025, 4, 7)):
        moment = dt.datetime.combine(monday, dt.time(9, 0), tzinfo=BANGKOK)
        with time_machine.travel(moment, tick=False):
            send_registration_reminders(at=moment)
    digests = {
        message.created_at.astimezone(BANGKOK).date(): message.body_text
        for message in OutboxMessage.objects.filter(kind="registration_digest", officer=bob)
    }
    assert set(digests) == {dt.date(2025, 3, 24), dt.date(2025, 3, 31), dt.date(2025, 4, 7)}
    assert "จะถูกปฏิเสธ" not in digests[dt.date(2025, 3, 24)]  # 19 days before: no line
    assert "จะถูกปฏิเสธการเข้าระบบตั้งแต่ 12 เมษายน 2568" in digests[dt.date(2025, 3, 31)]
    assert "จะถูกปฏิเสธการเข้าระบบตั้งแต่ 12 เมษายน 2568: 2 คน" in digests[dt.date(2025, 4, 7)]
    assert "manage/forecast/" in digests[dt.date(2025, 4, 7)]


def test_a_digest_without_the_forecast_section_has_no_line(people, bob, monkeypatch) -> None:
    from registration import reminders

    monkeypatch.setattr(reminders, "_digest_sections", [])
    moment = dt.datetime(2025, 3, 31, 9, 0, tzinfo=BANGKOK)
    with time_machine.travel(moment, tick=False):
        send_registration_reminders(at=moment)
    body = OutboxMessage.objects.get(kind="registration_digest", officer=bob).body_text
    assert "จะถูกปฏิเสธ" not in body and "keyuser" in body


# --- query counts ---------------------------------------------------------------------------------


def grow(cgd_tree: dict[str, Agency], units: int, per_unit: int) -> None:
    for number in range(units):
        unit = UnitFactory.create(parent=cgd_tree["cgd"], code=f"03004{number + 10:05d}")
        for index in range(per_unit):
            officer = OfficerFactory.create(unit=unit)
            legacy(officer, AT - dt.timedelta(hours=index * 7))
            if index % 3 == 0:
                SoftTokenFactory.create(officer=officer)


@pytest.mark.parametrize(
    "url",
    [
        "/manage/forecast/",
        "/manage/forecast/03004/",
        "/manage/forecast/?sort=name&q=o",
        "/manage/progress/",
        "/manage/forecast.csv",
    ],
)
def test_query_counts_do_not_grow_with_officers_or_units(
    client: Client, cgd_tree, people, alice, bob, url, django_assert_max_num_queries
) -> None:
    def count() -> int:
        with time_machine.travel(AT, tick=False):
            force_sign_in(client, bob)
            client.get(url)  # the first request of a session also saves it, loads the schedule…
            with django_assert_max_num_queries(20) as captured:
                response = client.get(url)
                if url.endswith(".csv"):
                    streamed_body(response)
            assert response.status_code == 200
        return len(captured.captured_queries)

    small = count()
    grow(cgd_tree, units=6, per_unit=8)
    assert count() == small
