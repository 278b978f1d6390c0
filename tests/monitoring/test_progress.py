"""Registration progress: the numbers equal a brute-force recount, scope holds, and the number
of queries does not grow with the data."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.models import Officer
from monitoring.progress import registration_overview
from tests.conftest import PASSWORD, sign_in
from tests.factories import OfficerFactory, SoftTokenFactory
from tokens.models import SoftToken, SoftTokenStatus

pytestmark = pytest.mark.django_db
AT = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def population(cgd_tree) -> None:
    units = ["cgd_unit", "cgd_unit", "cgd_regional", "customs_unit", "disease_unit", "disease_unit"]
    for number, unit in enumerate(units):
        officer = OfficerFactory.create(username=f"p{number}", unit=cgd_tree[unit])
        if number % 3 == 0:
            SoftTokenFactory.create(officer=officer)
        elif number % 3 == 1:
            SoftTokenFactory.create(
                officer=officer,
                status=SoftTokenStatus.PENDING,
                created_at=AT - dt.timedelta(minutes=2),
                confirmed_at=None,
            )


def recount(prefix: str) -> tuple[int, int, int]:
    officers = Officer.objects.filter(role="officer", unit__path__startswith=prefix)
    registered = {t.officer_id for t in SoftToken.objects.filter(status="active")}
    pending = {
        t.officer_id
        for t in SoftToken.objects.filter(
            status="pending", created_at__gt=AT - dt.timedelta(minutes=10)
        )
    }
    ids = set(officers.values_list("pk", flat=True))
    return len(ids), len(ids & registered), len((ids & pending) - registered)


@time_machine.travel(AT, tick=False)
def test_numbers_equal_a_recount_at_every_level(population, alice: Officer) -> None:
    for code in (None, "03", "03004"):
        node, summary, children = registration_overview(alice.viewer, code, at=AT)
        assert (summary.total, summary.registered, summary.pending) == recount(
            node.path if node else ""
        )
        assert sum(child.total for child in children) == summary.total
        for child in children:
            from agencies.models import Agency

            path = Agency.objects.get(code=child.code).path
            assert (child.total, child.registered, child.pending) == recount(path)


@time_machine.travel(AT, tick=False)
def test_scope_and_404(population, bob: Officer) -> None:
    node, summary, _children = registration_overview(bob.viewer, None, at=AT)
    assert node is not None and node.code == "03004" and summary.total == 3
    client = Client()
    sign_in(client, "bob")
    assert client.get("/manage/progress/").status_code == 200
    assert client.get("/manage/progress/0300400001/").status_code == 200
    assert client.get("/manage/progress/21004/").status_code == 404
    assert client.get("/manage/progress/03/").status_code == 404


@time_machine.travel(AT, tick=False)
def test_queries_do_not_grow_with_the_data(cgd_tree, alice: Officer) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            registration_overview(alice.viewer, "03004", at=AT)
        return len(captured)

    OfficerFactory.create(unit=cgd_tree["cgd_unit"])
    small = queries()
    for number in range(30):
        SoftTokenFactory.create(
            officer=OfficerFactory.create(
                unit=cgd_tree["cgd_regional" if number % 2 else "cgd_unit"]
            )
        )
    assert queries() == small


def test_legacy_login_telemetry_is_scoped_and_counts_per_bangkok_day(
    api, cgd_tree, bob: Officer, alice: Officer, charlie: Officer, dave: Officer
) -> None:
    from monitoring.progress import legacy_users, logins_per_day

    late_evening_utc = dt.datetime(2025, 3, 1, 18, 0, tzinfo=dt.UTC)  # already 2 Mar in Bangkok
    with time_machine.travel(late_evening_utc, tick=False):
        for username in ("charlie", "charlie", "dave"):
            api(
                "/api/v1/auth/check",
                {"username": username, "password": PASSWORD, "method": "password"},
            )
        api(
            "/api/v1/auth/check", {"username": "charlie", "password": "wrong", "method": "password"}
        )
        days = logins_per_day(alice.viewer, at=late_evening_utc)
        assert days[-1].day == dt.date(2025, 3, 2)
        assert (days[-1].password, days[-1].refused) == (3, 1)
        assert logins_per_day(bob.viewer, at=late_evening_utc)[-1].password == 2  # not dave's
        assert [
            row["officer__username"] for row in legacy_users(bob.viewer, at=late_evening_utc)
        ] == ["charlie"]
        client = Client()
        sign_in(client, "bob")
        page = client.get("/manage/legacy-logins/").content.decode()
        assert "charlie" in page and "dave" not in page
