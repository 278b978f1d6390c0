"""An agency administrator follows its agencies' registration in Chromium: sees only its
subtree, drills down, filters the officer list, exports it, and reminds the stragglers."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from gfms_portal.clock import bangkok_date, bangkok_midnight
from outbox.models import OutboxMessage
from schedule.services import change_schedule
from tests.browser.conftest import screenshot, sign_in
from tests.factories import OfficerFactory, SoftTokenFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def window_open_today(alice) -> dt.date:
    """A schedule whose registration window contains today (the browser runs in real time)."""
    today = bangkok_date(dt.datetime.now(dt.UTC))
    moment = dt.datetime.now(dt.UTC)
    change_schedule(
        at=moment,
        actor=alice,
        stepped_up_at=moment,
        opens=today - dt.timedelta(days=20),
        closes=today + dt.timedelta(days=14),
        soft_token_only_from=today + dt.timedelta(days=15),
        return_due=today + dt.timedelta(days=75),
    )
    return today


def test_agency_admin_follows_registration_and_reminds(
    live_server, desktop, cgd_tree, bob, dave, window_open_today, tmp_path: Path
) -> None:
    today = window_open_today
    for number in range(6):  # CGD's central unit: 5 of 6 registered over the past days
        officer = OfficerFactory.create(
            username=f"central{number}", name_th=f"สมชาย ส่วนกลาง{number}", unit=cgd_tree["cgd_unit"]
        )
        if number < 5:
            day = today - dt.timedelta(days=2 * number + 1)
            SoftTokenFactory.create(officer=officer, confirmed_at=bangkok_midnight(day))
    for number in range(4):  # the regional unit: nobody yet
        OfficerFactory.create(
            username=f"north{number}",
            name_th=f"สมหญิง ภาคเหนือ{number}",
            unit=cgd_tree["cgd_regional"],
        )
    OfficerFactory.create(username="customs0", unit=cgd_tree["customs_unit"])  # outside bob's scope
    page = desktop
    url = live_server.url
    sign_in(page, url, "bob")

    page.click("text=ความคืบหน้าการลงทะเบียน")
    page.wait_for_url("**/manage/progress/")
    summary = page.inner_text("[data-testid=summary]")
    assert "ผู้ใช้งาน 10 คน" in summary and "ลงทะเบียนแล้ว 5 คน (50.0 %)" in summary
    assert page.locator("[data-testid=burnup-chart]").is_visible()
    rows = page.locator("[data-testid=children] tbody tr")
    assert rows.count() == 2  # bob's two units, nothing from customs or the other ministry
    assert rows.nth(0).get_attribute("data-testid") == "row-0300400002"  # laggard first
    assert "customs" not in page.content() and "2100400001" not in page.content()
    screenshot(page, "progress-1-overview")

    page.click("[data-testid=row-0300400002] a")
    page.wait_for_url("**/manage/progress/0300400002/")
    assert "ผู้ใช้งาน 4 คน: ลงทะเบียนแล้ว 0 คน" in page.inner_text("[data-testid=summary]")
    screenshot(page, "progress-2-drill-down")

    second_tab = page.context.new_page()  # the same page open twice, both clicked
    second_tab.goto(page.url)
    page.click("[data-testid=remind]")
    page.wait_for_url("**/manage/progress/0300400002/")
    assert "4 คน" in page.inner_text(".messages")
    assert page.locator("[data-testid=remind]").count() == 0  # everyone reminded today
    second_tab.click("[data-testid=remind]")
    second_tab.wait_for_load_state("load")
    assert "ไม่ได้ส่ง" in second_tab.inner_text(".messages")  # nobody gets a second e-mail
    second_tab.close()
    reminded = OutboxMessage.objects.filter(kind="registration_reminder")
    assert sorted(reminded.values_list("officer__username", flat=True)) == [
        "north0",
        "north1",
        "north2",
        "north3",
    ]
    screenshot(page, "progress-3-reminded")

    outside = page.goto(url + "/manage/progress/21004/")  # another ministry's, typed by hand
    assert outside.status == 404 and "ไม่พบ" in page.inner_text("main")

    page.goto(url + "/manage/officer-list/")
    page.select_option("#id_state", "not_started")
    page.fill("#id_q", "สมหญิง")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**/manage/officer-list/?*")
    listed = page.locator("[data-testid=officers] tbody tr")
    assert listed.count() == 4
    screenshot(page, "progress-4-officer-list")
    with page.expect_download() as download_info:
        page.click("[data-testid=export-csv]")
    path = tmp_path / "officers.csv"
    download_info.value.save_as(path)
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    exported = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert exported[0][0] == "รหัสผู้ใช้"
    assert [row[0] for row in exported[1:]] == ["north0", "north1", "north2", "north3"]
