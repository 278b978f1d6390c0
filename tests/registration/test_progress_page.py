import datetime as dt

import pytest
import time_machine
from django.test import Client

from tests.conftest import PASSWORD
from tests.factories import OfficerFactory, SoftTokenFactory

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC), tick=False)
def test_progress_page_in_thai_with_drill_down(cgd_tree, alice) -> None:  # type: ignore[no-untyped-def]
    SoftTokenFactory(officer=OfficerFactory(unit=cgd_tree["cgd_unit"]))
    OfficerFactory(unit=cgd_tree["cgd_regional"])
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    body = client.get("/manage/progress/03004/").content.decode()
    assert "ผู้ใช้งาน 2 คน: ลงทะเบียนแล้ว 1 คน (50.0 %)" in body
    assert 'href="/manage/progress/0300400002/"' in body  # drill-down to the units
    assert "11 เมษายน 2568" in body
