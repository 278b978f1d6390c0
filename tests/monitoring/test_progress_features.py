"""The progress page's burn-up, sortable table and reminders button; the officer list's
filters and exports; the refused-as-not-registered list after the cutover."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.test import Client
from openpyxl import load_workbook

from agencies.models import Officer
from gfms_portal.clock import BANGKOK, bangkok_date
from gfms_portal.exports import BE_DATE_FORMAT
from monitoring.progress import burnup, registration_overview
from outbox.models import OutboxMessage
from registration.services import Delivery, reset_soft_token
from tests.conftest import PASSWORD, sign_in, streamed_body
from tests.factories import OfficerFactory, SoftTokenFactory
from tokens.models import SoftToken

pytestmark = pytest.mark.django_db
OPENS, CLOSES = dt.date(2025, 2, 10), dt.date(2025, 4, 11)
TODAY = dt.date(2025, 3, 1)
AT = dt.datetime(2025, 3, 1, 10, 0, tzinfo=BANGKOK)


def bkk(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BANGKOK)


def login(username: str) -> Client:
    client = Client()
    sign_in(client, username)
    return client


@pytest.fixture
def registrations(cgd_tree) -> list[Officer]:
    """12 officers of CGD's two units: o00–o07 in 0300400001, all registered on various days
    (one late at night, which is already the next day in Bangkok); o08–o11 in 0300400002, not
    registered."""
    officers = [
        OfficerFactory.create(
            username=f"o{n:02d}", unit=cgd_tree["cgd_unit" if n < 8 else "cgd_regional"]
        )
        for n in range(12)
    ]
    days = [OPENS, OPENS, dt.date(2025, 2, 20), dt.date(2025, 2, 23), dt.date(2025, 2, 25)]
    days += [dt.date(2025, 2, 26), dt.date(2025, 2, 28)]
    for officer, day in zip(officers, days, strict=False):
        SoftTokenFactory.create(officer=officer, confirmed_at=bkk(day))
    late = dt.datetime(2025, 2, 27, 17, 30, tzinfo=dt.UTC)  # 28 Feb 00:30 in Bangkok
    SoftTokenFactory.create(officer=officers[7], confirmed_at=late)
    OfficerFactory.create(unit=cgd_tree["disease_unit"])  # another ministry: never counted for bob
    return officers


def recount(viewer_path: str, day: dt.date) -> int:
    """Brute force: officers of the subtree whose active token was confirmed by `day`."""
    count = 0
    for token in SoftToken.objects.filter(
        status="active", officer__unit__isnull=False
    ).select_related("officer__unit"):
        unit, confirmed_at = token.officer.unit, token.confirmed_at
        assert unit is not None and confirmed_at is not None  # the filter's; an active token's
        if unit.path.startswith(viewer_path) and bangkok_date(confirmed_at) <= day:
            count += 1
    return count


def test_burnup_equals_a_recount_before_and_after_registrations_and_resets(
    registrations, bob, cgd_tree
) -> None:
    cgd = cgd_tree["cgd"]

    def check() -> None:
        with time_machine.travel(AT, tick=False):
            node, summary, _children = registration_overview(bob.viewer, None, at=AT)
            figures = burnup(bob.viewer, node, summary.total, at=AT, opens=OPENS, closes=CLOSES)
        assert next(d.day for d in figures.days) == OPENS and figures.days[-1].day == TODAY
        for day in figures.days:
            assert day.registered == recount(cgd.path, day.day), day.day
        assert figures.registered == summary.registered
        assert figures.total == summary.total == 12

    check()
    with time_machine.travel(AT, tick=False):
        reset_soft_token(
            registrations[2],
            actor=bob,
            reason="lost phone",
            delivery=Delivery.EMAIL,
            at=AT,
            stepped_up_at=AT,
        )
    check()
    SoftTokenFactory.create(officer=registrations[2], confirmed_at=AT)  # registered again today
    SoftTokenFactory.create(officer=registrations[10], confirmed_at=AT)
    check()


def test_pace_needed_and_projected_finish(registrations, bob) -> None:
    with time_machine.travel(AT, tick=False):
        figures = burnup(bob.viewer, None, 12, at=AT, opens=OPENS, closes=CLOSES)
    # Last 7 days (23 Feb – 1 Mar): 23, 25, 26, 28, 28 (00:30) → 5 registrations, 0.7 a day.
    assert figures.recent_per_day == pytest.approx(5 / 7)
    assert figures.remaining == 4
    # 42 days from 1 Mar to 11 Apr, today included.
    assert figures.needed_per_day == pytest.approx(4 / 42)
    assert figures.projected_finish == TODAY + dt.timedelta(days=6)  # ceil(4 / (5 / 7))
    assert figures.on_track
    with time_machine.travel(bkk(CLOSES + dt.timedelta(days=3)), tick=False):
        late = burnup(
            bob.viewer, None, 12, at=bkk(CLOSES + dt.timedelta(days=3)), opens=OPENS, closes=CLOSES
        )
    assert late.needed_per_day is None and late.recent_per_day == 0
    assert late.projected_finish is None and not late.on_track


def test_progress_page_chart_numbers_and_sorting(registrations, bob, cgd_tree) -> None:
    client = login("bob")
    with time_machine.travel(AT, tick=False):
        page = client.get("/manage/progress/03004/").content.decode()
        assert 'data-testid="burnup-chart"' in page and "<polyline" in page
        assert 'data-testid="burnup-chart-narrow"' in page  # drawn again for a phone
        # The numbers table, BE dates.
        assert '<td class="nowrap">1 มี.ค. 2568</td><td>8</td>' in page
        # Laggards first by default; sortable by any column, both ways.
        default = client.get("/manage/progress/03004/").content.decode()
        by_code = client.get("/manage/progress/03004/", {"sort": "code", "order": "asc"})
        bad = client.get("/manage/progress/03004/", {"sort": "password", "order": "sideways"})
    regional, unit = "row-0300400002", "row-0300400001"
    assert default.index(regional) < default.index(unit)  # 0 of 4 registered vs 8 of 8
    body = by_code.content.decode()
    assert body.index(unit) < body.index(regional) and 'aria-sort="ascending"' in body
    assert bad.status_code == 200 and 'role="alert"' in bad.content.decode()


def test_remind_button_double_click_and_scope(
    registrations, bob, erin, cgd_tree, django_capture_on_commit_callbacks
) -> None:
    client = login("bob")
    with time_machine.travel(AT, tick=False), django_capture_on_commit_callbacks(execute=True):
        page = client.get("/manage/progress/0300400002/").content.decode()
        assert 'data-testid="remind"' in page
        first = client.post("/manage/progress/remind", {"unit": "0300400002"}, follow=True)
        second = client.post("/manage/progress/remind", {"unit": "0300400002"}, follow=True)
        outside = client.post("/manage/progress/remind", {"unit": "2100400001"})
        junk = client.post("/manage/progress/remind", {"unit": "03 OR 1=1"})
        auditor = login("erin").post("/manage/progress/remind", {"unit": ""})
    assert first.redirect_chain[-1][0] == "/manage/progress/0300400002/"
    assert outside.status_code == 404 and junk.status_code == 404 and auditor.status_code == 403
    sent = OutboxMessage.objects.filter(kind="registration_reminder")
    assert set(sent.values_list("officer__username", flat=True)) == {"o08", "o09", "o10", "o11"}
    assert sent.count() == 4
    assert str(next(iter(second.context["messages"]))) != str(next(iter(first.context["messages"])))


def test_no_reminder_outside_the_registration_window(registrations, bob) -> None:
    client = login("bob")
    after = bkk(CLOSES + dt.timedelta(days=1))
    with time_machine.travel(after, tick=False):
        response = client.post("/manage/progress/remind", {"unit": ""}, follow=True)
    assert response.status_code == 200
    assert not OutboxMessage.objects.filter(kind="registration_reminder").exists()


def test_officer_list_exports_and_filters(api, registrations, bob, cgd_tree) -> None:
    with time_machine.travel(AT, tick=False):
        client = login("bob")  # the step-up an export needs is fresh at AT
        xlsx = client.get("/manage/officer-list.xlsx", {"state": "registered"})
        # The file is named after the Bangkok day, in the Buddhist era.
        day = AT.astimezone(BANGKOK).date()
        assert xlsx["Content-Disposition"].endswith(
            f'filename="officers-{day.year + 543}-{day.month:02d}-{day.day:02d}.xlsx"'
        )
        sheet = load_workbook(io.BytesIO(streamed_body(xlsx))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "รหัสผู้ใช้" and len(rows) == 1 + 8
        # The registration day is a date cell, shown in the Buddhist calendar.
        assert (rows[1][0], rows[1][4]) == ("o00", "ลงทะเบียนแล้ว")
        assert rows[1][5] == dt.datetime.fromisoformat("2025-02-10T00:00")
        assert sheet.cell(row=2, column=6).number_format == BE_DATE_FORMAT
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G9"
        csv_text = streamed_body(
            client.get("/manage/officer-list.csv", {"state": "unregistered"})
        ).decode()
        names = [row[0] for row in csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))][1:]
        assert names == ["o08", "o09", "o10", "o11"]
        empty = client.get("/manage/officer-list.csv", {"q": "nobody-like-this"}, follow=True)
        assert empty.redirect_chain and b"\xef\xbb\xbf" not in empty.content
        assert client.get("/manage/officer-list.pdf").status_code == 404
        assert client.get("/manage/officer-list.csv", {"unit": "2100400001"}).status_code == 404
        bad = client.get("/manage/officer-list.csv", {"page": "-1"}, follow=True)
        assert bad.redirect_chain  # back to the list, which names the problem
        # Who still logs in the old way: o08 with a password this morning.
        api("/api/v1/auth/check", {"username": "o08", "password": PASSWORD, "method": "password"})
        legacy = client.get("/manage/officer-list/", {"legacy": "on"}).content.decode()
    assert 'data-testid="state-o08"' in legacy and 'data-testid="state-o10"' not in legacy


def test_refused_as_not_registered_after_the_cutover(api, registrations, bob, dave) -> None:
    after = bkk(dt.date(2025, 4, 20))
    with time_machine.travel(after, tick=False):
        for username in ("o08", "o08", "dave", "o00"):
            api(
                "/api/v1/auth/check",
                {"username": username, "password": PASSWORD, "method": "password"},
            )
        page = login("bob").get("/manage/legacy-logins/").content.decode()
    refused = page.split('data-testid="refused"')[1].split("</table>")[0]
    assert "o08" in refused and "dave" not in refused and "o00" not in refused
    assert "<td>2</td>" in refused  # refused twice


def test_the_first_week_pace_counts_only_the_days_registration_was_open(cgd_tree, bob) -> None:
    """One registration a day since the opening is exactly the pace needed: on time."""
    for number in range(61):
        officer = OfficerFactory.create(unit=cgd_tree["cgd_unit"])
        if number < 3:
            SoftTokenFactory.create(
                officer=officer, confirmed_at=bkk(OPENS + dt.timedelta(days=number))
            )
    evening = bkk(OPENS + dt.timedelta(days=2), hour=20)
    with time_machine.travel(evening, tick=False):
        figures = burnup(bob.viewer, None, 61, at=evening, opens=OPENS, closes=CLOSES)
    assert figures.recent_per_day == pytest.approx(1.0)
    assert figures.projected_finish == CLOSES and figures.on_track
    before = bkk(OPENS - dt.timedelta(days=3))
    with time_machine.travel(before, tick=False):
        page = login("bob").get("/manage/progress/").content.decode()
    assert "10 กุมภาพันธ์ 2568" in page.split('data-testid="pace"')[1][:200]
