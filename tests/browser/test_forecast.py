"""An agency administrator opens "who will be refused from the soft-token-only day" in Chromium
on a PC (1366 px) and a phone (390 px): Thai, no sideways scrolling, axe-clean; drills down to a
unit and reminds exactly those officers from the keyboard."""

import datetime as dt

import pytest

from auth_gateway.policy import Method
from gfms_portal.clock import bangkok_date
from outbox.models import OutboxMessage
from schedule.services import change_schedule
from tests.browser.conftest import check_page, sign_in
from tests.factories import LoginDecisionFactory, OfficerFactory, SoftTokenFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_agency_admin_sees_and_reminds_who_will_be_refused(
    live_server, screen, cgd_tree, alice, bob, dave
) -> None:
    moment = dt.datetime.now(dt.UTC)
    today = bangkok_date(moment)
    change_schedule(  # the browser runs in real time: the cutover 10 days from today
        at=moment,
        actor=alice,
        stepped_up_at=moment,
        opens=today - dt.timedelta(days=40),
        closes=today + dt.timedelta(days=9),
        soft_token_only_from=today + dt.timedelta(days=10),
        return_due=today + dt.timedelta(days=60),
    )
    for number in range(3):
        officer = OfficerFactory.create(
            username=f"north{number}",
            name_th=f"สมหญิง ภาคเหนือ{number}",
            unit=cgd_tree["cgd_regional"],
        )
        LoginDecisionFactory.create(
            officer=officer, method=Method.TOKEN_KEY, at=moment - dt.timedelta(days=number)
        )
    central = OfficerFactory.create(username="central0", unit=cgd_tree["cgd_unit"])
    LoginDecisionFactory.create(officer=central, method=Method.PASSWORD, at=moment)
    done = OfficerFactory.create(username="done0", unit=cgd_tree["cgd_unit"])
    SoftTokenFactory.create(officer=done)
    LoginDecisionFactory.create(officer=done, method=Method.PASSWORD, at=moment)
    LoginDecisionFactory.create(officer=dave, method=Method.TOKEN_KEY, at=moment)  # not bob's
    page, url = screen, live_server.url
    sign_in(page, url, "bob")

    page.click("text=ผู้ที่จะเข้าระบบไม่ได้ตั้งแต่วันที่ใช้ Soft Token เท่านั้น")
    page.wait_for_url("**/manage/forecast/")
    assert "4 คน" in page.inner_text("[data-testid=summary]")
    listed = page.locator("[data-testid=officers] tbody tr")
    assert listed.count() == 4 and "dave" not in page.content() and "done0" not in page.content()
    check_page(page, "forecast-1-overview")

    page.click("[data-testid=row-0300400002] a")
    page.wait_for_url("**/manage/forecast/0300400002/?days=14")
    assert page.locator("[data-testid=officers] tbody tr").count() == 3
    remind = page.locator("[data-testid=remind]")
    remind.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/manage/forecast/0300400002/?days=14")
    assert "3 คน" in page.inner_text(".messages")
    check_page(page, "forecast-2-unit-reminded")
    reminded = OutboxMessage.objects.filter(kind="registration_reminder")
    assert sorted(reminded.values_list("officer__username", flat=True)) == [
        "north0",
        "north1",
        "north2",
    ]

    page.fill("#id_days", "abc")
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert "1 ถึง 90" in page.inner_text("[role=alert]")
    check_page(page, "forecast-3-bad-days")
