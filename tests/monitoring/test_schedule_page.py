"""The schedule page (/manage/schedule/): who may see and change it, the two-step change with
its consequences for officers, validation, and the history from the audit trail.

Assertions are on data (ISO dates, BE digits, counts, data-* attributes), not on prose: the
Thai catalogue for the new strings is compiled later."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.messages import constants as message_levels
from django.test import Client
from django.utils import translation

from agencies.policy import Role
from audit.models import AuditEvent
from schedule.models import Schedule
from schedule.policy import CIRCULAR_SCHEDULE, Phase
from schedule.services import change_schedule
from tests.conftest import force_sign_in, sign_in
from tests.factories import OfficerFactory, SoftTokenFactory
from tokens.models import SoftTokenStatus

pytestmark = pytest.mark.django_db

URL = "/manage/schedule/"
# 1 March 2025, 10:00 in Bangkok: inside the circular's registration window.
IN_WINDOW = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
CIRCULAR_FIELDS = {
    "opens": "10/02/2568",
    "closes": "11/04/2568",
    "soft_token_only_from": "12/04/2568",
    "return_due": "30/05/2568",
}
CIRCULAR_BASED_ON = "2025-02-10,2025-04-11,2025-04-12,2025-05-30"


@pytest.fixture(autouse=True)
def in_window():
    with time_machine.travel(IN_WINDOW, tick=False) as traveller:
        yield traveller


def login(username: str) -> Client:
    client = Client()
    sign_in(client, username)
    return client


def post(client: Client, action: str, based_on: str = CIRCULAR_BASED_ON, **dates: str):
    return client.post(URL, {**CIRCULAR_FIELDS, **dates, "action": action, "based_on": based_on})


def hidden_inputs(body: str) -> dict[str, str]:
    """What the preview's confirm form posts."""
    form = body.split('data-testid="preview"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def data_attribute(body: str, testid: str, attribute: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*\b{attribute}="([^"]*)"', body)
    assert match, f"no {testid} with {attribute}"
    return match.group(1)


# --- access -----------------------------------------------------------------------------------------


def test_central_admin_sees_the_dates_in_be_the_phase_and_a_prefilled_form(alice) -> None:
    response = login("alice").get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    for day in ("10 กุมภาพันธ์ 2568", "11 เมษายน 2568", "12 เมษายน 2568", "30 พฤษภาคม 2568"):
        assert day in body
    assert 'datetime="2025-04-11"' in body
    assert data_attribute(body, "phase", "data-phase") == Phase.WINDOW
    assert 'name="csrfmiddlewaretoken"' in body
    for name, value in CIRCULAR_FIELDS.items():
        assert re.search(rf'<input type="text" name="{name}" value="{re.escape(value)}"', body)
        assert f'<label for="id_{name}"' in body  # every input has its label
    assert 'data-testid="read-only"' not in body


def test_auditor_reads_without_a_form_and_cannot_post(alice, erin) -> None:
    change_schedule(at=IN_WINDOW, actor=alice, stepped_up_at=IN_WINDOW, closes=dt.date(2025, 4, 10))
    client = login("erin")
    body = client.get(URL).content.decode()
    assert 'data-testid="read-only"' in body
    assert 'name="opens"' not in body and 'value="confirm"' not in body
    assert 'data-testid="history-closes"' in body  # the history is for auditors too

    for action in ("preview", "confirm"):
        response = post(client, action, based_on="2025-02-10,2025-04-10,2025-04-12,2025-05-30")
        assert response.status_code == 404
    assert Schedule.load().dates.closes == dt.date(2025, 4, 10)
    assert AuditEvent.objects.filter(action="schedule.changed").count() == 1


@pytest.mark.parametrize("username", ["bob", "charlie"])
def test_agency_admins_and_officers_get_404(username, bob, charlie) -> None:
    client = login(username)
    assert client.get(URL).status_code == 404
    assert post(client, "confirm", closes="10/04/2568").status_code == 404
    assert Schedule.load().dates == CIRCULAR_SCHEDULE
    assert not AuditEvent.objects.filter(action="schedule.changed").exists()


def test_anonymous_visitor_is_sent_to_log_in(cgd_tree) -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_post_without_csrf_token_is_refused(alice) -> None:
    client = Client(enforce_csrf_checks=True)
    force_sign_in(client, alice)
    assert 'name="csrfmiddlewaretoken"' in client.get(URL).content.decode()
    response = post(client, "confirm", closes="10/04/2568")
    assert response.status_code == 403  # Django's CSRF failure view
    assert Schedule.load().dates == CIRCULAR_SCHEDULE


# --- the two-step change --------------------------------------------------------------------------


def test_preview_shows_old_and_new_and_saves_nothing(alice) -> None:
    response = post(
        login("alice"), "preview", closes="2568-04-18", soft_token_only_from="19/04/2568"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert data_attribute(body, "preview-closes", "data-changed") == "yes"
    assert data_attribute(body, "preview-opens", "data-changed") == "no"
    assert 'datetime="2025-04-18"' in body and "18 เมษายน 2568" in body
    assert hidden_inputs(body) | {"csrfmiddlewaretoken": ""} == {
        "csrfmiddlewaretoken": "",
        "opens": "10/02/2568",
        "closes": "18/04/2568",
        "soft_token_only_from": "19/04/2568",
        "return_due": "30/05/2568",
        "based_on": CIRCULAR_BASED_ON,
    }
    assert Schedule.load().dates == CIRCULAR_SCHEDULE
    assert not AuditEvent.objects.filter(action="schedule.changed").exists()


def test_confirming_the_preview_saves_be_input_as_ce_dates_with_one_audit_row(alice) -> None:
    client = login("alice")
    preview = post(
        client,
        "preview",
        closes="18/04/2568",
        soft_token_only_from="2568-04-19",
        return_due="2025-06-30",  # CE works too
    ).content.decode()
    response = client.post(URL, {**hidden_inputs(preview), "action": "confirm"})

    assert response.status_code == 302 and response["Location"] == URL
    schedule = Schedule.load()
    assert schedule.dates == CIRCULAR_SCHEDULE.replace(
        closes=dt.date(2025, 4, 18),
        soft_token_only_from=dt.date(2025, 4, 19),
        return_due=dt.date(2025, 6, 30),
    )
    assert schedule.closes == dt.datetime(2025, 4, 17, 17, 0, tzinfo=dt.UTC)  # Bangkok midnight
    event = AuditEvent.objects.get(action="schedule.changed")
    assert event.actor == alice and event.at == IN_WINDOW
    assert event.data["old"]["closes"] == "2025-04-11"
    assert event.data["new"] == {
        "opens": "2025-02-10",
        "closes": "2025-04-18",
        "soft_token_only_from": "2025-04-19",
        "return_due": "2025-06-30",
    }
    after = client.get(URL)
    assert [m.level for m in after.context["messages"]] == [message_levels.SUCCESS]
    assert "18 เมษายน 2568" in after.content.decode()


def test_a_refresh_after_saving_does_not_save_again(alice) -> None:
    client = login("alice")
    assert post(client, "confirm", closes="04/04/2568").status_code == 302
    # The same confirm again (a resubmitted form) finds nothing left to change.
    again = post(client, "confirm", closes="04/04/2568")
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="schedule.changed").count() == 1


def test_confirm_on_a_schedule_changed_meanwhile_is_not_saved(alice) -> None:
    client = login("alice")
    preview = post(client, "preview", closes="04/04/2568").content.decode()
    change_schedule(at=IN_WINDOW, actor_label="someone else", return_due=dt.date(2025, 6, 1))

    response = client.post(URL, {**hidden_inputs(preview), "action": "confirm"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="preview"' in body  # shown again against the schedule as it is now
    assert hidden_inputs(body)["based_on"] == "2025-02-10,2025-04-11,2025-04-12,2025-06-01"
    # Saving blindly would have undone the other change: the preview now shows it would.
    assert data_attribute(body, "preview-return_due", "data-changed") == "yes"
    assert [m.level for m in response.context["messages"]] == [message_levels.ERROR]
    assert Schedule.load().dates.closes == dt.date(2025, 4, 11)
    assert Schedule.load().dates.return_due == dt.date(2025, 6, 1)
    assert AuditEvent.objects.filter(action="schedule.changed").count() == 1


def test_edit_goes_back_to_the_form_with_the_typed_dates(alice) -> None:
    body = post(login("alice"), "edit", closes="18/04/2568").content.decode()
    assert 'name="closes" value="18/04/2568"' in body
    assert 'data-testid="preview"' not in body
    assert Schedule.load().dates == CIRCULAR_SCHEDULE


# --- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["preview", "confirm"])
def test_closes_before_opens_names_the_field_and_changes_nothing(alice, action) -> None:
    response = post(login("alice"), action, closes="2568-02-01")
    body = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["closes"]
    # Buddhist-era dates in the Thai sentence, never CE ISO ones.
    assert response.context["form"].errors["closes"][0] == (
        "วันปิดลงทะเบียน (1 ก.พ. 2568) ต้องไม่ก่อนวันเปิดลงทะเบียน (10 ก.พ. 2568)"
    )
    assert re.search(r'data-field="closes"><a href="#id_closes"', body)  # the error summary
    assert 'aria-invalid="true"' in body
    assert 'data-testid="preview"' not in body
    assert Schedule.load().dates == CIRCULAR_SCHEDULE
    assert not AuditEvent.objects.filter(action="schedule.changed").exists()


def test_soft_token_only_on_the_closing_day_is_refused(alice) -> None:
    response = post(login("alice"), "preview", soft_token_only_from="11/04/2568")
    assert list(response.context["form"].errors) == ["soft_token_only_from"]


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ("31/02/2568", "opens"),  # no such day
        ("soon", "closes"),
        ("2568/04/12", "soft_token_only_from"),
        ("", "return_due"),
    ],
)
def test_malformed_date_is_named_on_its_field(alice, typed, field) -> None:
    response = post(login("alice"), "preview", **{field: typed})
    errors = response.context["form"].errors
    assert list(errors) == [field]
    if typed:
        assert typed in errors[field][0]
    assert f'data-field="{field}"' in response.content.decode()
    assert Schedule.load().dates == CIRCULAR_SCHEDULE


def test_year_out_of_range_is_refused(alice) -> None:
    # 3111 is neither a plausible BE nor CE year here (a BE year given 543 twice, say).
    response = post(login("alice"), "preview", return_due="30/05/3111")
    errors = response.context["form"].errors
    assert list(errors) == ["return_due"]
    assert errors["return_due"][0] == (
        "กำหนดส่งคืน Token Key 30 พ.ค. 3111 อยู่นอกช่วง 1 ม.ค. 2563 – 31 ธ.ค. 2583 "
        "(ใส่ปี พ.ศ./ค.ศ. สลับกันหรือไม่)"
    )


def test_thai_digits_are_accepted(alice) -> None:
    assert post(login("alice"), "confirm", closes="๐๔/๐๔/๒๕๖๘").status_code == 302
    assert Schedule.load().dates.closes == dt.date(2025, 4, 4)


@pytest.mark.parametrize("action", ["preview", "confirm"])
def test_unchanged_submission_says_so_and_writes_no_audit_row(alice, action) -> None:
    # The same dates, typed differently (CE, ISO): still no change.
    response = post(login("alice"), action, opens="2025-02-10", closes="2568-04-11")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="unchanged"' in body
    assert 'data-testid="preview"' not in body
    assert Schedule.load().updated_at is None
    assert not AuditEvent.objects.filter(action="schedule.changed").exists()


# --- what changes for officers ------------------------------------------------------------------


def test_statement_counts_active_officers_without_an_active_soft_token(
    cgd_tree, alice, bob, charlie, dave, erin
) -> None:
    for _ in range(2):
        SoftTokenFactory.create(officer=OfficerFactory.create(unit=cgd_tree["customs_unit"]))
    SoftTokenFactory.create(officer=charlie)
    SoftTokenFactory.create(
        officer=OfficerFactory.create(unit=cgd_tree["cgd_unit"]), status=SoftTokenStatus.REVOKED
    )
    SoftTokenFactory.create(
        officer=OfficerFactory.create(unit=cgd_tree["cgd_regional"]), status=SoftTokenStatus.PENDING
    )
    OfficerFactory.create(unit=cgd_tree["cgd_unit"], is_active=False)  # left the service
    SoftTokenFactory.create(officer=OfficerFactory.create(unit=cgd_tree["disease_unit"], role=Role.AGENCY_ADMIN, admin_scope=cgd_tree["disease"]), status=SoftTokenStatus.REVOKED)  # fmt: skip
    # Not registered: dave, the revoked one and the pending one. Administrators, auditors, the
    # inactive officer and the registered ones do not count.
    expected = 3

    client = login("alice")
    assert data_attribute(client.get(URL).content.decode(), "unregistered", "data-count") == "3"
    response = post(client, "preview", closes="18/04/2568", soft_token_only_from="19/04/2568")
    body = response.content.decode()
    assert data_attribute(body, "refused", "data-count") == str(expected)
    statement = response.context["preview"]["consequences"][0]
    assert re.search(rf"(?<!\d){expected}(?!\d)", statement)
    assert "19 เมษายน 2568" in statement


def test_moving_the_close_date_is_stated_with_the_number_of_days(alice) -> None:
    client = login("alice")
    later = post(client, "preview", closes="18/04/2568", soft_token_only_from="19/04/2568")
    earlier = post(client, "preview", closes="04/04/2568")
    for response, days, day in ((later, 7, "18 เมษายน 2568"), (earlier, 7, "4 เมษายน 2568")):
        sentences = response.context["preview"]["consequences"]
        assert len(sentences) == 2  # who is refused, then the close date
        assert re.search(rf"(?<!\d){days}(?!\d)", sentences[1]) and day in sentences[1]
    unmoved = post(client, "preview", return_due="30/06/2568")
    assert len(unmoved.context["preview"]["consequences"]) == 2  # refused, return date


def test_moving_the_cutover_to_today_says_the_phase_changes_at_once(alice) -> None:
    response = post(
        login("alice"), "preview", closes="28/02/2568", soft_token_only_from="01/03/2568"
    )
    sentences = response.context["preview"]["consequences"]
    with translation.override("th"):
        window, soft_only = str(Phase.WINDOW.label), str(Phase.SOFT_TOKEN_ONLY.label)
    assert any(window in s and soft_only in s for s in sentences)
    assert len(sentences) == 4  # refused since today, close date, phase, registration closes


# --- history ---------------------------------------------------------------------------------------


def test_history_lists_every_change_newest_first_with_old_and_new(alice) -> None:
    client = login("alice")
    assert post(client, "confirm", closes="18/04/2568", soft_token_only_from="19/04/2568").status_code == 302  # fmt: skip
    change_schedule(
        at=IN_WINDOW + dt.timedelta(days=2),
        actor_label="set_schedule (root)",
        return_due=dt.date(2025, 6, 30),
    )
    body = client.get(URL).content.decode()

    entries = body.split('data-testid="history-entry"')[1:]
    assert len(entries) == 2
    newest, oldest = entries
    assert "คำสั่งตั้งกำหนดการ (set_schedule) (root)" in newest and "3 มี.ค. 2568 10:00" in newest
    assert re.findall(r'data-testid="history-(\w+)" data-old="([\d-]+)" data-new="([\d-]+)"', newest) == [
        ("return_due", "2025-05-30", "2025-06-30")
    ]  # fmt: skip
    assert "alice" in oldest and "1 มี.ค. 2568 10:00" in oldest
    assert re.findall(r'data-testid="history-(\w+)" data-old="([\d-]+)" data-new="([\d-]+)"', oldest) == [
        ("closes", "2025-04-11", "2025-04-18"),
        ("soft_token_only_from", "2025-04-12", "2025-04-19"),
    ]  # fmt: skip
    assert "11 เมษายน 2568 → 18 เมษายน 2568" in oldest


def test_demo_schedule_shows_a_note_and_a_saved_change_makes_it_real(alice) -> None:
    change_schedule(at=IN_WINDOW, actor_label="seed_demo", is_demo=True)
    client = login("alice")
    assert 'data-testid="demo-note"' in client.get(URL).content.decode()
    preview = post(client, "preview", closes="18/04/2568", soft_token_only_from="19/04/2568")
    assert len(preview.context["preview"]["consequences"]) == 3  # …and the demo marker goes
    post(client, "confirm", closes="18/04/2568", soft_token_only_from="19/04/2568")
    assert Schedule.load().is_demo is False
    assert 'data-testid="demo-note"' not in client.get(URL).content.decode()


@time_machine.travel(dt.datetime(2025, 4, 11, 17, 0, tzinfo=dt.UTC), tick=False)
def test_phase_is_soft_token_only_from_bangkok_midnight(alice) -> None:
    body = login("alice").get(URL).content.decode()
    assert data_attribute(body, "phase", "data-phase") == Phase.SOFT_TOKEN_ONLY
