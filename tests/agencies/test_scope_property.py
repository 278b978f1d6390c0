"""Property: over random trees and a random agency administrator, no progress page, export,
telemetry list or reminder reaches an officer — or a count — outside the administrator's
subtree, and every node outside it answers 404."""

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from agencies.models import Agency, Officer
from agencies.policy import Role
from auth_gateway.policy import Method
from gfms_portal.clock import BANGKOK
from registration.models import RegistrationReminder
from tests.conftest import examples, force_sign_in, privileged, streamed_body
from tests.factories import LoginDecisionFactory, OfficerFactory, SoftTokenFactory, agency_for_code
from tokens.models import SoftTokenStatus

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 1, 10, 0, tzinfo=BANGKOK)  # inside the circular's registration window

# (ministry, department, unit, state: 0 not started / 1 pending / 2 registered, legacy login?)
officers_strategy = st.lists(
    st.tuples(
        st.integers(0, 2), st.integers(0, 2), st.integers(0, 3), st.integers(0, 2), st.booleans()
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(shape=officers_strategy, pick=st.integers(0, 10_000))
def test_no_page_or_export_leaks_outside_the_scope(shape, pick) -> None:
    with time_machine.travel(AT, tick=False), transaction.atomic():
        check(shape, pick)
        transaction.set_rollback(True)  # each example starts from an empty database


def check(shape: list[tuple[int, int, int, int, bool]], pick: int) -> None:
    created: dict[str, Agency] = {}

    def node(code: str, parent: Agency | None) -> Agency:
        if code not in created:
            created[code] = agency_for_code(code, parent, name_th=f"หน่วย{code}")
        return created[code]

    officers: list[Officer] = []
    for index, (m, d, u, state, legacy) in enumerate(shape):
        unit = node(f"1{m}00{d}0000{u}", node(f"1{m}00{d}", node(f"1{m}", None)))
        officer = OfficerFactory.create(
            username=f"u{index:03d}x", name_th=f"ชื่อ{index:03d}x", unit=unit
        )
        officers.append(officer)
        if state:
            SoftTokenFactory.create(
                officer=officer,
                status=SoftTokenStatus.ACTIVE if state == 2 else SoftTokenStatus.PENDING,
                created_at=AT - dt.timedelta(minutes=1),
                confirmed_at=AT - dt.timedelta(days=index % 9) if state == 2 else None,
            )
        if legacy:
            LoginDecisionFactory.create(
                officer=officer, method=Method.TOKEN_KEY, at=AT - dt.timedelta(hours=index + 1)
            )
    agencies = list(created.values())
    scope = agencies[pick % len(agencies)]
    admin = privileged(
        username="scope.admin", name_th="ผู้ดูแล", role=Role.AGENCY_ADMIN, admin_scope=scope
    )  # with the soft token every privileged account holds
    inside = {o.username for o in officers if o.unit and o.unit.path.startswith(scope.path)}
    outside = {o.username for o in officers} - inside
    client = Client()
    force_sign_in(client, admin)

    def leaks(body: str) -> set[str]:
        return set(re.findall(r"u\d{3}x", body)) - inside

    pages = ["/manage/progress/", "/manage/officer-list/", "/manage/legacy-logins/"]
    pages += ["/manage/officer-list/?state=unregistered", "/manage/officer-list/?legacy=on"]
    pages += ["/manage/officers/"]
    for agency in agencies:
        url = f"/manage/progress/{agency.code}/"
        response = client.get(url)
        if agency.path.startswith(scope.path):
            pages.append(url)
            pages.append(f"/manage/officer-list/?unit={agency.code}")
        else:
            assert response.status_code == 404, url
            assert client.get(f"/manage/officer-list.csv?unit={agency.code}").status_code == 404
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert not leaks(response.content.decode()), url
    summary = client.get("/manage/progress/").content.decode()
    total = re.search(r'data-testid="summary">\D*(\d+)', summary)
    assert total is not None and int(total.group(1)) == len(inside)

    csv_response = client.get("/manage/officer-list.csv")
    if inside:
        text = streamed_body(csv_response).decode().lstrip("\ufeff")
        assert {row[0] for row in list(csv.reader(io.StringIO(text)))[1:]} == inside
        xlsx = client.get("/manage/officer-list.xlsx")
        rows = load_workbook(io.BytesIO(streamed_body(xlsx))).active.iter_rows(values_only=True)
        assert {row[0] for row in list(rows)[1:]} == inside
    else:
        assert csv_response.status_code == 302  # nothing to export, said on the list page

    client.post("/manage/progress/remind", {"unit": ""})
    reminded = set(RegistrationReminder.objects.values_list("recipient__username", flat=True))
    assert reminded <= inside and not (reminded & outside)
