"""Every message tells the truth and the next step: what the officer will actually see on the
register page after a reset, an empty sign-in, "start again" within a minute, a typing slip in
the e-mail code, "unlock" only when locked, the parent unit only where the viewer may look,
Thai digits in the GFMIS filter, and the phone replacement as a journey of its own."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from agencies.models import Officer
from audit.models import AuditEvent
from registration.models import IdentityCheck
from tests.conftest import PASSWORD, first_group, force_sign_in, sign_in
from tests.factories import OfficerFactory, SoftTokenFactory
from tests.totp_reference import phone_code
from tokens.possession import new_recovery_codes

pytestmark = pytest.mark.django_db
IN_WINDOW = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
CLOSING_DAY = dt.datetime(2025, 4, 11, 3, 0, tzinfo=dt.UTC)  # 10:00 in Bangkok, closing day
AFTER = dt.datetime(2025, 4, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def registered(charlie: Officer) -> Officer:
    SoftTokenFactory.create(officer=charlie, confirmed_at=IN_WINDOW)
    return charlie


def reset(capture, delivery: str = "email") -> Client:
    client = sign_in(Client(), "bob")
    with capture(execute=True):
        response = client.post(
            "/manage/officers/charlie/",
            {"action": "reset", "reason": "lost phone, ID card seen", "delivery": delivery},
        )
    assert response.status_code == 302
    return client


def bodies(subject_part: str) -> list[str]:
    return [str(m.body) for m in mail.outbox if subject_part in m.subject]


# --- a reset: the words match the register page ---------------------------------------------


@time_machine.travel(IN_WINDOW, tick=False)
def test_reset_in_the_window_says_no_code_is_asked(
    bob, registered, django_capture_on_commit_callbacks
) -> None:
    page = sign_in(Client(), "bob").get("/manage/officers/charlie/").content.decode()
    explained = first_group(r'data-testid="reset-explained">(.*?)</p>', page, re.S)
    assert "โดยไม่ต้องใช้รหัส" in explained and "11 เมษายน 2568" in explained
    reset(django_capture_on_commit_callbacks)
    notice = bodies("รีเซ็ต")[-1]
    assert "หน้าลงทะเบียนจึงไม่ขอรหัสลงทะเบียน" in notice
    assert "กรอกรหัสพร้อมเลขประจำตัวประชาชน" not in notice
    code_mail = [
        str(m.body) for m in mail.outbox if re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", str(m.body))
    ]
    assert code_mail and "หน้าลงทะเบียนจึงไม่ขอรหัสลงทะเบียน" in code_mail[-1]
    # And indeed: the register page has no code field while registration is open.
    register = sign_in(Client(), "charlie").get("/register/").content.decode()
    assert 'name="citizen_id"' in register and 'name="registration_code"' not in register


@time_machine.travel(IN_WINDOW, tick=False)
def test_an_in_person_code_in_the_window_says_when_it_is_needed(
    bob, registered, django_capture_on_commit_callbacks
) -> None:
    client = sign_in(Client(), "bob")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/manage/officers/charlie/",
            {"action": "reset", "reason": "lost phone, ID card seen", "delivery": "in_person"},
        )
    shown = client.get(response["Location"]).content.decode()
    assert 'data-testid="issued-code"' in shown
    assert "หน้าลงทะเบียนจะไม่ขอรหัสนี้" in first_group(
        r'data-testid="code-not-asked-yet">(.*?)</p>', shown, re.S
    )


@time_machine.travel(CLOSING_DAY, tick=False)
def test_a_reset_on_the_closing_day_says_the_code_is_needed_after_the_close(
    bob, registered, django_capture_on_commit_callbacks
) -> None:
    reset(django_capture_on_commit_callbacks)
    notice = bodies("รีเซ็ต")[-1]
    assert "หน้าลงทะเบียนจึงไม่ขอรหัสลงทะเบียน" in notice
    assert "การลงทะเบียนปิดเมื่อสิ้นวันที่ 11 เมษายน 2568" in notice
    assert "12 เม.ย. 2568 10:00 น." in notice  # the code's 24 hours, Bangkok time


@time_machine.travel(AFTER, tick=False)
def test_reset_after_the_window_says_the_code_is_typed_on_the_register_page(
    bob, registered, django_capture_on_commit_callbacks
) -> None:
    page = sign_in(Client(), "bob").get("/manage/officers/charlie/").content.decode()
    assert "การลงทะเบียนปิดแล้ว" in first_group(r'data-testid="reset-explained">(.*?)</p>', page, re.S)
    reset(django_capture_on_commit_callbacks)
    notice = bodies("รีเซ็ต")[-1]
    assert "หน้าลงทะเบียนจึงขอรหัสลงทะเบียนจากผู้ดูแลระบบ" in notice
    register = sign_in(Client(), "charlie").get("/register/").content.decode()
    assert 'name="registration_code"' in register


# --- sign-in and the e-mail code ------------------------------------------------------------


def test_an_empty_sign_in_says_what_to_type(client: Client, charlie) -> None:
    response = client.post("/login/", {"username": "", "password": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="sign-in-missing"' in body
    assert "กรุณากรอกรหัสผู้ใช้ GFMS" in body and "กรุณากรอกรหัสผ่าน" in body
    only_password = client.post("/login/", {"username": "charlie", "password": ""}).content
    assert "กรุณากรอกรหัสผ่าน" in only_password.decode()
    assert 'value="charlie"' in only_password.decode()  # what was typed stays


def test_start_again_within_a_minute_does_not_claim_a_new_code(
    charlie, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(IN_WINDOW, tick=False) as clock:
        client = sign_in(Client(), "charlie")
        with django_capture_on_commit_callbacks(execute=True):
            first = client.post("/register/", {"citizen_id": charlie.citizen_id}, follow=True)
        assert "ส่งรหัส 6 หลักไปที่" in first.content.decode() and len(mail.outbox) == 1
        sent = len(mail.outbox)
        clock.shift(dt.timedelta(seconds=30))
        page = client.get("/register/email/").content.decode()
        assert "ขอรหัสใหม่ได้ตั้งแต่ 10:01:00 น." in page  # one a minute after 10:00:00
        with django_capture_on_commit_callbacks(execute=True):
            again = client.post("/register/", {"citizen_id": charlie.citizen_id}, follow=True)
        body = again.content.decode()
        assert len(mail.outbox) == sent  # no new e-mail…
        assert "ยังไม่ได้ส่งอีเมลใหม่" in body and "10:01:00 น." in body  # …and it says so
        clock.shift(dt.timedelta(seconds=31))
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/register/", {"citizen_id": charlie.citizen_id})
        assert len(mail.outbox) == sent + 1
        assert "ไม่ได้รับอีเมล?" in client.get("/register/email/").content.decode()


@time_machine.travel(IN_WINDOW, tick=False)
@pytest.mark.parametrize("typed", ["abc123", "12345", "1234567", "12 34 5x", "๑๒๓๔๕"])
def test_a_non_code_entry_uses_no_try(typed, charlie, django_capture_on_commit_callbacks) -> None:
    client = sign_in(Client(), "charlie")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/register/", {"citizen_id": charlie.citizen_id})
    response = client.post("/register/email/", {"code": typed})
    assert "ครั้งนี้ไม่นับเป็นการลอง" in response.content.decode()
    assert IdentityCheck.objects.get(officer=charlie).email_code_attempts == 0
    # A real wrong code still counts.
    client.post("/register/email/", {"code": "000000" if typed != "000000" else "111111"})
    assert IdentityCheck.objects.get(officer=charlie).email_code_attempts in (0, 1)


# --- unlock, parent unit, Thai digits ------------------------------------------------------


def test_unlock_is_offered_only_for_a_locked_account(bob, charlie) -> None:
    Officer.objects.filter(pk=charlie.pk).update(failed_logins=3)
    client = force_sign_in(Client(), bob)
    page = client.get("/manage/officers/charlie/").content.decode()
    assert 'value="unlock"' not in page
    response = client.post("/manage/officers/charlie/", {"action": "unlock"}, follow=True)
    assert "บัญชีนี้ไม่ได้ถูกล็อก" in response.content.decode()
    charlie.refresh_from_db()
    assert charlie.failed_logins == 3
    assert not AuditEvent.objects.filter(action="officer.unlocked").exists()
    Officer.objects.filter(pk=charlie.pk).update(
        locked_until=dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    )
    assert 'value="unlock"' in client.get("/manage/officers/charlie/").content.decode()


def test_the_parent_unit_is_a_link_only_where_the_viewer_may_look(bob, alice) -> None:
    agency_admin = force_sign_in(Client(), bob).get("/manage/progress/", follow=True)
    body = agency_admin.content.decode()
    assert 'href="/manage/progress/03/"' not in body
    assert "อยู่ภายใต้ 03 กระทรวงการคลัง" in body
    assert force_sign_in(Client(), bob).get("/manage/progress/03/").status_code == 404
    central = force_sign_in(Client(), alice).get("/manage/progress/03004/").content.decode()
    assert 'href="/manage/progress/03/"' in central


def test_the_officer_list_unit_filter_accepts_thai_digits(bob, charlie, cgd_tree) -> None:
    OfficerFactory.create(username="frank", unit=cgd_tree["cgd_regional"])
    client = force_sign_in(Client(), bob)
    thai = client.get("/manage/officer-list/", {"unit": "๐๓๐๐๔๐๐๐๐๑"})
    ascii_ = client.get("/manage/officer-list/", {"unit": "0300400001"})
    assert thai.status_code == ascii_.status_code == 200
    names = re.findall(r'data-testid="state-(\w+)"', thai.content.decode())
    assert names == re.findall(r'data-testid="state-(\w+)"', ascii_.content.decode())
    assert "charlie" in names and "frank" not in names
    assert client.get("/manage/officer-list/", {"unit": "๐๓๐๐๔"}).status_code == 200
    assert client.get("/manage/progress/๐๓๐๐๔๐๐๐๐๑/").status_code == 200


# --- the phone replacement is its own journey -------------------------------------------------


def test_replacing_a_phone_has_its_own_steps_and_ending(
    registered, django_capture_on_commit_callbacks
) -> None:
    from django.db import transaction

    with time_machine.travel(IN_WINDOW, tick=False):
        with transaction.atomic():
            codes = new_recovery_codes(registered, at=IN_WINDOW)
        client = sign_in(Client(), "charlie")
        client.post("/account/verify/", {"code": codes[0], "next": "account_replace_phone"})
        intro = client.get("/account/replace-phone/").content.decode()
        assert 'data-testid="replace-steps"' in intro and "Registration steps" not in intro
        assert client.post("/account/replace-phone/")["Location"] == "/register/qr/"
        qr = client.get("/register/qr/").content.decode()
        assert 'data-testid="replace-steps"' in qr
        assert "ขั้นตอนการลงทะเบียน" not in qr  # not the first registration's step bar
        assert "โทรศัพท์เครื่องใหม่" in qr
        secret = first_group(r"secret=([A-Z2-7]+)", qr)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/register/qr/", {"code": phone_code(secret, IN_WINDOW)})
        codes_page = client.get(response["Location"]).content.decode()
        assert 'data-testid="replace-steps"' in codes_page
        assert "รหัสกู้คืนชุดใหม่ของท่าน" in codes_page
        done = client.get("/register/done/").content.decode()
    assert "โทรศัพท์เครื่องใหม่ใช้งานได้แล้ว" in done
    assert "แอปในโทรศัพท์เครื่องเดิมใช้กับ GFMS ไม่ได้อีกต่อไป" in done
    assert "ลงทะเบียนเรียบร้อยแล้ว" not in done  # "You are registered"
    confirmation = mail.outbox[-1]
    assert confirmation.subject == "Soft Token ของ GFMS ของท่านย้ายไปโทรศัพท์เครื่องใหม่แล้ว"
    assert "โทรศัพท์เครื่องเดิม" in str(confirmation.body)


def test_a_first_registration_still_ends_on_registered(charlie) -> None:
    SoftTokenFactory.create(officer=charlie, confirmed_at=IN_WINDOW)
    client = sign_in(Client(), "charlie", PASSWORD)
    done = client.get("/register/done/").content.decode()
    assert "ลงทะเบียนเรียบร้อยแล้ว" in done
    assert "โทรศัพท์เครื่องใหม่ใช้งานได้แล้ว" not in done
