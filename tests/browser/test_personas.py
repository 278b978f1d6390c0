"""Every persona's journeys, at 1366×768 and at 390×844, in a browser whose language is
English: every page visited is Thai (html lang th), no wider than the screen, clean under
axe-core, shows no CE year outside labelled ISO values, and asks no host but the portal's
(tests/browser/conftest.py: check_page, and the autouse watchers of CSP and hosts).
Screenshots of every page in artifacts/screenshots/<page>-<size>.png.

The personas: an officer registering, a registered officer (account, new recovery codes,
phone replacement), an agency administrator (progress, officer list, legacy logins,
reminders, reset, late code, unlock, Token Key returns), a central administrator (country
progress, schedule, audit log, exports, Token Key returns) and an auditor."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import mail
from django.db import transaction

from agencies.lockout import record_failed_attempt
from agencies.models import Officer
from gfms_portal.clock import bangkok_date, bangkok_midnight
from schedule.services import change_schedule
from tests.browser.conftest import check_page, sign_in
from tests.browser.test_registration_journey import decode_qr
from tests.conftest import PASSWORD, first_group, next_code
from tests.factories import (
    LoginDecisionFactory,
    OfficerFactory,
    SoftTokenFactory,
    TokenKeyFactory,
)
from tests.totp_reference import phone_code
from tokens import custody
from tokens.possession import new_recovery_codes

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def set_window(alice: Officer, *, open_: bool) -> None:
    """Today inside the registration window (open_) or after it closed, before the cutover
    (the live server runs on the real clock). The open one is marked a demo schedule, so
    that every page also carries the demo banner, as under `make run`."""
    moment = dt.datetime.now(dt.UTC)
    today = bangkok_date(moment)
    closes = today + dt.timedelta(days=14) if open_ else today - dt.timedelta(days=1)
    change_schedule(
        at=moment,
        actor=alice,
        stepped_up_at=moment,
        opens=today - dt.timedelta(days=20),
        closes=closes,
        soft_token_only_from=closes + dt.timedelta(days=10),
        return_due=closes + dt.timedelta(days=70),
        is_demo=open_,  # the demo banner on every page, as under make run
    )


@pytest.fixture
def world(cgd_tree, alice, bob, charlie, dave, erin) -> dict[str, object]:
    """A small country in mid-migration: registered and unregistered officers (long Thai
    names), a locked account, gateway logins both ways, Token Keys handed over, shipped and
    received with one missing, and the audit rows all of that wrote."""
    set_window(alice, open_=True)
    moment = dt.datetime.now(dt.UTC)
    today = bangkok_date(moment)
    unit, regional = cgd_tree["cgd_unit"], cgd_tree["cgd_regional"]
    registered = OfficerFactory.create(
        username="somchai", name_th="นายสมชาย ใจดีมากเป็นพิเศษ", unit=unit
    )
    SoftTokenFactory.create(officer=registered, confirmed_at=bangkok_midnight(today))
    codes = new_recovery_codes(registered, at=moment)
    for number in range(6):
        officer = OfficerFactory.create(
            username=f"central{number}",
            name_th=f"นางสาวสมหญิง ประเสริฐวงศ์ตระกูล{number}",
            unit=unit if number % 2 else regional,
        )
        if number < 3:
            SoftTokenFactory.create(
                officer=officer, confirmed_at=bangkok_midnight(today - dt.timedelta(days=number))
            )
        LoginDecisionFactory.create(
            officer=officer, method="token_key" if number > 2 else "soft_token"
        )
    locked = OfficerFactory.create(username="locked1", name_th="นายล็อก ไว้ก่อน", unit=unit)
    for _ in range(10):
        with transaction.atomic():
            record_failed_attempt(locked, at=moment)
    # Token Keys: three handed over and shipped by bob, received by alice with one missing.
    for number in range(4):
        holder = OfficerFactory.create(
            username=f"holder{number}", name_th=f"ผู้ถือกุญแจ ที่{number}", unit=unit
        )
        TokenKeyFactory.create(serial=f"DEMO-TK-P{number}", officer=holder)
    custody.hand_over("DEMO-TK-P0 DEMO-TK-P1 DEMO-TK-P2", actor=bob, at=moment)
    shipment = custody.create_shipment("DEMO-TK-P0 DEMO-TK-P1 DEMO-TK-P2", actor=bob, at=moment)
    custody.mark_shipped(
        shipment, courier="ไปรษณีย์ไทย EMS", tracking_number="EM123456789TH", actor=bob, at=moment
    )
    custody.receive_shipment(shipment, "DEMO-TK-P0 DEMO-TK-P2", actor=alice, at=moment)
    custody.hand_over("DEMO-TK-P3", actor=bob, at=moment)
    return {"codes": codes, "shipment": shipment, "cgd_tree": cgd_tree}


def visit(page, url: str, name: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    check_page(page, name)


def submit(page, selector: str = "main button[type=submit]") -> None:
    with page.expect_navigation():
        page.click(selector)


def test_officer_registering(live_server, screen, world) -> None:
    page, url = screen, live_server.url
    visit(page, url + "/", "officer-home")
    visit(page, url + "/login/", "officer-login")
    page.fill("#id_username", "charlie")
    submit(page)  # no password: the form says which field is missing
    check_page(page, "officer-login-error")
    page.fill("#id_username", "charlie")
    page.fill("#id_password", PASSWORD)
    submit(page)
    assert page.url.endswith("/account/")
    check_page(page, "officer-account-unregistered")
    page.click("text=ลงทะเบียนเลย")
    page.wait_for_url("**/register/")
    check_page(page, "register-1-citizen-id")
    page.fill("#id_citizen_id", "๑๒๓")  # wrong, in Thai digits: an error, not a crash
    submit(page)
    check_page(page, "register-1-error")
    charlie = Officer.objects.get(username="charlie")
    page.fill("#id_citizen_id", charlie.citizen_id)
    submit(page)
    assert page.url.endswith("/register/email/")
    check_page(page, "register-2-email-code")
    page.fill("#id_code", first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body)))
    submit(page)
    assert page.url.endswith("/register/warning/")
    check_page(page, "register-3-warning")
    submit(page)
    assert page.url.endswith("/register/qr/")
    check_page(page, "register-4-qr")
    secret = page.inner_text("[data-testid=secret]").replace(" ", "")
    page.fill("#id_code", phone_code(secret, dt.datetime.now(dt.UTC)))
    submit(page)
    assert "/register/codes/" in page.url
    check_page(page, "register-5-recovery-codes")
    page.click("text=บันทึกแล้ว — เสร็จสิ้น")
    page.wait_for_url("**/register/done/")
    check_page(page, "register-6-done")
    response = page.goto(url + "/no-such-page/")
    assert response is not None and response.status == 404
    check_page(page, "not-found")


def test_registered_officer(live_server, screen, world) -> None:
    page, url = screen, live_server.url
    codes = world["codes"]
    sign_in(page, url, "somchai")
    check_page(page, "registered-account")
    # New recovery codes: confirmed with a recovery code first (a fresh code).
    page.click("text=สร้างรหัสกู้คืนใหม่")
    page.wait_for_url("**/account/verify/**")
    check_page(page, "registered-verify")
    page.fill("#id_code", codes[0])
    submit(page)
    assert "/account/recovery-codes/" in page.url
    check_page(page, "registered-new-codes-ask")
    submit(page)
    check_page(page, "registered-new-codes")
    new_codes = page.locator("[data-testid=recovery-codes] code").all_inner_texts()
    assert len(new_codes) == 10
    # Replace the phone with one of the new codes.
    page.goto(url + "/account/")
    page.click("text=เปลี่ยนโทรศัพท์")
    page.wait_for_url("**/account/**")
    if "/account/verify/" in page.url:
        page.fill("#id_code", new_codes[1])
        submit(page)
    assert page.url.endswith("/account/replace-phone/")
    check_page(page, "replace-1-start")
    submit(page)
    assert page.url.endswith("/register/qr/")
    check_page(page, "replace-2-qr")
    uri = decode_qr(page.locator("[data-testid=qr]").screenshot())
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    page.fill("#id_code", phone_code(secret, dt.datetime.now(dt.UTC)))
    submit(page)
    assert re.search(r"/register/codes/\?r=", page.url)
    check_page(page, "replace-3-codes")
    page.click("main a.button, main button[type=submit]")
    page.wait_for_load_state("load")
    check_page(page, "replace-4-done")
    visit(page, url + "/account/", "registered-account-after")


def test_gfms_login_demo(live_server, screen, world, settings) -> None:
    """The demo GFMS login page (make run): the registered officer logs in with a code."""
    settings.GFMS_DEMO_FRONTEND = True
    page, url = screen, live_server.url
    visit(page, url + "/demo/gfms-login/", "demo-gfms-1-user")
    page.fill("#demo-username", "somchai")
    submit(page, "text=ดำเนินการต่อ")
    check_page(page, "demo-gfms-2-methods")
    page.fill("#st-password", PASSWORD)
    page.fill("#st-otp", next_code(Officer.objects.get(username="somchai")))
    submit(page, "#form-soft_token button[type=submit]")
    assert page.inner_text("[data-testid=reason]") == "ok"
    check_page(page, "demo-gfms-3-answer")


def test_agency_administrator(live_server, screen, world, alice) -> None:
    page, url = screen, live_server.url
    sign_in(page, url, "bob")
    check_page(page, "agency-account")
    visit(page, url + "/manage/progress/", "agency-progress")
    visit(page, url + "/manage/progress/0300400002/", "agency-progress-unit")
    submit(page, "[data-testid=remind]")
    check_page(page, "agency-reminded")  # the messages list
    visit(page, url + "/manage/officer-list/", "agency-officer-list")
    visit(
        page,
        url + "/manage/officer-list/?unit=๐๓๐๐๔&state=registered",
        "agency-officer-list-filtered",
    )
    visit(page, url + "/manage/legacy-logins/", "agency-legacy-logins")
    visit(page, url + "/manage/officers/", "agency-officers")
    # Unlock the locked account.
    visit(page, url + "/manage/officers/locked1/", "agency-officer-locked")
    submit(page, "form:has(input[value=unlock]) button[type=submit]")
    check_page(page, "agency-officer-unlocked")
    # Reset a lost phone, the code handed over in person.
    visit(page, url + "/manage/officers/somchai/", "agency-officer-registered")
    page.fill("#id_reason", "โทรศัพท์หายระหว่างเดินทาง")
    page.locator("form:has(input[value=reset]) input[type=radio]").last.check()
    submit(page, "form:has(input[value=reset]) button[type=submit]")
    check_page(page, "agency-officer-reset")
    # After the close: a late-registration code for an officer who never registered.
    set_window(alice, open_=False)
    visit(page, url + "/manage/officers/charlie/", "agency-officer-late")
    submit(page, "form:has(input[value=late]) button[type=submit]")
    check_page(page, "agency-officer-late-code")
    # Token Key returns.
    visit(page, url + "/manage/token-keys/", "agency-token-keys")
    visit(page, url + "/manage/shipments/", "agency-shipments")
    page.fill("#id_serials", "DEMO-TK-P3")
    submit(page)
    check_page(page, "agency-shipment-draft")
    visit(page, url + f"/manage/shipments/{world['shipment'].pk}/", "agency-shipment-received")
    visit(page, url + "/manage/token-keys/progress/", "agency-token-key-progress")


def test_central_administrator(live_server, screen, world, tmp_path) -> None:
    page, url = screen, live_server.url
    sign_in(page, url, "alice")
    check_page(page, "cgd-account")
    visit(page, url + "/manage/progress/", "cgd-progress-country")
    visit(page, url + "/manage/progress/03/", "cgd-progress-ministry")
    visit(page, url + "/manage/schedule/", "cgd-schedule")
    page.fill("#id_closes", "1957-01-01")  # out of range: the error, in BE
    submit(page, "button[value=preview]")
    check_page(page, "cgd-schedule-error")
    visit(page, url + "/manage/audit-log/", "cgd-audit-log")
    visit(page, url + "/manage/audit-log/?officer=locked1", "cgd-audit-log-filtered")
    for link in ("export-csv", "export-xlsx"):
        with page.expect_download() as download:
            page.click(f"[data-testid={link}]")
        assert download.value.suggested_filename.startswith("audit-log-25")
    visit(page, url + "/manage/token-keys/progress/", "cgd-token-key-progress")
    visit(page, url + f"/manage/shipments/{world['shipment'].pk}/", "cgd-shipment")
    visit(page, url + "/manage/legacy-logins/", "cgd-legacy-logins")


def test_auditor(live_server, screen, world) -> None:
    page, url = screen, live_server.url
    sign_in(page, url, "erin")
    check_page(page, "auditor-account")
    visit(page, url + "/manage/audit-log/", "auditor-audit-log")
    visit(page, url + "/manage/audit-log/?action=officer.locked", "auditor-audit-log-locked")
    visit(page, url + "/manage/schedule/", "auditor-schedule")


def test_api_docs(live_server, screen) -> None:
    """The API contract is English (lang en) — but accessible and asking no other host."""
    page = screen
    page.goto(live_server.url + "/api/docs/")
    page.get_by_role("heading", name="Decide one GFMS login").wait_for(timeout=20_000)
    page.wait_for_load_state("networkidle")
    check_page(page, "api-docs", lang="en")
