"""The help desk answers "why can't I log in?" in Chromium, on an office PC (1366 px) and a
phone (390 px): one screen per officer with the diagnosis on top, the citizen-ID check typed
by keyboard, and the timeline — clean under axe-core, no wider than the screen, Thai with
Buddhist-era dates (tests/browser/conftest.py: check_page)."""

import datetime as dt

import pytest

from agencies.policy import Role
from auth_gateway.policy import Decision, Method, Reason
from schedule.policy import Phase
from tests.browser.conftest import check_page, sign_in
from tests.conftest import privileged
from tests.factories import (
    LoginDecisionFactory,
    OfficerFactory,
    OutboxMessageFactory,
    SoftTokenFactory,
    valid_citizen_id,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
CITIZEN_ID = valid_citizen_id(777)


def test_the_desk_screen_of_one_officer(live_server, screen, cgd_tree) -> None:
    privileged(username="frank", role=Role.HELPDESK, admin_scope=cgd_tree["cgd"])
    charlie = OfficerFactory.create(
        username="charlie",
        name_th="ชาลี ใจดี",
        unit=cgd_tree["cgd_unit"],
        citizen_id=CITIZEN_ID,
    )
    now = dt.datetime.now(dt.UTC)  # the browser runs in real time
    SoftTokenFactory.create(officer=charlie, confirmed_at=now - dt.timedelta(days=30))
    LoginDecisionFactory.create(officer=charlie, at=now - dt.timedelta(days=1))
    LoginDecisionFactory.create(
        officer=charlie,
        at=now - dt.timedelta(minutes=2),
        method=Method.SOFT_TOKEN,
        phase=Phase.SOFT_TOKEN_ONLY,
        decision=Decision.DENY,
        reason=Reason.INVALID_OTP,
        clock_offset_steps=4,
        client_ip="203.0.113.9",
    )
    OutboxMessageFactory.create(
        officer=charlie, kind="account_locked", created_at=now - dt.timedelta(hours=1)
    )
    page = screen
    url = live_server.url
    sign_in(page, url, "frank")
    page.goto(url + "/manage/officers/")
    page.click("text=charlie")
    page.wait_for_url("**/manage/officers/charlie/")
    diagnosis = page.locator("[data-testid=diagnosis]")
    assert diagnosis.get_attribute("data-diagnosis") == "clock_skew"
    assert "นาฬิกาโทรศัพท์คลาดเคลื่อนประมาณ +2 นาที" in diagnosis.inner_text()
    timeline = page.inner_text("[data-testid=timeline]")
    assert "203.0.113.9" in timeline and "อีเมลแจ้งการล็อกบัญชี" in timeline
    check_page(page, "helpdesk-officer")

    # The caller reads out their citizen ID: typed and sent by keyboard only.
    page.focus("#id_citizen_id")
    page.keyboard.type(CITIZEN_ID)
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "เลขประจำตัวประชาชนตรงกับข้อมูลในระบบ" in page.inner_text(".messages")
    assert CITIZEN_ID not in page.content()
    assert page.input_value("#id_citizen_id") == ""
    check_page(page, "helpdesk-officer-checked")
