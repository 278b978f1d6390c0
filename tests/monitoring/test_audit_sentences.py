"""The audit log in words: each event a Thai sentence built from its data (who did what to
whom), Buddhist-era Bangkok times, system actors named in Thai — never raw keys or UTC ISO."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import transaction
from django.utils import translation

from audit.labels import EVENT_LABELS
from audit.models import AuditEvent
from audit.services import record_event
from gfms_portal.clock import BANGKOK
from monitoring.audit_sentences import SENTENCE_ACTIONS, describe_event, system_actor_name
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 12, 1, 14, 39, tzinfo=BANGKOK)
CE_YEAR = re.compile(r"\b(19|20)\d\d\b")

# A row of every labelled action, shaped as its service writes it.
SAMPLES: dict[str, dict] = {
    "registration.identity_failed": {},
    "registration.email_code_sent": {},
    "registration.email_code_resent": {"identity_check": 812},
    "registration.identity_verified": {"via": "bootstrap_link"},
    "soft_token.registration_started": {"token": 2244},
    "soft_token.bound": {"token": 2244, "replaced": [2241], "registration_code": "reset"},
    "soft_token.replacement_started": {"token": 2245},
    "soft_token.reset": {"reason": "ทำโทรศัพท์หาย", "tokens_revoked": 1, "delivery": "in_person"},
    "soft_token.imported": {"replaced": True},
    "recovery_code.used": {},
    "recovery_codes.regenerated": {},
    "registration_code.issued": {"days": 7, "delivery": "email"},
    "registration.reminders_sent": {"scope": "03004", "unregistered": 12, "queued": 10},
    "officer.created_by_admin": {"fields": ["email"]},
    "officer.changed_by_admin": {"fields": ["email", "unit"]},
    "officer.updated_by_import": {"fields": ["email"]},
    "officer.locked": {"failed_logins": 10, "locked_until": "2026-12-01T07:54:07.429239+00:00"},
    "officer.unlocked": {},
    "officer.citizen_id_checked": {"matches": False},
    "portal.signed_in": {},
    "portal.sign_in_refused": {"reason": "invalid_credentials"},
    "portal.second_factor_passed": {},
    "portal.second_factor_failed": {"reason": "wrong_code"},
    "portal.step_up": {},
    "registration.bootstrap_link_issued": {"valid_minutes": 30},
    "admin.added": {"model": "agencies.agency", "object_id": "7", "object": "03 กระทรวงการคลัง"},
    "admin.changed": {"model": "agencies.officer", "object_id": "3", "object": "x", "fields": ["email"]},
    "admin.deleted": {"model": "agencies.agency", "object_id": "7", "object": "03"},
    "export.downloaded": {"export": "officer-list.csv", "unit": "03004"},
    "token_key.state_changed": {"serial": "TK-1", "from": "in_use", "to": "handed_over", "act": "hand_over"},
    "token_key.updated": {"serial": "TK-1", "fields": ["public_key"]},
    "shipment.created": {"shipment": 5, "devices": 3},
    "shipment.shipped": {"shipment": 5, "tracking": "EMS123TH"},
    "shipment.received": {"shipment": 5, "received": 2, "missing": ["TK-3"], "unexpected": []},
    "shipment.cancelled": {"shipment": 5, "devices": 3},
    "shipment.discrepancy_resolved": {"item": 9, "note": "พบในลิ้นชัก"},
    "schedule.changed": {
        "old": {"opens": "2026-10-01", "closes": "2026-12-25", "soft_token_only_from": "2026-12-26", "return_due": "2027-02-12"},
        "new": {"opens": "2026-10-01", "closes": "2026-12-19", "soft_token_only_from": "2026-12-20", "return_due": "2027-02-12"},
        "is_demo": False,
    },
    "agencies.imported": {"file": "agencies.csv", "file_sha256": "ab", "created": 3, "updated": 1, "unchanged": 0},
    "officers.imported": {"file": "officers.csv", "file_sha256": "ab", "created": 3},
    "token_keys.imported": {"file": "token_keys.csv", "file_sha256": "ab", "updated": 2},
    "soft_tokens.imported": {"file": "seeds.csv", "file_sha256": "ab", "created": 1},
    "service_client.created": {"client": "gfms-frontend"},
    "service_client.revoked": {"client": "gfms-frontend"},
    "encryption_key.rotated": {"key_id": "k2", "rows": {"officers": 4, "tokens": 6}},
}  # fmt: skip
# The passwords app's actions.
SAMPLES |= {
    "password.changed": {},
    "password.change_refused": {"reason": "wrong_password"},
    "password.reset_code_sent": {},
    "password.reset_without_token": {},
    "password.reset_codes_confirmed": {},
    "password.reset": {"via": "administrator_link", "issued_by": "bob"},
    "password.reset_link_sent": {"valid_minutes": 60},
}


def event(action: str, data: dict, **fields) -> AuditEvent:
    with transaction.atomic():
        return record_event(action, at=AT, data=data, **fields)


def test_every_labelled_action_has_a_sentence_and_a_sample() -> None:
    assert set(EVENT_LABELS) <= SENTENCE_ACTIONS
    assert set(SAMPLES) == set(EVENT_LABELS)


@pytest.mark.parametrize("action", sorted(SAMPLES))
def test_each_sentence_is_thai_with_no_raw_key_or_ce_date(action, alice, charlie) -> None:
    row = event(action, SAMPLES[action], actor=alice, officer=charlie)
    with translation.override("th"):
        text = describe_event(row)
    assert re.search("[ก-๙]", text), text
    assert not CE_YEAR.search(text), text
    for key in SAMPLES[action]:
        if key not in ("reason",) and "_" in key:
            assert key not in text, text  # failed_logins, locked_until, tokens_revoked…
    assert "+00:00" not in text and action not in text


def test_a_lock_reads_as_a_sentence_with_the_bangkok_time(charlie) -> None:
    row = event(
        "officer.locked",
        {"failed_logins": 10, "locked_until": "2026-12-01T07:39:07.429239+00:00"},
        actor_label="auth_gateway",
        officer=charlie,
    )
    assert describe_event(row) == (
        f"ระบบตรวจสอบการเข้าสู่ระบบ ล็อกบัญชีของ {charlie.name_th} (charlie) "
        "หลังเข้าสู่ระบบไม่สำเร็จติดต่อกัน 10 ครั้ง จนถึง 1 ธ.ค. 2569 14:39 น."
    )


def test_a_permanent_lock_says_who_can_lift_it(charlie) -> None:
    row = event(
        "officer.locked",
        {"failed_logins": 100, "locked_until": "9999-12-31T00:00:00+00:00"},
        actor_label="auth_gateway",
        officer=charlie,
    )
    assert describe_event(row).endswith("จนกว่าผู้ดูแลระบบจะปลดล็อก")


def test_a_registration_names_the_token_it_replaced(charlie) -> None:
    row = event(
        "soft_token.bound",
        {"registration_code": None, "replaced": [2241], "token": 2244},
        actor=charlie,
        officer=charlie,
    )
    assert describe_event(row) == (
        f"{charlie.name_th} (charlie) ลงทะเบียน Soft Token หมายเลข 2244 "
        "แทน Soft Token หมายเลข 2241 ซึ่งใช้ไม่ได้อีกต่อไป"
    )


def test_a_schedule_change_lists_the_moved_dates_in_buddhist_era() -> None:
    row = event("schedule.changed", SAMPLES["schedule.changed"], actor_label="seed_demo")
    text = describe_event(row)
    assert text.startswith("ข้อมูลสาธิต (seed_demo) เปลี่ยนกำหนดการ")
    assert "วันปิดลงทะเบียน 25 ธ.ค. 2569 → 19 ธ.ค. 2569" in text
    assert "วันเปิดลงทะเบียน" not in text  # unchanged dates are not listed


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("auth_gateway", "ระบบตรวจสอบการเข้าสู่ระบบ"),
        ("portal", "หน้าเข้าสู่ระบบของพอร์ทัล"),
        ("seed_demo", "ข้อมูลสาธิต (seed_demo)"),
        ("demo front-end", "หน้าเข้าสู่ระบบ GFMS สาธิต"),
        ("set_schedule (root)", "คำสั่งตั้งกำหนดการ (set_schedule) (root)"),
        ("import_officers officers.csv", "การนำเข้าข้อมูลเจ้าหน้าที่ (officers.csv)"),
        ("officers.imported (root)", "การนำเข้าข้อมูลเจ้าหน้าที่ (root)"),
        ("bootstrap_admin", "คำสั่งตั้งผู้ดูแลระบบคนแรก (bootstrap_admin)"),
        ("something-new", "something-new"),
    ],
)
def test_system_actors_have_thai_names(label: str, name: str) -> None:
    with translation.override("th"):
        assert system_actor_name(label) == name


def test_english_when_english_is_chosen(charlie) -> None:
    row = event("officer.unlocked", {}, actor_label="auth_gateway", officer=charlie)
    with translation.override("en"):
        assert (
            describe_event(row)
            == f"the login gateway unlocked the account of {charlie.display_name('en')} (charlie)."
        )


def test_an_unknown_action_keeps_its_details_with_buddhist_era_dates() -> None:
    row = event("future.thing", {"until": "2026-12-01T07:39:07+00:00", "secret": "x"})
    assert describe_event(row) == "future.thing — secret: [hidden]; until: 1 ธ.ค. 2569 14:39 น."


@time_machine.travel(dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC), tick=False)
def test_the_audit_page_shows_sentences_not_raw_keys(client, erin, charlie) -> None:
    event(
        "officer.locked",
        {"failed_logins": 10, "locked_until": "2026-12-01T07:39:07.429239+00:00"},
        actor_label="auth_gateway",
        officer=charlie,
    )
    sign_in(client, "erin")
    body = client.get("/manage/audit-log/", {"action": "officer.locked"}).content.decode()
    assert "หลังเข้าสู่ระบบไม่สำเร็จติดต่อกัน 10 ครั้ง จนถึง 1 ธ.ค. 2569 14:39 น." in body
    assert "failed_logins" not in body and "2026-12-01T07" not in body
    assert "ระบบตรวจสอบการเข้าสู่ระบบ" in body
