"""The parent agency's shipment flow in Chromium: hand-over, packing, the printed manifest,
shipping; then CGD checks the parcel in with one serial missing and sees the discrepancy."""

import datetime as dt

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.factories import OfficerFactory
from tokens.demo import demo_public_key_pem
from tokens.models import TokenKey, TokenKeyState

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_parent_agency_ships_and_cgd_finds_one_missing(
    live_server, desktop, cgd_tree, bob, alice
) -> None:
    at = dt.datetime.now(dt.UTC)
    for number, unit in enumerate(
        [cgd_tree["cgd_unit"], cgd_tree["cgd_unit"], cgd_tree["cgd_regional"]], start=1
    ):
        holder = OfficerFactory.create(
            username=f"holder{number}", name_th=f"ผู้ถือ ที่{number}", unit=unit
        )
        serial = f"DEMO-R{number}"
        TokenKey.objects.create(
            serial=serial,
            officer=holder,
            unit=unit,
            public_key_pem=demo_public_key_pem(serial),
            updated_at=at,
        )
    page = desktop
    url = live_server.url
    sign_in(page, url, "bob")
    page.goto(url + "/manage/token-keys/")
    page.fill("#id_serials", "DEMO-R1\nDEMO-R2\nDEMO-R3")
    page.click("form:has(input[value=hand_over]) button[type=submit]")
    page.wait_for_load_state("load")
    assert TokenKey.objects.filter(state=TokenKeyState.HANDED_OVER).count() == 3
    screenshot(page, "return-1-handed-over")

    page.goto(url + "/manage/shipments/")
    page.fill("#id_serials", "DEMO-R1 DEMO-R2 DEMO-R3")
    page.click("main button[type=submit]")
    page.wait_for_url("**/manage/shipments/*/")
    screenshot(page, "return-2-shipment-packed")
    manifest = page.request.get(url + page.locator("[data-testid=manifest]").get_attribute("href"))
    assert manifest.status == 200 and manifest.headers["content-type"] == "application/pdf"
    assert manifest.body()[:5] == b"%PDF-"
    page.fill("#id_courier", "ไปรษณีย์ไทย EMS")
    page.fill("#id_tracking_number", "EM987654321TH")
    page.click("form:has(input[value=ship]) button[type=submit]")
    page.wait_for_load_state("load")
    assert page.inner_text("[data-testid=shipment-status]") == "ส่งออกแล้ว"
    screenshot(page, "return-3-shipped")
    shipment_url = page.url

    sign_in(page, url, "alice")
    page.goto(shipment_url)
    page.fill("#id_serials", "DEMO-R1\nDEMO-R3")
    page.click("form:has(input[value=receive]) button[type=submit]")
    page.wait_for_load_state("load")
    assert page.get_attribute("[data-testid=outcome-DEMO-R2]", "data-outcome") == "missing"
    assert page.get_attribute("[data-testid=outcome-DEMO-R1]", "data-outcome") == "received"
    assert page.inner_text("[data-testid=outcome-DEMO-R2]") == "ไม่พบในพัสดุ"
    screenshot(page, "return-4-received-one-missing")
    assert TokenKey.objects.get(serial="DEMO-R2").state == TokenKeyState.IN_SHIPMENT

    # The dashboard flags the missing serial for follow-up.
    page.goto(url + "/manage/token-keys/progress/")
    assert "DEMO-R2" in page.inner_text("[data-testid=discrepancies]")
    assert page.locator("[data-testid=progress-03004]").count() == 1
    screenshot(page, "return-5-progress")
