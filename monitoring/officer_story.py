"""One officer's story, for whoever answers "why can't I log in?": a timeline of what happened
to them and a diagnosis — what is wrong and what to do next — in plain words.

Pure functions over plain values (the records below; the page that loads them from the
database is monitoring.officer_screen). The same functions word the officer's own account
page (monitoring.account), so the desk and the officer read the same sentence.

The phone's clock offset (LoginDecision.clock_offset_steps) is said only where a caller passes
`with_clock_offset=True`: the desk's and administrators' page of the officer, and the
officer's own page — never anywhere else (it tells how far off a refused code was).
"""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.policy import FAILURES_PER_LOCK, LOCKED_UNTIL_UNLOCKED
from auth_gateway.policy import Method, Reason
from gfms_portal.thaidate import format_be_date, format_be_datetime
from schedule.policy import MigrationSchedule, Phase, is_registration_open, phase_at
from tokens.totp import DRIFT_STEPS, PERIOD

STEP_SECONDS = 30  # one TOTP time step (tokens.totp.PERIOD)
TIMELINE_LIMIT = 200  # lines on one page of the timeline; older ones behind a link
RECENT_DECISIONS = 50  # decisions the diagnosis reads, newest first
REPLAY_WINDOW = dt.timedelta(minutes=1)


class Tone(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    INFO = "info"


class Audience(StrEnum):
    """Who reads the next step: the desk (which issues no late codes), an administrator, or
    the officer themself."""

    DESK = "desk"
    ADMIN = "admin"
    OFFICER = "officer"


@dataclass(frozen=True)
class Line:
    """One line of the timeline."""

    at: dt.datetime
    text: str
    tone: Tone = Tone.INFO
    advice: str = ""


@dataclass(frozen=True)
class LoginRecord:
    """A gateway decision (auth_gateway.models.LoginDecision) as the story needs it."""

    at: dt.datetime
    method: str
    allowed: bool
    reason: str
    client_ip: str | None = None
    clock_offset_steps: int | None = None


def offset_is_no_hint(record: LoginRecord, *, at: dt.datetime, proved_phone: bool) -> bool:
    """May this reader see the record's clock offset now? A slow phone's code matched a past
    step: never accepted again, no hint. A fast phone's code matches a step still to come: told
    to a session that signs in with the password alone (an ordinary officer's), it says when a
    guessed code will be let in — so only once that step is past the accepted window, or to a
    session that has proved it holds the phone (a second factor or a step-up)."""
    offset = record.clock_offset_steps
    if offset is None or offset <= 0 or proved_phone:
        return True
    last_accepted = record.at + dt.timedelta(seconds=(offset + DRIFT_STEPS + 1) * PERIOD)
    return at >= last_accepted


def without_hints(
    records: Sequence[LoginRecord], *, at: dt.datetime, proved_phone: bool
) -> list[LoginRecord]:
    """The records with every clock offset that would be a hint (offset_is_no_hint) left out."""
    return [
        record
        if offset_is_no_hint(record, at=at, proved_phone=proved_phone)
        else replace(record, clock_offset_steps=None)
        for record in records
    ]


@dataclass(frozen=True)
class EmailRecord:
    """An outbox row (outbox.models.OutboxMessage): never its body."""

    at: dt.datetime
    kind: str
    sent_at: dt.datetime | None = None
    attempts: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class ReminderRecord:
    """A registration reminder claimed for the officer (registration.models)."""

    at: dt.datetime
    kind: str
    requested_by: str | None = None
    delivered_at: dt.datetime | None = None
    skipped: bool = False


@dataclass(frozen=True)
class Facts:
    """The officer's state now, as the diagnosis reads it."""

    is_active: bool = True
    privileged: bool = False
    registered_at: dt.datetime | None = None  # the active soft token's confirmation
    pending_started_at: dt.datetime | None = None  # an unfinished QR step (pending token)
    pending_expires_at: dt.datetime | None = None
    email_code_sent_at: dt.datetime | None = None  # the code step: sent, not yet typed
    locked_until: dt.datetime | None = None
    failed_logins: int = 0
    late_code_expires_at: dt.datetime | None = None  # a registration code that still works
    unreturned_keys: tuple[str, ...] = ()

    @property
    def registered(self) -> bool:
        return self.registered_at is not None


@dataclass(frozen=True)
class Diagnosis:
    code: str  # stable, for tests and docs/helpdesk.md
    finding: str
    next_step: str
    tone: Tone = Tone.PROBLEM


# --- words ----------------------------------------------------------------------------------------


def _method(value: str) -> str:
    try:
        return str(Method(value).label)
    except ValueError:
        return value


def _reason(value: str) -> str:
    try:
        return str(Reason(value).label)
    except ValueError:
        return value


def clock_offset_words(steps: int) -> str:
    """ "+2 นาที" / "−30 วินาที": positive = the phone is ahead of the real time."""
    seconds = steps * STEP_SECONDS
    sign = "+" if seconds > 0 else "−" if seconds < 0 else "±"
    magnitude = abs(seconds)
    if magnitude < 60:
        return sign + ngettext("%(n)d second", "%(n)d seconds", magnitude) % {"n": magnitude}
    minutes = magnitude / 60
    if minutes == int(minutes):
        whole = int(minutes)
        return sign + ngettext("%(n)d minute", "%(n)d minutes", whole) % {"n": whole}
    return sign + _("%(n)s minutes") % {"n": f"{minutes:.1f}"}


def clock_offset_sentence(steps: int) -> str:
    words = {"offset": clock_offset_words(steps)}
    if steps > 0:
        return _("The phone's clock is about %(offset)s off (ahead of the real time).") % words
    return _("The phone's clock is about %(offset)s off (behind the real time).") % words


def login_sentence(record: LoginRecord, *, with_ip: bool, with_clock_offset: bool) -> str:
    """One gateway decision as a sentence: method, outcome and reason, the client IP and the
    phone clock's offset where the reader may see them."""
    words = {"method": _method(record.method), "reason": _reason(record.reason)}
    if record.allowed:
        text = _("Logged in to GFMS with %(method)s.") % words
    else:
        text = _("GFMS refused a login with %(method)s: %(reason)s.") % words
    if with_ip and record.client_ip:
        text += " " + _("From IP address %(ip)s.") % {"ip": record.client_ip}
    if with_clock_offset and record.clock_offset_steps is not None:
        text += " " + clock_offset_sentence(record.clock_offset_steps)
    return text


def login_advice(
    record: LoginRecord, *, registration_open: bool, with_clock_offset: bool = True
) -> str:
    """What to do after this decision, said to the officer (empty when nothing)."""
    if record.allowed:
        return ""
    reason = record.reason
    if reason == Reason.INVALID_OTP and with_clock_offset and record.clock_offset_steps:
        return _(
            "Set your phone's date and time to update automatically (about %(offset)s off), "
            "then type the new code."
        ) % {"offset": clock_offset_words(record.clock_offset_steps)}
    if reason == Reason.NOT_REGISTERED and registration_open:
        return _("Register your soft token on this portal.")
    advice = {
        Reason.INVALID_CREDENTIALS: _(
            "Check the user id and password (keyboard language, Caps Lock): after 10 wrong "
            "tries in a row the account locks for a while."
        ),
        Reason.INVALID_OTP: _(
            "Type the 6 digits the app shows now for this account; they change every 30 seconds."
        ),
        Reason.OTP_REUSED: _(
            "Each code works once: wait for the next code in the app and press send once."
        ),
        Reason.LOCKED: _("Wait until the lock ends, or ask your agency administrator."),
        Reason.ACCOUNT_BUSY: _("Many tries came at once: wait a moment and try once."),
        Reason.METHOD_NOT_ALLOWED: _("You have a soft token: log in with the soft token."),
        Reason.NOT_REGISTERED: _(
            "Ask your agency administrator for a late-registration code, then register."
        ),
        Reason.INVALID_SIGNATURE: _("The Token Key's signature did not verify: try again."),
        Reason.CHALLENGE_EXPIRED: _("The Token Key step took too long: start the login again."),
        Reason.TOKEN_KEY_NOT_USABLE: _(
            "This Token Key can no longer be used: log in with the soft token."
        ),
    }
    return str(advice.get(Reason(reason), "")) if reason in Reason.values else ""


def _email_kind(kind: str) -> str:
    words = {
        "identity_code": _("the e-mail with the registration verification code"),
        "registration_done": _("the e-mail confirming the registration"),
        "registration_code": _("the e-mail with a registration code"),
        "soft_token_reset": _("the e-mail telling of the soft token reset"),
        "account_locked": _("the e-mail telling of the account lock"),
        "registration_reminder": _("the registration reminder"),
        "token_key_return_reminder": _("the Token Key return reminder"),
        "registration_digest": _("the weekly digest"),
    }
    return words.get(kind, kind)


def email_lines(record: EmailRecord) -> list[Line]:
    """An outbox row as one or two lines: queued, then sent (or still waiting, with the mail
    server's last error)."""
    what = {"what": _email_kind(record.kind)}
    lines = [Line(record.at, _("Queued %(what)s to the official e-mail.") % what)]
    if record.sent_at is not None:
        lines.append(Line(record.sent_at, _("Sent %(what)s.") % what, Tone.OK))
    elif record.attempts:
        words = {**what, "attempts": record.attempts, "error": record.last_error or "—"}
        lines.append(
            Line(
                record.at,
                ngettext(
                    "%(what)s is not sent yet: %(attempts)d try failed (%(error)s); it is retried.",
                    "%(what)s is not sent yet: %(attempts)d tries failed (%(error)s); it is "
                    "retried.",
                    record.attempts,
                )
                % words,
                Tone.PROBLEM,
            )
        )
    return lines


def reminder_line(record: ReminderRecord) -> Line:
    if record.requested_by:
        text = _("%(who)s asked for a registration reminder to this officer.") % {
            "who": record.requested_by
        }
    else:
        text = _("A scheduled registration reminder was due for this officer.")
    if record.skipped:
        text += " " + _("Not sent: the officer had registered by then.")
    return Line(record.at, text)


def timeline(lines: Iterable[Line], *, limit: int = TIMELINE_LIMIT) -> tuple[list[Line], bool]:
    """Newest first, at most `limit`; True when older lines were left out."""
    ordered = sorted(lines, key=lambda line: line.at, reverse=True)
    return ordered[:limit], len(ordered) > limit


# --- the diagnosis ---------------------------------------------------------------------------------


def _streak(decisions: Sequence[LoginRecord]) -> list[LoginRecord]:
    """The refusals since the last allowed login (newest first)."""
    refused = []
    for record in decisions:
        if record.allowed:
            break
        refused.append(record)
    return refused


def _replays_in_a_minute(streak: Sequence[LoginRecord]) -> int:
    latest = streak[0].at
    return sum(
        1
        for record in streak
        if record.reason == Reason.OTP_REUSED and latest - record.at <= REPLAY_WINDOW
    )


def _step(audience: Audience, *, desk: str, admin: str, officer: str) -> str:
    return {Audience.DESK: desk, Audience.ADMIN: admin, Audience.OFFICER: officer}[audience]


def diagnose(
    facts: Facts,
    decisions: Sequence[LoginRecord],
    *,
    at: dt.datetime,
    schedule: MigrationSchedule,
    audience: Audience,
) -> Diagnosis:
    """What most likely stops this officer, and the next step — the first rule that applies,
    in the order a caller needs them: an account that cannot log in at all, then not being
    registered, then what the last refused logins say, then what is owed (a Token Key)."""
    phase = phase_at(at, schedule)
    if not facts.is_active:
        return Diagnosis(
            "deactivated",
            _("The account is deactivated: no login can succeed."),
            _step(
                audience,
                desk=_("Refer the caller to their agency administrator, who checks the account."),
                admin=_("Check why it was deactivated; CGD reactivates an account."),
                officer=_("Ask your agency administrator."),
            ),
        )
    if facts.locked_until is not None and at < facts.locked_until:
        return _locked(facts, audience)
    if not facts.registered:
        return _not_registered(facts, at=at, schedule=schedule, phase=phase, audience=audience)
    streak = _streak(decisions)
    if streak:
        found = _from_refusals(facts, streak, audience)
        if found is not None:
            return found
    if facts.unreturned_keys and phase == Phase.SOFT_TOKEN_ONLY:
        words = {
            "serials": ", ".join(facts.unreturned_keys),
            "due": format_be_date(schedule.return_due, long=True),
        }
        return Diagnosis(
            "token_key_unreturned",
            _("Logins work, but Token Key %(serials)s is not returned yet.") % words,
            _("Hand it to the parent agency, which returns it to CGD by the end of %(due)s.")
            % words,
            Tone.INFO,
        )
    last_allowed = next((record for record in decisions if record.allowed), None)
    if last_allowed is not None:
        return Diagnosis(
            "fine",
            _("No problem found — last successful login %(when)s (%(method)s).")
            % {"when": format_be_datetime(last_allowed.at), "method": _method(last_allowed.method)},
            _("If it fails now, ask what the screen says and look at the latest lines below.")
            if audience is not Audience.OFFICER
            else _("Nothing to do."),
            Tone.OK,
        )
    assert facts.registered_at is not None  # noqa: S101  (registered: checked above)
    return Diagnosis(
        "fine_no_login",
        _("No problem found — registered since %(when)s; no GFMS login yet.")
        % {"when": format_be_date(facts.registered_at)},
        _("Log in to GFMS with the user id, password and the code from the app.")
        if audience is Audience.OFFICER
        else _("The officer logs in with the user id, password and the code from the app."),
        Tone.OK,
    )


def _locked(facts: Facts, audience: Audience) -> Diagnosis:
    assert facts.locked_until is not None  # noqa: S101  (the caller checked)
    words = {"until": format_be_datetime(facts.locked_until), "failures": facts.failed_logins}
    if facts.locked_until >= LOCKED_UNTIL_UNLOCKED:
        finding = _(
            "The account is locked after %(failures)s failed logins in a row, until someone "
            "unlocks it."
        )
        wait = _("Only an unlock opens it.")
    else:
        finding = _(
            "The account is locked until %(until)s after %(failures)s failed logins in a row."
        )
        wait = _("Wait until %(until)s, or unlock it now.")
    return Diagnosis(
        "locked",
        finding % words,
        _step(
            audience,
            desk=wait % words + " " + _("Check the caller's citizen ID before unlocking."),
            admin=wait % words + " " + _("Make sure the caller is the officer before unlocking."),
            officer=_("Wait until the lock ends at %(until)s, or ask your agency administrator.")
            % words
            if facts.locked_until < LOCKED_UNTIL_UNLOCKED
            else _("Ask your agency administrator to unlock the account."),
        ),
    )


def _not_registered(
    facts: Facts,
    *,
    at: dt.datetime,
    schedule: MigrationSchedule,
    phase: Phase,
    audience: Audience,
) -> Diagnosis:
    if facts.privileged:
        return Diagnosis(
            "privileged_not_registered",
            _("This privileged account has no soft token: it cannot sign in anywhere yet."),
            _("It registers on the portal's register page whatever the date (no code needed)."),
        )
    open_now = is_registration_open(at, schedule)
    if not open_now and phase != Phase.BEFORE_WINDOW:
        if facts.late_code_expires_at is not None and at < facts.late_code_expires_at:
            when = {"until": format_be_datetime(facts.late_code_expires_at)}
            return Diagnosis(
                "late_code_waiting",
                _("Not registered yet — a registration code was issued and works until %(until)s.")
                % when,
                _("The officer registers on the register page with that code and their citizen ID.")
                if audience is not Audience.OFFICER
                else _("Register on the register page with that code and your citizen ID."),
            )
        if phase == Phase.SOFT_TOKEN_ONLY:
            finding = _("Not registered — since %(day)s GFMS accepts soft-token logins only.") % {
                "day": format_be_date(schedule.soft_token_only_from)
            }
        else:
            finding = _("Not registered — registration closed at the end of %(day)s.") % {
                "day": format_be_date(schedule.closes)
            }
        return Diagnosis(
            "not_registered_closed",
            finding,
            _step(
                audience,
                desk=_("Ask the officer's agency administrator to issue a late-registration code."),
                admin=_("Issue a late-registration code (below)."),
                officer=_("Ask your agency administrator for a late-registration code."),
            ),
        )
    if phase == Phase.BEFORE_WINDOW:
        return Diagnosis(
            "before_window",
            _("Not registered — registration opens on %(day)s.")
            % {"day": format_be_date(schedule.opens)},
            _("Until then the officer logs in as before (Token Key or password).")
            if audience is not Audience.OFFICER
            else _("Until then log in as before (Token Key or password)."),
            Tone.INFO,
        )
    if facts.email_code_sent_at is not None:
        when = {"when": format_be_datetime(facts.email_code_sent_at)}
        return Diagnosis(
            "email_code_not_typed",
            _(
                "Registration started: a verification code was e-mailed at %(when)s and not typed yet."
            )
            % when,
            _step(
                audience,
                desk=_("Ask them to look in the spam folder; if it is not there, send a new code."),
                admin=_(
                    "Ask them to look in the spam folder; if it is not there, send a new code."
                ),
                officer=_(
                    "Look in the spam folder; the code works 10 minutes, then start again on the "
                    "register page."
                ),
            ),
        )
    if facts.pending_started_at is not None and facts.pending_expires_at is not None:
        words = {
            "started": format_be_datetime(facts.pending_started_at),
            "expires": format_be_datetime(facts.pending_expires_at),
        }
        if at < facts.pending_expires_at:
            return Diagnosis(
                "pending",
                _(
                    "Registration in progress: the QR code shown at %(started)s works until %(expires)s."
                )
                % words,
                _("Scan it with the app and type the first code it shows."),
                Tone.INFO,
            )
        return Diagnosis(
            "pending_expired",
            _("Registration not finished: the QR code shown at %(started)s expired at %(expires)s.")
            % words,
            _("Start again on the register page (citizen ID, e-mail code, a new QR code)."),
        )
    words = {
        "closes": format_be_date(schedule.closes, long=True),
        "only": format_be_date(schedule.soft_token_only_from),
    }
    return Diagnosis(
        "not_registered_open",
        _(
            "Not registered yet — registration is open until the end of %(closes)s; from "
            "%(only)s GFMS accepts soft-token logins only."
        )
        % words,
        _("Register on the portal now.")
        if audience is Audience.OFFICER
        else _("The officer registers on the portal now (citizen ID, e-mail code, QR code)."),
    )


def _from_refusals(
    facts: Facts, streak: Sequence[LoginRecord], audience: Audience
) -> Diagnosis | None:
    latest = streak[0]
    if latest.reason == Reason.OTP_REUSED:
        count = _replays_in_a_minute(streak)
        return Diagnosis(
            "otp_reused",
            ngettext(
                "A code already used was typed again %(count)d time in 1 minute — the user "
                "probably pressed send twice.",
                "A code already used was typed again %(count)d times in 1 minute — the user "
                "probably pressed send twice.",
                count,
            )
            % {"count": count},
            _("Wait for the next code in the app (every 30 seconds) and press send once."),
        )
    offset = next(
        (
            record.clock_offset_steps
            for record in streak
            if record.clock_offset_steps is not None and record.reason == Reason.INVALID_OTP
        ),
        None,
    )
    if latest.reason == Reason.INVALID_OTP and offset is not None:
        return Diagnosis(
            "clock_skew",
            clock_offset_sentence(offset),
            _("Set the phone's date and time to update automatically, then type a new code."),
        )
    wrong = sum(1 for _record in _leading(streak, Reason.INVALID_CREDENTIALS))
    if latest.reason == Reason.INVALID_CREDENTIALS:
        left = FAILURES_PER_LOCK - facts.failed_logins % FAILURES_PER_LOCK
        return Diagnosis(
            "wrong_password",
            ngettext(
                "Wrong user id or password %(count)d time in a row; %(left)d more locks the "
                "account for a while.",
                "Wrong user id or password %(count)d times in a row; %(left)d more locks the "
                "account for a while.",
                wrong,
            )
            % {"count": wrong, "left": left},
            _(
                "Check the keyboard language and Caps Lock; if the password is forgotten, set a "
                "new one."
            ),
        )
    if latest.reason == Reason.INVALID_OTP:
        count = sum(1 for _record in _leading(streak, Reason.INVALID_OTP))
        return Diagnosis(
            "wrong_code",
            ngettext(
                "A wrong one-time code %(count)d time in a row (the phone's clock looked right).",
                "A wrong one-time code %(count)d times in a row (the phone's clock looked right).",
                count,
            )
            % {"count": count},
            _(
                "Check that the code is from this account in the app (GFMS) and typed before it "
                "changes; a lost or new phone needs a reset."
            ),
        )
    if latest.reason == Reason.METHOD_NOT_ALLOWED:
        return Diagnosis(
            "method_not_allowed",
            _("Tried to log in with %(method)s, but a registered officer uses the soft token only.")
            % {"method": _method(latest.method)},
            _("Log in with the soft token (user id, password, the code from the app)."),
        )
    if latest.reason in (
        Reason.INVALID_SIGNATURE,
        Reason.CHALLENGE_EXPIRED,
        Reason.TOKEN_KEY_NOT_USABLE,
    ):
        return Diagnosis(
            "token_key_refused",
            _("The last login with the Token Key was refused: %(reason)s.")
            % {"reason": _reason(latest.reason)},
            _("Log in with the soft token instead."),
        )
    if latest.reason == Reason.ACCOUNT_BUSY:
        return Diagnosis(
            "busy",
            _("Many logins of this account arrived at the same moment."),
            _("Wait a moment and try once; if it repeats, someone else may be trying."),
        )
    return None


def _leading(streak: Sequence[LoginRecord], reason: Reason) -> Iterable[LoginRecord]:
    for record in streak:
        if record.reason != reason:
            return
        yield record
