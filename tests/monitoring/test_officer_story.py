"""The officer's story (monitoring.officer_story), as tables: the diagnosis rule by rule in the
order a caller needs it, the sentences of a login decision, the clock offset, e-mails and the
timeline's cap. Pure functions: no database."""

import datetime as dt

import pytest
from django.utils import translation

from agencies.policy import LOCKED_UNTIL_UNLOCKED
from auth_gateway.policy import Method, Reason
from monitoring.officer_story import (
    Audience,
    EmailRecord,
    Facts,
    Line,
    LoginRecord,
    ReminderRecord,
    Tone,
    clock_offset_words,
    diagnose,
    email_lines,
    login_advice,
    login_sentence,
    reminder_line,
    timeline,
)
from schedule.policy import CIRCULAR_SCHEDULE

BKK = dt.timezone(dt.timedelta(hours=7))
IN_WINDOW = dt.datetime(2025, 3, 3, 10, 0, tzinfo=BKK)
CUTOVER_MORNING = dt.datetime(2025, 4, 12, 8, 30, tzinfo=BKK)
BEFORE = dt.datetime(2025, 1, 20, 9, 0, tzinfo=BKK)
REGISTERED = Facts(registered_at=dt.datetime(2025, 2, 20, 9, 0, tzinfo=BKK))


def refused(at: dt.datetime, reason: Reason, *, offset: int | None = None, seconds: int = 0):
    return LoginRecord(
        at=at - dt.timedelta(seconds=seconds),
        method=Method.SOFT_TOKEN,
        allowed=False,
        reason=reason,
        client_ip="203.0.113.9",
        clock_offset_steps=offset,
    )


def allowed(at: dt.datetime, *, seconds: int = 0, method: Method = Method.SOFT_TOKEN):
    return LoginRecord(
        at=at - dt.timedelta(seconds=seconds), method=method, allowed=True, reason=Reason.OK
    )


AT = CUTOVER_MORNING
# (situation, facts, decisions newest first, moment, expected code, words in the finding)
TABLE = [
    (
        "deactivated wins over everything",
        Facts(is_active=False, locked_until=AT + dt.timedelta(minutes=5)),
        [],
        AT,
        "deactivated",
        "ปิดใช้งาน",
    ),
    (
        "locked for a while",
        Facts(
            registered_at=REGISTERED.registered_at,
            locked_until=AT + dt.timedelta(minutes=15),
            failed_logins=10,
        ),
        [refused(AT, Reason.LOCKED)],
        AT,
        "locked",
        "12 เม.ย. 2568 08:45 น.",
    ),
    (
        "locked until unlocked",
        Facts(locked_until=LOCKED_UNTIL_UNLOCKED, failed_logins=100),
        [],
        AT,
        "locked",
        "100",
    ),
    (
        "a lock that has ended is not the story",
        Facts(registered_at=REGISTERED.registered_at, locked_until=AT - dt.timedelta(minutes=1)),
        [allowed(AT, seconds=30)],
        AT,
        "fine",
        "ไม่พบปัญหา",
    ),
    (
        "not registered on the cutover day",
        Facts(),
        [refused(AT, Reason.NOT_REGISTERED)],
        AT,
        "not_registered_closed",
        "ตั้งแต่ 12 เม.ย. 2568",
    ),
    (
        "not registered, a late code waiting",
        Facts(late_code_expires_at=AT + dt.timedelta(days=3)),
        [],
        AT,
        "late_code_waiting",
        "15 เม.ย. 2568",
    ),
    (
        "not registered, an expired late code is no help",
        Facts(late_code_expires_at=AT - dt.timedelta(days=1)),
        [],
        AT,
        "not_registered_closed",
        "12 เม.ย. 2568",
    ),
    (
        "before the window",
        Facts(),
        [],
        BEFORE,
        "before_window",
        "10 ก.พ. 2568",
    ),
    (
        "in the window, never started",
        Facts(),
        [],
        IN_WINDOW,
        "not_registered_open",
        "11 เมษายน 2568",
    ),
    (
        "in the window, the e-mail code not typed",
        Facts(email_code_sent_at=IN_WINDOW - dt.timedelta(minutes=3)),
        [],
        IN_WINDOW,
        "email_code_not_typed",
        "09:57",
    ),
    (
        "in the window, the QR code still shown",
        Facts(
            pending_started_at=IN_WINDOW - dt.timedelta(minutes=2),
            pending_expires_at=IN_WINDOW + dt.timedelta(minutes=8),
        ),
        [],
        IN_WINDOW,
        "pending",
        "10:08",
    ),
    (
        "in the window, the QR code expired",
        Facts(
            pending_started_at=IN_WINDOW - dt.timedelta(hours=1),
            pending_expires_at=IN_WINDOW - dt.timedelta(minutes=50),
        ),
        [],
        IN_WINDOW,
        "pending_expired",
        "09:10",
    ),
    (
        "a code replayed three times in a minute",
        REGISTERED,
        [
            refused(AT, Reason.OTP_REUSED),
            refused(AT, Reason.OTP_REUSED, seconds=20),
            refused(AT, Reason.OTP_REUSED, seconds=50),
            refused(AT, Reason.OTP_REUSED, seconds=300),  # not in the same minute
            allowed(AT, seconds=600),
        ],
        AT,
        "otp_reused",
        "3 ครั้งใน 1 นาที",
    ),
    (
        "the phone's clock two minutes ahead",
        REGISTERED,
        [refused(AT, Reason.INVALID_OTP, offset=4), allowed(AT, seconds=86400)],
        AT,
        "clock_skew",
        "+2 นาที",
    ),
    (
        "the phone's clock behind",
        REGISTERED,
        [refused(AT, Reason.INVALID_OTP, offset=-3)],
        AT,
        "clock_skew",
        "−1.5 นาที",
    ),
    (
        "wrong codes with a clock that looked right",
        REGISTERED,
        [refused(AT, Reason.INVALID_OTP), refused(AT, Reason.INVALID_OTP, seconds=40)],
        AT,
        "wrong_code",
        "2 ครั้ง",
    ),
    (
        "wrong password repeatedly",
        Facts(registered_at=REGISTERED.registered_at, failed_logins=7),
        [refused(AT, Reason.INVALID_CREDENTIALS, seconds=s) for s in (0, 10, 20, 30, 40, 50, 60)],
        AT,
        "wrong_password",
        "7 ครั้ง",
    ),
    (
        "an old method after registering",
        REGISTERED,
        [
            LoginRecord(
                at=AT, method=Method.PASSWORD, allowed=False, reason=Reason.METHOD_NOT_ALLOWED
            )
        ],
        AT,
        "method_not_allowed",
        "รหัสผู้ใช้และรหัสผ่าน",
    ),
    (
        "a refusal followed by a success is solved",
        REGISTERED,
        [allowed(AT), refused(AT, Reason.INVALID_OTP, offset=6, seconds=60)],
        AT,
        "fine",
        "08:30",
    ),
    (
        "fine but the Token Key is still out after the cutover",
        Facts(registered_at=REGISTERED.registered_at, unreturned_keys=("TK-0042",)),
        [allowed(AT)],
        AT,
        "token_key_unreturned",
        "TK-0042",
    ),
    (
        "registered, never logged in",
        REGISTERED,
        [],
        IN_WINDOW,
        "fine_no_login",
        "20 ก.พ. 2568",
    ),
    (
        "a privileged account without a token",
        Facts(privileged=True),
        [],
        AT,
        "privileged_not_registered",
        "Soft Token",
    ),
]


@pytest.mark.parametrize(
    ("facts", "decisions", "at", "code", "words"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_the_diagnosis_follows_the_table(facts, decisions, at, code, words) -> None:
    with translation.override("th"):
        diagnosis = diagnose(
            facts, decisions, at=at, schedule=CIRCULAR_SCHEDULE, audience=Audience.DESK
        )
    assert diagnosis.code == code
    assert words in diagnosis.finding, diagnosis.finding
    assert diagnosis.next_step


@pytest.mark.parametrize(
    ("audience", "words"),
    [
        (Audience.DESK, "ผู้ดูแลระบบของหน่วยงาน"),  # the desk does not issue late codes
        (Audience.ADMIN, "ออกรหัสลงทะเบียนล่าช้า"),
        (Audience.OFFICER, "ขอรหัสลงทะเบียนล่าช้า"),
    ],
)
def test_the_next_step_is_worded_for_who_reads_it(audience: Audience, words: str) -> None:
    with translation.override("th"):
        diagnosis = diagnose(Facts(), [], at=AT, schedule=CIRCULAR_SCHEDULE, audience=audience)
    assert words in diagnosis.next_step, diagnosis.next_step


def test_the_officers_lock_step_names_when_it_ends() -> None:
    facts = Facts(locked_until=AT + dt.timedelta(minutes=15), failed_logins=10)
    with translation.override("th"):
        diagnosis = diagnose(
            facts, [], at=AT, schedule=CIRCULAR_SCHEDULE, audience=Audience.OFFICER
        )
    assert "08:45" in diagnosis.next_step


@pytest.mark.parametrize(
    ("steps", "words"),
    [(4, "+2 นาที"), (-4, "−2 นาที"), (1, "+30 วินาที"), (-1, "−30 วินาที"), (3, "+1.5 นาที")],
)
def test_clock_offset_in_words(steps: int, words: str) -> None:
    with translation.override("th"):
        assert clock_offset_words(steps) == words


def test_a_login_sentence_says_the_ip_and_offset_only_when_asked() -> None:
    record = refused(AT, Reason.INVALID_OTP, offset=4)
    with translation.override("th"):
        full = login_sentence(record, with_ip=True, with_clock_offset=True)
        bare = login_sentence(record, with_ip=False, with_clock_offset=False)
    assert "203.0.113.9" in full and "+2 นาที" in full
    assert "Soft Token" in full or "ซอฟต์โทเคน" in full
    assert "203.0.113.9" not in bare and "นาที" not in bare


@pytest.mark.parametrize(
    ("record", "registration_open", "words"),
    [
        (refused(AT, Reason.INVALID_OTP, offset=4), False, "อัตโนมัติ"),
        (refused(AT, Reason.OTP_REUSED), False, "รหัสถัดไป"),
        (refused(AT, Reason.NOT_REGISTERED), True, "ลงทะเบียน"),
        (refused(AT, Reason.NOT_REGISTERED), False, "รหัสลงทะเบียนล่าช้า"),
        (refused(AT, Reason.LOCKED), False, "รอ"),
        (allowed(AT), False, ""),
    ],
)
def test_what_to_do_after_each_decision(record, registration_open, words) -> None:
    with translation.override("th"):
        advice = login_advice(record, registration_open=registration_open)
    assert words in advice
    assert bool(advice) is (not record.allowed)


def test_an_email_that_failed_says_so_and_one_sent_says_when() -> None:
    failed = EmailRecord(
        at=AT, kind="identity_code", attempts=2, last_error="SMTPServerDisconnected"
    )
    sent = EmailRecord(at=AT, kind="account_locked", sent_at=AT + dt.timedelta(seconds=5))
    with translation.override("th"):
        failed_lines = email_lines(failed)
        sent_lines = email_lines(sent)
    assert [line.tone for line in failed_lines] == [Tone.INFO, Tone.PROBLEM]
    assert "SMTPServerDisconnected" in failed_lines[1].text
    assert sent_lines[1].at == AT + dt.timedelta(seconds=5)
    assert sent_lines[1].tone is Tone.OK


def test_a_reminder_says_who_asked_and_when_it_was_skipped() -> None:
    with translation.override("th"):
        line = reminder_line(
            ReminderRecord(
                at=AT, kind="on_demand", requested_by="วรรณา (agency.admin)", skipped=True
            )
        )
    assert "วรรณา (agency.admin)" in line.text
    assert "ลงทะเบียนแล้ว" in line.text


def test_the_timeline_is_newest_first_and_capped() -> None:
    lines = [Line(AT + dt.timedelta(minutes=i), f"line {i}") for i in range(5)]
    shown, more = timeline(lines, limit=3)
    assert [line.text for line in shown] == ["line 4", "line 3", "line 2"]
    assert more
    assert timeline(lines, limit=5) == (
        sorted(lines, key=lambda line: line.at, reverse=True),
        False,
    )
