import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from schedule.models import Schedule
from schedule.policy import CIRCULAR_SCHEDULE, Phase

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("set_schedule", *args, stdout=out)
    return out.getvalue()


def test_buddhist_era_year_is_stored_as_common_era() -> None:
    run("--closes", "2568-04-10")
    assert Schedule.load().dates.closes == dt.date(2025, 4, 10)


def test_closes_2568_04_11_stores_2025_04_11() -> None:
    run("--closes", "2568-04-09")
    run("--closes", "2568-04-11")
    schedule = Schedule.load()
    assert schedule.dates.closes == dt.date(2025, 4, 11)
    # Stored as the aware first instant of that day in Bangkok.
    assert schedule.closes == dt.datetime(2025, 4, 10, 17, 0, tzinfo=dt.UTC)


def test_all_four_flags_in_common_era() -> None:
    run(
        "--opens", "2025-03-01", "--closes", "2025-05-31",
        "--soft-token-only-from", "2025-06-01", "--return-due", "2025-07-31",
    )  # fmt: skip
    assert Schedule.load().dates == CIRCULAR_SCHEDULE.replace(
        opens=dt.date(2025, 3, 1),
        closes=dt.date(2025, 5, 31),
        soft_token_only_from=dt.date(2025, 6, 1),
        return_due=dt.date(2025, 7, 31),
    )


def test_change_is_audited_with_old_and_new_dates() -> None:
    run("--closes", "2568-04-04")
    event = AuditEvent.objects.get(action="schedule.changed")
    assert event.data["old"]["closes"] == "2025-04-11"
    assert event.data["new"]["closes"] == "2025-04-04"
    assert event.actor_label.startswith("set_schedule")


def test_unchanged_schedule_writes_no_audit_row() -> None:
    output = run("--closes", "2025-04-11")
    assert "กำหนดการไม่เปลี่ยน" in output
    assert not AuditEvent.objects.exists()


def test_wrong_order_is_refused_with_the_field_and_nothing_changes() -> None:
    with pytest.raises(CommandError, match="--soft-token-only-from") as error:
        run("--closes", "2568-04-20")
    assert "20 เม.ย. 2568" in str(error.value)  # Buddhist era, like every page
    assert Schedule.load().dates == CIRCULAR_SCHEDULE
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--opens", "2025-02-30"], "--opens: “2025-02-30” ไม่ใช่วันที่ที่มีอยู่จริง"),
        (["--opens", "next monday"], "--opens: “next monday” ไม่ใช่วันที่"),
        (["--return-due", "3025-05-30"], "1 ม.ค. 2563 – 31 ธ.ค. 2583"),
        (["--opens", "1482-02-10"], "1 ม.ค. 2563 – 31 ธ.ค. 2583"),
    ],
)
def test_bad_dates_are_refused_clearly(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert Schedule.load().dates == CIRCULAR_SCHEDULE


def test_no_arguments_explains_what_to_do() -> None:
    with pytest.raises(CommandError, match="--show"):
        run()


@time_machine.travel(dt.datetime(2025, 4, 11, 17, 0, tzinfo=dt.UTC), tick=False)
def test_show_prints_thai_buddhist_era_dates_and_the_phase() -> None:
    output = run("--show")
    assert "วันปิดลงทะเบียน" in output and "11 เม.ย. 2568" in output
    assert "2025" not in output  # no CE date
    assert "ระยะปัจจุบัน" in output
    assert f"ใช้ Soft Token เท่านั้น ({Phase.SOFT_TOKEN_ONLY.value})" in output
    assert all(line.isascii() is False for line in output.splitlines())  # every line in Thai


def test_schedule_phase_at_uses_stored_dates() -> None:
    run("--soft-token-only-from", "2025-04-20", "--closes", "2025-04-19")
    schedule = Schedule.load()
    assert schedule.phase_at(dt.datetime(2025, 4, 19, 16, 59, 59, tzinfo=dt.UTC)) == Phase.WINDOW
    assert (
        schedule.phase_at(dt.datetime(2025, 4, 19, 17, 0, tzinfo=dt.UTC)) == Phase.SOFT_TOKEN_ONLY
    )
