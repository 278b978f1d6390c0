"""The help desk and the one screen per officer (monitoring.officer_screen): scope (404 outside,
for both desk roles), the acts the desk may and may not do — enforced in the services and
audited — the citizen-ID check, the timeline and its query count, and the officer's own page.

frank — the help desk of department 03004 (bob's subtree); grace — CGD's help desk.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client

from agencies import citizen_id_check
from agencies.citizen_id_check import check_citizen_id
from agencies.lockout import unlock_officer
from agencies.models import Officer
from agencies.permissions import NotYours, OutOfSight, StepUpRequired
from agencies.policy import Role
from audit.models import AuditEvent
from auth_gateway.policy import Decision, Method, Reason
from gfms_portal.errors import Refused
from registration.models import IdentityCheck, RegistrationCode
from registration.services import (
    Delivery,
    check_identity,
    issue_late_registration_code,
    resend_email_code,
    reset_soft_token,
)
from schedule.policy import Phase
from tests.conftest import first_group, force_sign_in, privileged, sign_in
from tests.factories import (
    LoginDecisionFactory,
    OfficerFactory,
    OutboxMessageFactory,
    SoftTokenFactory,
    TokenKeyFactory,
    valid_citizen_id,
)
from tokens.models import SoftTokenStatus, TokenKeyState

pytestmark = pytest.mark.django_db
# 12 Apr 2025 08:30 Bangkok: the first morning of soft-token-only logins.
CUTOVER = dt.datetime(2025, 4, 12, 1, 30, tzinfo=dt.UTC)
IN_WINDOW = dt.datetime(2025, 3, 3, 3, 0, tzinfo=dt.UTC)
FRESH = CUTOVER - dt.timedelta(minutes=1)
CHARLIE_ID = valid_citizen_id(4242)


@pytest.fixture
def frank(cgd_tree) -> Officer:
    return privileged(username="frank", role=Role.HELPDESK, admin_scope=cgd_tree["cgd"])


@pytest.fixture
def grace(cgd_tree) -> Officer:
    return privileged(username="grace", role=Role.CENTRAL_HELPDESK)


@pytest.fixture
def charlie(cgd_tree) -> Officer:
    return OfficerFactory.create(
        username="charlie", unit=cgd_tree["cgd_unit"], citizen_id=CHARLIE_ID
    )


def desk(officer: Officer) -> Client:
    return force_sign_in(Client(), officer)


# --- scope -----------------------------------------------------------------------------------------


@time_machine.travel(CUTOVER, tick=False)
def test_an_agency_desk_sees_its_officers_and_404_for_another_agencys(
    frank: Officer, charlie: Officer, dave: Officer
) -> None:
    client = desk(frank)
    assert client.get("/manage/officers/charlie/").status_code == 200
    assert client.get("/manage/officers/dave/").status_code == 404
    assert client.post("/manage/officers/dave/", {"action": "unlock"}).status_code == 404
    check = {"action": "check_citizen_id", "citizen_id": CHARLIE_ID}
    assert client.post("/manage/officers/dave/", check).status_code == 404
    listing = client.get("/manage/officers/").content.decode()
    assert "charlie" in listing and "dave" not in listing
    assert client.get("/manage/officer-list/").status_code == 200
    assert client.get("/manage/legacy-logins/").status_code == 200


@time_machine.travel(CUTOVER, tick=False)
def test_cgds_desk_sees_every_officer_but_not_an_administrator_it_cannot_serve(
    grace: Officer, charlie: Officer, dave: Officer, bob: Officer
) -> None:
    client = desk(grace)
    assert client.get("/manage/officers/charlie/").status_code == 200
    assert client.get("/manage/officers/dave/").status_code == 200
    assert client.get("/manage/officers/nobody/").status_code == 404
    # bob is in sight (CGD's desk sees the country) but not the desk's to act on.
    bob.locked_until = CUTOVER + dt.timedelta(minutes=10)
    bob.save()
    response = client.post("/manage/officers/bob/", {"action": "unlock"})
    assert response.status_code == 403
    assert Officer.objects.get(pk=bob.pk).locked_until is not None


@time_machine.travel(CUTOVER, tick=False)
def test_a_desk_without_a_scope_sees_nothing(cgd_tree, charlie: Officer) -> None:
    # The database refuses an agency desk without a scope (helpdesk_has_scope); a desk whose
    # node vanished from its Actor fails closed in the rules too (tests/agencies).
    client = desk(privileged(username="lone", role=Role.HELPDESK, admin_scope=cgd_tree["disease"]))
    assert client.get("/manage/officers/charlie/").status_code == 404


@time_machine.travel(CUTOVER, tick=False)
def test_the_desk_reaches_neither_the_audit_log_nor_the_schedule(
    frank: Officer, grace: Officer
) -> None:
    for person in (frank, grace):
        client = desk(person)
        assert client.get("/manage/audit-log/").status_code == 404
        assert client.get("/manage/schedule/").status_code == 404


def test_a_desk_account_needs_its_second_factor_at_sign_in(frank: Officer, charlie) -> None:
    client = Client()
    response = client.post("/login/", {"username": "frank", "password": "correct horse battery"})
    assert response["Location"].startswith("/login/code/")
    # Signed in with the password only: the guard lets it reach nothing but the code step.
    assert client.get("/manage/officers/charlie/")["Location"].startswith("/login/code/")


# --- the acts, in the services ----------------------------------------------------------------------


def test_a_desk_asking_the_service_for_a_late_code_is_refused_and_nothing_is_written(
    frank: Officer, grace: Officer, charlie: Officer
) -> None:
    for person in (frank, grace):
        with pytest.raises(NotYours):
            issue_late_registration_code(
                charlie,
                actor=person,
                days=3,
                delivery=Delivery.EMAIL,
                at=CUTOVER,
                stepped_up_at=FRESH,
            )
    assert not RegistrationCode.objects.exists()
    assert not AuditEvent.objects.filter(action="registration_code.issued").exists()


def test_a_desk_posting_a_late_code_gets_403(frank: Officer, charlie: Officer) -> None:
    with time_machine.travel(CUTOVER, tick=False):
        response = desk(frank).post(
            "/manage/officers/charlie/", {"action": "late", "days": "3", "delivery": "email"}
        )
    assert response.status_code == 403
    assert not RegistrationCode.objects.exists()


def test_the_desk_unlocks_with_a_fresh_code_and_it_is_audited(
    frank: Officer, charlie: Officer
) -> None:
    Officer.objects.filter(pk=charlie.pk).update(
        locked_until=CUTOVER + dt.timedelta(minutes=15), failed_logins=10
    )
    charlie.refresh_from_db()
    with pytest.raises(StepUpRequired):
        unlock_officer(charlie, actor=frank, at=CUTOVER, stepped_up_at=None)
    unlock_officer(charlie, actor=frank, at=CUTOVER, stepped_up_at=FRESH)
    charlie.refresh_from_db()
    assert charlie.locked_until is None and charlie.failed_logins == 0
    event = AuditEvent.objects.get(action="officer.unlocked")
    assert (event.actor, event.officer) == (frank, charlie)


def test_the_desk_resets_an_officers_token_but_never_its_own_or_a_colleagues(
    frank: Officer, charlie: Officer, cgd_tree
) -> None:
    SoftTokenFactory.create(officer=charlie)
    colleague = privileged(username="frank2", role=Role.HELPDESK, admin_scope=cgd_tree["cgd"])
    colleague.unit = cgd_tree["cgd_unit"]
    colleague.save()
    # frank's own account has no unit: not even in his sight; a colleague is, but not his.
    for target, refusal in ((frank, OutOfSight), (colleague, NotYours)):
        with pytest.raises(refusal):
            reset_soft_token(
                target,
                actor=frank,
                reason="lost phone",
                delivery=Delivery.IN_PERSON,
                at=CUTOVER,
                stepped_up_at=FRESH,
            )
    with pytest.raises(Refused) as in_person:  # the desk never reads a code out on the phone
        reset_soft_token(
            charlie,
            actor=frank,
            reason="lost phone, checked ID",
            delivery=Delivery.IN_PERSON,
            at=CUTOVER,
            stepped_up_at=FRESH,
        )
    assert in_person.value.code == "email_only"
    assert charlie.soft_tokens.filter(status=SoftTokenStatus.ACTIVE).exists()
    assert reset_soft_token(
        charlie,
        actor=frank,
        reason="lost phone, checked ID",
        delivery=Delivery.EMAIL,
        at=CUTOVER,
        stepped_up_at=FRESH,
    )
    assert not charlie.soft_tokens.filter(status=SoftTokenStatus.ACTIVE).exists()
    event = AuditEvent.objects.get(action="soft_token.reset")
    assert (event.actor, event.data["delivery"]) == (frank, "email")


@time_machine.travel(CUTOVER, tick=False)
def test_the_desks_reset_form_offers_the_email_only(frank: Officer, bob, charlie) -> None:
    SoftTokenFactory.create(officer=charlie)
    as_desk = desk(frank).get("/manage/officers/charlie/").content.decode()
    assert 'value="email"' in as_desk and 'value="in_person"' not in as_desk
    assert 'value="in_person"' in desk(bob).get("/manage/officers/charlie/").content.decode()


def test_a_desk_outside_its_scope_cannot_resend_a_code(frank: Officer, dave: Officer) -> None:
    with pytest.raises(OutOfSight):
        resend_email_code(dave, actor=frank, at=IN_WINDOW)


def test_resending_the_email_code_replaces_it_in_the_same_check_audited_and_limited(
    frank: Officer, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        check = check_identity(charlie, CHARLIE_ID, at=IN_WINDOW)
    first_hash = check.email_code_hash
    with pytest.raises(Refused) as too_soon:
        resend_email_code(charlie, actor=frank, at=IN_WINDOW + dt.timedelta(seconds=30))
    assert too_soon.value.code == "resend_too_soon"
    later = IN_WINDOW + dt.timedelta(minutes=12)  # the first code has expired meanwhile
    with django_capture_on_commit_callbacks(execute=True):
        resent = resend_email_code(charlie, actor=frank, at=later)
    assert resent.pk == check.pk  # the page the officer has open takes the new code
    assert resent.email_code_hash != first_hash
    assert resent.email_code_expires_at == later + dt.timedelta(minutes=10)
    assert resent.email_code_attempts == 0  # none were wrong
    event = AuditEvent.objects.get(action="registration.email_code_resent")
    assert (event.actor, event.officer) == (frank, charlie)
    new_code = first_group(r"\b(\d{6})\b", str(mail.outbox[-1].body))
    assert mail.outbox[-1].to == [charlie.email]
    from registration.services import verify_email_code

    verify_email_code(resent, new_code, at=later + dt.timedelta(minutes=1))
    assert IdentityCheck.objects.get(pk=check.pk).verified_at is not None


def test_resending_counts_toward_the_hourly_limit(frank: Officer, charlie: Officer) -> None:
    check_identity(charlie, CHARLIE_ID, at=IN_WINDOW)
    for minute in (2, 4, 6, 8):
        resend_email_code(charlie, actor=frank, at=IN_WINDOW + dt.timedelta(minutes=minute))
    with pytest.raises(Refused) as limited:
        resend_email_code(charlie, actor=frank, at=IN_WINDOW + dt.timedelta(minutes=10))
    assert limited.value.code == "too_many_codes"
    assert AuditEvent.objects.filter(action="registration.email_code_resent").count() == 4


def test_nothing_to_resend_without_a_started_registration(frank, charlie: Officer) -> None:
    with pytest.raises(Refused) as refused:
        resend_email_code(charlie, actor=frank, at=IN_WINDOW)
    assert refused.value.code == "no_code_step"
    assert not AuditEvent.objects.filter(action="registration.email_code_resent").exists()


# --- the citizen-ID check --------------------------------------------------------------------------


def test_checking_a_citizen_id_answers_yes_or_no_and_audits_each_check(
    frank: Officer, charlie: Officer
) -> None:
    assert check_citizen_id(charlie, CHARLIE_ID, actor=frank, at=CUTOVER) is True
    assert check_citizen_id(charlie, valid_citizen_id(1), actor=frank, at=CUTOVER) is False
    rows = AuditEvent.objects.filter(action="officer.citizen_id_checked").order_by("id")
    assert [row.data for row in rows] == [{"matches": True}, {"matches": False}]
    assert all(row.actor == frank and row.officer == charlie for row in rows)
    charlie.refresh_from_db()
    assert charlie.failed_logins == 0  # the caller is not signing in


def test_the_citizen_id_check_is_limited_per_actor(
    frank: Officer, grace: Officer, charlie: Officer
) -> None:
    for _ in range(citizen_id_check.CHECKS_PER_HOUR):
        check_citizen_id(charlie, valid_citizen_id(1), actor=frank, at=CUTOVER)
    with pytest.raises(Refused) as limited:
        check_citizen_id(charlie, CHARLIE_ID, actor=frank, at=CUTOVER)
    assert limited.value.code == "too_many_checks"
    # Another actor has their own count; an hour later frank has his back.
    assert check_citizen_id(charlie, CHARLIE_ID, actor=grace, at=CUTOVER)
    assert check_citizen_id(
        charlie, CHARLIE_ID, actor=frank, at=CUTOVER + dt.timedelta(hours=1, seconds=1)
    )


def test_a_number_that_cannot_be_a_citizen_id_is_not_compared_or_counted(
    frank: Officer, charlie: Officer
) -> None:
    with pytest.raises(Refused) as refused:
        check_citizen_id(charlie, "1234", actor=frank, at=CUTOVER)
    assert refused.value.code == "invalid_citizen_id"
    assert not AuditEvent.objects.filter(action="officer.citizen_id_checked").exists()


def test_an_auditor_may_not_check_a_citizen_id(erin: Officer, charlie: Officer) -> None:
    with pytest.raises(NotYours):
        check_citizen_id(charlie, CHARLIE_ID, actor=erin, at=CUTOVER)


@pytest.mark.parametrize(("typed", "answer"), [(CHARLIE_ID, "ตรงกับ"), ("1101700207030", "ไม่ตรง")])
def test_the_page_answers_the_check_without_ever_showing_the_number(
    frank: Officer, charlie: Officer, typed: str, answer: str
) -> None:
    client = desk(frank)
    with time_machine.travel(CUTOVER, tick=False):
        response = client.post(
            "/manage/officers/charlie/",
            {"action": "check_citizen_id", "citizen_id": typed},
            follow=True,
        )
    body = response.content.decode()
    assert f"เลขประจำตัวประชาชน{answer}" in body
    for shown in (typed, CHARLIE_ID, CHARLIE_ID[:9]):
        assert shown not in body
    assert charlie.masked_citizen_id in body


def test_the_page_says_when_the_checks_are_used_up(frank: Officer, charlie: Officer) -> None:
    client = desk(frank)
    with time_machine.travel(CUTOVER, tick=False):
        for _ in range(citizen_id_check.CHECKS_PER_HOUR):
            check_citizen_id(charlie, valid_citizen_id(1), actor=frank, at=CUTOVER)
        body = client.post(
            "/manage/officers/charlie/",
            {"action": "check_citizen_id", "citizen_id": CHARLIE_ID},
            follow=True,
        ).content.decode()
    assert "จำนวนสูงสุดที่อนุญาต" in body
    assert CHARLIE_ID not in body
    assert AuditEvent.objects.filter(action="officer.citizen_id_checked").count() == 20


# --- the screen ------------------------------------------------------------------------------------


def _a_rough_morning(charlie: Officer) -> None:
    """Registered in the window; on the cutover morning a phone two minutes fast, then three
    presses of send on one code; a Token Key still held; an e-mail that has not gone out."""
    SoftTokenFactory.create(officer=charlie, confirmed_at=IN_WINDOW, created_at=IN_WINDOW)
    TokenKeyFactory.create(officer=charlie, serial="DEMO-TF-77777", state=TokenKeyState.IN_USE)
    LoginDecisionFactory.create(
        officer=charlie, at=CUTOVER - dt.timedelta(days=1), client_ip="198.51.100.20"
    )
    LoginDecisionFactory.create(
        officer=charlie,
        at=CUTOVER - dt.timedelta(minutes=5),
        phase=Phase.SOFT_TOKEN_ONLY,
        decision=Decision.DENY,
        reason=Reason.INVALID_OTP,
        clock_offset_steps=4,
        client_ip="198.51.100.20",
    )
    for seconds in (50, 30, 10):
        LoginDecisionFactory.create(
            officer=charlie,
            at=CUTOVER - dt.timedelta(seconds=seconds),
            phase=Phase.SOFT_TOKEN_ONLY,
            method=Method.SOFT_TOKEN,
            decision=Decision.DENY,
            reason=Reason.OTP_REUSED,
            client_ip="198.51.100.20",
        )
    OutboxMessageFactory.create(
        officer=charlie,
        kind="account_locked",
        created_at=CUTOVER - dt.timedelta(hours=2),
        attempts=3,
        last_error="SMTPServerDisconnected",
    )


@time_machine.travel(CUTOVER, tick=False)
def test_the_screen_tells_the_story_with_the_diagnosis_on_top(
    grace: Officer, charlie: Officer
) -> None:
    _a_rough_morning(charlie)
    body = desk(grace).get("/manage/officers/charlie/").content.decode()
    assert 'data-diagnosis="otp_reused"' in body
    assert "รหัสถูกใช้ซ้ำ 3 ครั้งใน 1 นาที — ผู้ใช้น่าจะกดส่งซ้ำ" in body
    timeline = body[body.index('data-testid="timeline"') :]
    assert "นาฬิกาโทรศัพท์คลาดเคลื่อนประมาณ +2 นาที" in timeline
    assert "198.51.100.20" in timeline
    assert "SMTPServerDisconnected" in timeline
    assert "12 เม.ย. 2568 08:29 น." in timeline  # Buddhist era, Bangkok time
    assert "DEMO-TF-77777: ใช้งานอยู่" in body
    # Newest first: the last replay before the clock problem before yesterday's login.
    assert timeline.index("ถูกใช้ไปแล้ว") < timeline.index("คลาดเคลื่อน") < timeline.index("สำเร็จ")


@time_machine.travel(CUTOVER, tick=False)
def test_the_desk_is_told_to_ask_the_administrator_for_a_late_code(
    frank: Officer, bob: Officer, charlie: Officer
) -> None:
    LoginDecisionFactory.create(
        officer=charlie, decision=Decision.DENY, reason=Reason.NOT_REGISTERED
    )
    as_desk = desk(frank).get("/manage/officers/charlie/").content.decode()
    assert "ยังไม่ได้ลงทะเบียน — ตั้งแต่ 12 เม.ย. 2568 ระบบรับเฉพาะ Soft Token" in as_desk
    assert "ประสานผู้ดูแลระบบของหน่วยงาน" in as_desk
    assert 'value="late"' not in as_desk  # no late-code form for the desk
    as_admin = desk(bob).get("/manage/officers/charlie/").content.decode()
    assert "ออกรหัสลงทะเบียนล่าช้าให้" in as_admin and 'value="late"' in as_admin


@time_machine.travel(IN_WINDOW, tick=False)
def test_the_resend_button_appears_at_the_code_step_and_sends(
    frank: Officer, charlie: Officer, django_capture_on_commit_callbacks
) -> None:
    check_identity(charlie, CHARLIE_ID, at=IN_WINDOW - dt.timedelta(minutes=5))
    client = desk(frank)
    body = client.get("/manage/officers/charlie/").content.decode()
    assert 'data-diagnosis="email_code_not_typed"' in body and 'value="resend"' in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/manage/officers/charlie/", {"action": "resend"}, follow=True)
    assert "ส่งรหัสยืนยันใหม่ไปที่อีเมลราชการของผู้ปฏิบัติงานแล้ว" in response.content.decode()
    assert AuditEvent.objects.filter(action="registration.email_code_resent").count() == 1


@time_machine.travel(CUTOVER, tick=False)
def test_the_timeline_is_capped_with_a_link_to_older_events_and_bounded_queries(
    grace: Officer, charlie: Officer, django_assert_max_num_queries
) -> None:
    _a_rough_morning(charlie)
    client = desk(grace)
    with django_assert_max_num_queries(30):
        client.get("/manage/officers/charlie/")
    LoginDecisionFactory.create_batch(
        250,
        officer=charlie,
        at=CUTOVER - dt.timedelta(days=2),
        decision=Decision.DENY,
        reason=Reason.INVALID_CREDENTIALS,
    )
    with django_assert_max_num_queries(30):
        body = client.get("/manage/officers/charlie/").content.decode()
    assert body.count('<li class="story-') == 200
    older = first_group(r'href="(\?before=[^"]+)" data-testid="older"', body)
    with django_assert_max_num_queries(32):
        earlier = client.get("/manage/officers/charlie/" + older.replace("&amp;", "&"))
    page = earlier.content.decode()
    assert 'data-diagnosis="otp_reused"' in page  # the diagnosis reads the newest decisions
    assert 0 < page.count('<li class="story-') <= 200


# --- the officer's own page ------------------------------------------------------------------------


@time_machine.travel(CUTOVER, tick=False)
def test_the_officer_sees_their_own_refusals_with_what_to_do_and_no_ip(
    charlie: Officer, dave: Officer
) -> None:
    _a_rough_morning(charlie)
    LoginDecisionFactory.create(
        officer=dave, decision=Decision.DENY, reason=Reason.LOCKED, client_ip="192.0.2.99"
    )
    body = force_sign_in(Client(), charlie).get("/account/").content.decode()
    assert 'data-diagnosis="otp_reused"' in body
    own = body[body.index('data-testid="own-logins"') :]
    assert own.count("<li ") == 5
    assert "นาฬิกาโทรศัพท์คลาดเคลื่อนประมาณ +2 นาที" in own
    assert "ตั้งวันที่และเวลาในโทรศัพท์ให้ปรับอัตโนมัติ" in own
    assert "รอรหัสถัดไปในแอป" in own
    assert "198.51.100.20" not in body and "192.0.2.99" not in body


def test_a_lock_is_explained_once_the_officer_can_sign_in_again(charlie: Officer) -> None:
    """While locked, the portal signs the officer out (gfms_portal.middleware.SessionGuard): the
    lock's end reaches them by the lock e-mail; afterwards their page explains the refusals."""
    SoftTokenFactory.create(officer=charlie)
    LoginDecisionFactory.create(
        officer=charlie, at=CUTOVER, decision=Decision.DENY, reason=Reason.LOCKED
    )
    Officer.objects.filter(pk=charlie.pk).update(
        locked_until=CUTOVER + dt.timedelta(minutes=15), failed_logins=10
    )
    with time_machine.travel(CUTOVER + dt.timedelta(minutes=1), tick=False):
        client = force_sign_in(Client(), charlie)
        assert client.get("/account/").status_code == 302  # signed out while locked
    with time_machine.travel(CUTOVER + dt.timedelta(minutes=16), tick=False):
        body = force_sign_in(Client(), charlie).get("/account/").content.decode()
    own = body[body.index('data-testid="own-logins"') :]
    assert "บัญชีถูกระงับ" in own  # Reason.LOCKED's label
    assert "รอจนกว่าการล็อกจะสิ้นสุด" in own


@time_machine.travel(CUTOVER, tick=False)
def test_the_clock_offset_is_shown_nowhere_else(alice: Officer, charlie: Officer) -> None:
    _a_rough_morning(charlie)
    client = desk(alice)
    for url in ("/manage/legacy-logins/", "/manage/officer-list/", "/manage/audit-log/"):
        assert "คลาดเคลื่อน" not in client.get(url).content.decode(), url


def test_a_signed_in_officer_finds_their_logins_from_the_home_page(charlie: Officer) -> None:
    body = force_sign_in(Client(), charlie).get("/").content.decode()
    assert 'href="/account/"' in body
    assert "หน้าบัญชีของท่านแสดงการเข้าสู่ระบบ GFMS ล่าสุด" in body
    assert "เข้าสู่ระบบ GFMS ไม่ได้" not in Client().get("/").content.decode()


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_qr_step_left_unfinished_today_is_the_diagnosis_and_an_older_one_is_not(
    frank: Officer, charlie: Officer
) -> None:
    stale = SoftTokenFactory.create(
        officer=charlie,
        status=SoftTokenStatus.PENDING,
        confirmed_at=None,
        created_at=IN_WINDOW - dt.timedelta(days=3),
    )
    client = desk(frank)
    assert (
        'data-diagnosis="not_registered_open"'
        in client.get("/manage/officers/charlie/").content.decode()
    )
    stale.created_at = IN_WINDOW - dt.timedelta(minutes=30)
    stale.save()
    body = client.get("/manage/officers/charlie/").content.decode()
    assert 'data-diagnosis="pending_expired"' in body
    assert "3 มี.ค. 2568 09:40 น." in body  # shown at 09:30, expired 10 minutes later


def _skewed_refusal(officer: Officer, *, at: dt.datetime, steps: int) -> None:
    LoginDecisionFactory.create(
        officer=officer,
        at=at,
        method=Method.SOFT_TOKEN,
        decision=Decision.DENY,
        reason=Reason.INVALID_OTP,
        clock_offset_steps=steps,
    )


@pytest.mark.parametrize(
    ("steps", "minutes_later", "shown"),
    [
        (4, 1, False),  # the code is still to come: whoever has the password would learn when
        (4, 3, True),  # its step is past the accepted window: no hint any more
        (-4, 1, True),  # a slow phone's code matched a past step: never a hint
    ],
)
def test_a_password_only_session_sees_a_fast_phone_only_once_its_code_is_past(
    charlie: Officer, steps: int, minutes_later: int, shown: bool
) -> None:
    SoftTokenFactory.create(officer=charlie)
    _skewed_refusal(charlie, at=CUTOVER, steps=steps)
    with time_machine.travel(CUTOVER + dt.timedelta(minutes=minutes_later), tick=False):
        body = sign_in(Client(), "charlie").get("/account/").content.decode()  # password only
    assert ("คลาดเคลื่อน" in body) is shown


@time_machine.travel(CUTOVER + dt.timedelta(minutes=1), tick=False)
def test_a_session_that_proved_the_phone_sees_a_fast_phone_at_once(charlie: Officer) -> None:
    SoftTokenFactory.create(officer=charlie)
    _skewed_refusal(charlie, at=CUTOVER, steps=4)
    body = force_sign_in(Client(), charlie).get("/account/").content.decode()  # stepped up
    assert "นาฬิกาโทรศัพท์คลาดเคลื่อนประมาณ +2 นาที" in body


def test_a_resend_gives_a_new_code_not_new_guesses(frank: Officer, charlie: Officer) -> None:
    """The check's wrong tries stand across a resend: five guesses per check in all, and a
    check they killed is not revived (the officer starts again on the register page)."""
    from registration.services import RegistrationError, verify_email_code

    check = check_identity(charlie, CHARLIE_ID, at=IN_WINDOW)
    moment = IN_WINDOW + dt.timedelta(seconds=10)
    for _ in range(3):
        with pytest.raises(RegistrationError):
            verify_email_code(check, "000000", at=moment)
    resent = resend_email_code(charlie, actor=frank, at=IN_WINDOW + dt.timedelta(minutes=2))
    assert resent.email_code_attempts == 3
    for _ in range(2):
        with pytest.raises(RegistrationError):
            verify_email_code(resent, "000000", at=IN_WINDOW + dt.timedelta(minutes=3))
    with pytest.raises(Refused) as dead:
        resend_email_code(charlie, actor=frank, at=IN_WINDOW + dt.timedelta(minutes=5))
    assert dead.value.code == "no_code_step"


def test_the_officers_own_hourly_limit_counts_the_desks_resends(
    frank: Officer, charlie: Officer
) -> None:
    check_identity(charlie, CHARLIE_ID, at=IN_WINDOW)
    for minute in (2, 4, 6, 8):
        resend_email_code(charlie, actor=frank, at=IN_WINDOW + dt.timedelta(minutes=minute))
    # Five codes this hour (one asked, four resent): starting again asks for none.
    with pytest.raises(Refused) as limited:
        check_identity(charlie, CHARLIE_ID, at=IN_WINDOW + dt.timedelta(minutes=20))
    assert limited.value.code == "too_many_codes"
