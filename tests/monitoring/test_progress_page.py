import datetime as dt

import pytest
import time_machine
from django.test import Client

from tests.conftest import sign_in, streamed_body
from tests.factories import OfficerFactory, SoftTokenFactory

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC), tick=False)
def test_progress_page_in_thai_with_drill_down(cgd_tree, alice) -> None:
    SoftTokenFactory.create(officer=OfficerFactory.create(unit=cgd_tree["cgd_unit"]))
    OfficerFactory.create(unit=cgd_tree["cgd_regional"])
    client = Client()
    sign_in(client, "alice")
    body = client.get("/manage/progress/03004/").content.decode()
    assert "ผู้ใช้งาน 2 คน: ลงทะเบียนแล้ว 1 คน (50.0 %)" in body
    assert 'href="/manage/progress/0300400002/"' in body  # drill-down to the units
    assert "11 เมษายน 2568" in body


@time_machine.travel(dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC), tick=False)
def test_officer_list_filters_pages_and_exports_in_scope(cgd_tree, bob, dave) -> None:
    import csv
    import io

    registered = OfficerFactory.create(
        username="reg.one", unit=cgd_tree["cgd_unit"], name_th="=HYPERLINK(1)"
    )
    SoftTokenFactory.create(officer=registered)
    for number in range(55):
        OfficerFactory.create(username=f"new{number:02d}", unit=cgd_tree["cgd_regional"])
    client = Client()
    sign_in(client, "bob")
    page = client.get("/manage/officer-list/", {"state": "registered"}).content.decode()
    assert "reg.one" in page and "new00" not in page
    page_two = client.get(
        "/manage/officer-list/", {"state": "not_started", "page": "2"}
    ).content.decode()
    assert "new54" in page_two
    assert (
        "dave"
        not in client.get("/manage/officer-list/", {"q": "dave"})
        .content.decode()
        .split("<tbody>")[1]
    )
    assert (
        client.get("/manage/officer-list/", {"unit": "2100400001"}).status_code == 404
    )  # another agency
    bad = client.get("/manage/officer-list/", {"page": "-3", "unit": "12ab"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    export = client.get("/manage/officer-list.csv", {"state": "registered"})
    text = streamed_body(export).decode()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "รหัสผู้ใช้"
    assert [row[0] for row in rows[1:]] == ["reg.one"]
    assert rows[1][1].startswith("'=")  # no formula injection
    assert rows[1][3].startswith("X-XXXX-")  # citizen ID masked
