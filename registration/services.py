"""What happens in registration: the officer's registration of a soft token — identity check,
e-mail code, the QR step, confirmation — and what administrators do for one officer (a reset,
a late-registration code).

Each step is one function that checks its preconditions, writes in one transaction together
with its audit row and any e-mail (through the outbox), and raises RegistrationError with a
message for the officer when it cannot go on. Nothing here trusts the browser: the state of
the flow lives in these rows, and each step re-checks it.
"""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agencies.lockout import AccountBusy, lock_officer_row, record_failed_attempt
from agencies.models import Officer
from agencies.permissions import (
    codes_by_email_only,
    enforce,
    may_change_own_token,
    may_issue_late_code,
    may_resend_email_code,
    may_reset_soft_token,
)
from agencies.policy import (
    Role,
    is_privileged,
    is_valid_citizen_id,
    normalise_citizen_id,
)
from audit.models import AuditEvent
from audit.services import record_event
from gfms_portal import crypto
from gfms_portal.clock import bangkok_midnight
from gfms_portal.digits import ascii_digits, normalise_code
from gfms_portal.errors import Refused
from outbox.services import email_officer
from registration.models import (
    Delivery,
    IdentityCheck,
    RegistrationCode,
    RegistrationCodeKind,
    Reveal,
)
from schedule.models import Schedule
from schedule.policy import is_registration_open, registration_ends_at
from tokens import totp
from tokens.clock_skew import clock_skew_message
from tokens.models import RecoveryCode, SoftToken, SoftTokenStatus
from tokens.possession import account_busy, new_recovery_codes
from tokens.roster import PENDING_TOKEN_LIFETIME
from tokens.services import active_soft_token

# --- registration -----------------------------------------------------------------------------------

EMAIL_CODE_LIFETIME = dt.timedelta(minutes=10)
EMAIL_CODE_TRIES = 5
EMAIL_RESEND_AFTER = dt.timedelta(seconds=60)
EMAIL_CODES_PER_HOUR = 5
IDENTITY_FAILURES_ALLOWED = 5  # wrong citizen IDs per officer per day; then an administrator
IDENTITY_FAILURE_WINDOW = dt.timedelta(hours=24)
IDENTITY_CHECK_VALID_FOR = dt.timedelta(minutes=30)  # from the e-mail code to the QR step
EMAIL_CODE_PURPOSE = "identity-email-code"
REGISTRATION_CODE_PURPOSE = "registration-code"


class RegistrationError(Refused):
    """The step cannot go on; `message` is for the officer (already translated)."""


def _recent(officer: Officer, action: str, since: dt.datetime) -> int:
    return AuditEvent.objects.filter(officer=officer, action=action, at__gt=since).count()


def _hash(value: str, purpose: str) -> str:
    return crypto.lookup_hash(value, purpose=purpose)


def _matches(stored_hash: str, value: str, purpose: str) -> bool:
    return stored_hash in crypto.lookup_hash_candidates(value, purpose=purpose)


@dataclass(frozen=True)
class Access:
    """May this officer register now, and how."""

    allowed: bool
    needs_code: bool  # outside the window: a late-registration or reset code is required
    reason: str  # "open", "before_window", "closed", "reset"


def registration_access(officer: Officer, *, at: dt.datetime) -> Access:
    if is_privileged(Role(officer.role)):
        # The officers' window does not apply: an administrator must be able to register (and
        # can do nothing else until then) whatever the date.
        return Access(True, False, "open")
    schedule = Schedule.load().dates
    if is_registration_open(at, schedule):
        return Access(True, False, "open")
    if at < bangkok_midnight(schedule.opens):
        return Access(False, False, "before_window")
    return Access(False, True, "closed")


@dataclass(frozen=True)
class RegisterAgain:
    """What the officer will find on the register page from `at` on, for the words of the
    pages and e-mails that tell them how to register (again): the register page asks for a
    registration code only while registration is closed to them (registration_access)."""

    open_now: bool  # they can register now without any code…
    open_until: dt.datetime | None  # …until this moment (None: no end, an administrator)
    opens_on: dt.date | None  # registration has not opened yet: it opens on this day
    code_expires_at: dt.datetime | None  # the code issued with it, if any
    closes_on: dt.date | None = None  # the last day of open_until (Bangkok)

    @property
    def code_needed_later(self) -> bool:
        """Open now, but the window closes while the code still works: after the close the
        register page asks for it."""
        return bool(
            self.open_now
            and self.open_until is not None
            and self.code_expires_at is not None
            and self.open_until < self.code_expires_at
        )

    def as_context(self) -> dict[str, object]:
        return {
            "open_now": self.open_now,
            "open_until": self.open_until,
            "opens_on": self.opens_on,
            "code_expires_at": self.code_expires_at,
            "code_needed_later": self.code_needed_later,
            "closes_on": self.closes_on,
        }


def register_again(
    officer: Officer, *, at: dt.datetime, code_expires_at: dt.datetime | None = None
) -> RegisterAgain:
    access = registration_access(officer, at=at)
    schedule = Schedule.load().dates
    if access.allowed:
        if is_privileged(Role(officer.role)):
            return RegisterAgain(True, None, None, code_expires_at)
        ends = registration_ends_at(schedule)
        return RegisterAgain(True, ends, None, code_expires_at, closes_on=schedule.closes)
    opens = schedule.opens if access.reason == "before_window" else None
    return RegisterAgain(False, None, opens, code_expires_at)


def find_registration_code(officer: Officer, typed: str, *, at: dt.datetime) -> RegistrationCode:
    code = normalise_code(typed).upper()
    for candidate in RegistrationCode.objects.usable(at).filter(officer=officer):
        if _matches(candidate.code_hash, code, REGISTRATION_CODE_PURPOSE):
            return candidate
    raise RegistrationError(
        "bad_registration_code",
        _(
            "This registration code is wrong, used or expired. Ask your agency administrator for a new one."
        ),
    )


def _busy() -> RegistrationError:
    busy = account_busy()
    return RegistrationError(busy.code, busy.message)


def check_identity(officer: Officer, typed_citizen_id: str, *, at: dt.datetime) -> IdentityCheck:
    """Step 1: the citizen ID must match the agency record; then a code goes to the official
    e-mail on record. A wrong citizen ID counts toward the lockout."""
    try:
        return _check_identity(officer, typed_citizen_id, at=at)
    except AccountBusy:
        raise _busy() from None


def _check_identity(officer: Officer, typed_citizen_id: str, *, at: dt.datetime) -> IdentityCheck:
    citizen_id = normalise_citizen_id(ascii_digits(typed_citizen_id))
    if not is_valid_citizen_id(citizen_id):
        # Checked before any lookup: a typo is not a guess and does not count.
        raise RegistrationError(
            "invalid_citizen_id",
            _("A citizen ID has 13 digits and the last one is a check digit; please check it."),
        )
    with transaction.atomic():
        # One decision under the officer's row lock (as the sign-in is): N racing requests get
        # at most the allowed number of citizen IDs compared, and at most one new e-mail code
        # (the resend and hourly limits are read and written under the same lock).
        lock_officer_row(officer)
        if (
            _recent(officer, "registration.identity_failed", at - IDENTITY_FAILURE_WINDOW)
            >= IDENTITY_FAILURES_ALLOWED
        ):
            # Not even compared: the answer must not become an oracle for guessing citizen IDs.
            raise RegistrationError(
                "identity_blocked",
                _("Too many wrong citizen IDs today. Contact your agency administrator."),
            )
        matches = officer.has_citizen_id(citizen_id)
        if matches:
            return _email_code(officer, at=at)
        record_failed_attempt(officer, at=at)
        record_event("registration.identity_failed", at=at, actor=officer, officer=officer)
    # Raised after the commit: the failure must count.
    raise RegistrationError(
        "citizen_id_mismatch",
        _(
            "This citizen ID does not match your agency's record. Repeated mistakes lock the account for a while."
        ),
    )


def _email_code(officer: Officer, *, at: dt.datetime) -> IdentityCheck:
    """The identity check whose code is (or was just) e-mailed. Runs under the officer's row
    lock (check_identity)."""
    recent = IdentityCheck.objects.filter(
        officer=officer,
        created_at__gt=at - EMAIL_RESEND_AFTER,
        verified_at__isnull=True,
        email_code_attempts__lt=EMAIL_CODE_TRIES,
    ).first()
    if recent is not None:
        return recent  # a double-click or an impatient retry: one e-mail, one code
    hour_ago = at - dt.timedelta(hours=1)
    sent_by_the_desk = AuditEvent.objects.filter(
        officer=officer, action="registration.email_code_resent", at__gt=hour_ago
    ).count()
    if (
        IdentityCheck.objects.filter(officer=officer, created_at__gt=hour_ago).count()
        + sent_by_the_desk
        >= EMAIL_CODES_PER_HOUR
    ):
        raise RegistrationError(
            "too_many_codes", _("Too many e-mail codes in the last hour. Please try again later.")
        )
    code = f"{secrets.randbelow(10**6):06d}"
    # Only the newest code works: older unverified ones die.
    IdentityCheck.objects.filter(officer=officer, verified_at__isnull=True).update(
        email_code_expires_at=at
    )
    check = IdentityCheck.objects.create(
        officer=officer,
        created_at=at,
        email_code_hash=_hash(code, EMAIL_CODE_PURPOSE),
        email_code_expires_at=at + EMAIL_CODE_LIFETIME,
    )
    record_event("registration.email_code_sent", at=at, actor=officer, officer=officer)
    email_officer(officer, "identity_code", at=at, code=code, minutes=10)
    return check


# The desk resends a code for a registration the officer started within this time (the code
# step: citizen ID matched, e-mail code not yet typed).
RESEND_FOR_STARTED_WITHIN = dt.timedelta(hours=1)
EMAIL_CODE_ACTIONS = ("registration.email_code_sent", "registration.email_code_resent")


def resend_email_code(officer: Officer, *, actor: Officer, at: dt.datetime) -> IdentityCheck:
    """The help desk (or an administrator) sends a new code for the registration the officer
    has started — the e-mail did not arrive, or the code ran out while they looked for it. It
    goes where the first went (the official e-mail on record), into the same identity check, so
    the page the officer has open takes it; the earlier code of that check stops working. The
    officer's own limits hold: one code a minute, EMAIL_CODES_PER_HOUR an hour. Audited."""
    enforce(may_resend_email_code(actor.actor, officer.subject))
    try:
        with transaction.atomic():
            lock_officer_row(officer)  # the same lock as the officer's own requests for codes
            return _resend_email_code(officer, actor=actor, at=at)
    except AccountBusy:
        raise _busy() from None


def _resend_email_code(officer: Officer, *, actor: Officer, at: dt.datetime) -> IdentityCheck:
    check = (
        IdentityCheck.objects.filter(
            officer=officer,
            verified_at__isnull=True,
            used_at__isnull=True,
            created_at__gt=at - RESEND_FOR_STARTED_WITHIN,
            # A code killed by its wrong tries is not revived: the tries are the check's.
            email_code_attempts__lt=EMAIL_CODE_TRIES,
        )
        .order_by("-created_at")
        .first()
    )
    if check is None:
        raise RegistrationError(
            "no_code_step",
            _(
                "This officer is not at the e-mail code step of a registration (started in the "
                "last hour): nothing to resend. They start on the register page with their "
                "citizen ID, which sends a code."
            ),
        )
    sent = AuditEvent.objects.filter(
        officer=officer, action__in=EMAIL_CODE_ACTIONS, at__gt=at - dt.timedelta(hours=1)
    ).values_list("at", flat=True)
    if any(moment > at - EMAIL_RESEND_AFTER for moment in sent):
        raise RegistrationError(
            "resend_too_soon",
            _(
                "A code went to this officer less than a minute ago: ask them to wait a minute "
                "and look in the spam folder before sending another."
            ),
        )
    if len(sent) >= EMAIL_CODES_PER_HOUR:
        raise RegistrationError(
            "too_many_codes",
            _(
                "This officer was sent %(count)d e-mail codes in the last hour: no more for now. "
                "Check that the official e-mail on record is right."
            )
            % {"count": len(sent)},
        )
    code = f"{secrets.randbelow(10**6):06d}"
    # The check's wrong tries stand: a resend gives a new code, not new guesses.
    IdentityCheck.objects.filter(pk=check.pk).update(
        email_code_hash=_hash(code, EMAIL_CODE_PURPOSE),
        email_code_expires_at=at + EMAIL_CODE_LIFETIME,
    )
    record_event(
        "registration.email_code_resent",
        at=at,
        actor=actor,
        officer=officer,
        data={"identity_check": check.pk},
    )
    email_officer(officer, "identity_code", at=at, code=code, minutes=10)
    check.refresh_from_db()
    return check


def resend_from(check: IdentityCheck) -> dt.datetime:
    """From when starting again sends a new e-mail code instead of the one already sent."""
    return check.created_at + EMAIL_RESEND_AFTER


def verify_email_code(check: IdentityCheck, typed: str, *, at: dt.datetime) -> None:
    """Step 2: the code from the e-mail. Valid 10 minutes, once; the 5th wrong try kills it.
    Something that cannot be a code (letters, too few or too many digits) is a typing slip,
    not a guess: it is answered at once and not counted."""
    code = normalise_code(typed)
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise RegistrationError(
            "email_code_format",
            _(
                "The code is the 6 digits in the e-mail (0–9 or ๐–๙). Type only those digits: "
                "this entry was not counted as a try."
            ),
        )
    with transaction.atomic():
        # The attempt count is read and raised under the row lock: N racing guesses get at
        # most EMAIL_CODE_TRIES compared.
        locked = IdentityCheck.objects.select_for_update().get(pk=check.pk)
        check.verified_at, check.email_code_attempts = (
            locked.verified_at,
            locked.email_code_attempts,
        )
        if check.verified_at is not None:
            return
        if at >= check.email_code_expires_at or check.email_code_attempts >= EMAIL_CODE_TRIES:
            raise RegistrationError(
                "email_code_expired", _("This e-mail code has expired. Ask for a new one.")
            )
        if _matches(check.email_code_hash, code, EMAIL_CODE_PURPOSE):
            IdentityCheck.objects.filter(pk=check.pk).update(verified_at=at)
            record_event(
                "registration.identity_verified", at=at, actor=check.officer, officer=check.officer
            )
            check.verified_at = at
            return
        IdentityCheck.objects.filter(pk=check.pk).update(
            email_code_attempts=F("email_code_attempts") + 1
        )
        check.email_code_attempts += 1
    left = EMAIL_CODE_TRIES - check.email_code_attempts
    if left <= 0:
        raise RegistrationError(
            "email_code_expired",
            _("Too many wrong codes: this e-mail code no longer works. Ask for a new one."),
        )
    raise RegistrationError(
        "wrong_email_code",
        ngettext(
            "This is not the code we sent. %(left)d try left.",
            "This is not the code we sent. %(left)d tries left.",
            left,
        )
        % {"left": left},
    )


# --- the very first CGD administrator -------------------------------------------------------------

BOOTSTRAP_LINK_LIFETIME = dt.timedelta(minutes=30)
# A stored hash purpose: renaming it would kill links issued before a deploy.
BOOTSTRAP_PURPOSE = "bootstrap-enrollment-link"


def issue_bootstrap_link(officer: Officer, *, at: dt.datetime, actor_label: str) -> str:
    """For the very first central administrator only (nobody can proof their identity yet):
    a one-time token, valid 30 minutes, that stands in for the citizen ID and e-mail code. It
    still needs the account's password, and it binds a token with the usual QR step and
    recovery codes. Refused once any central administrator has a soft token: from then on,
    identity proofing or an administrator's reset is the way."""
    if officer.role != Role.CENTRAL_ADMIN or not officer.is_active:
        raise RegistrationError(
            "not_central_admin", _("Only an active central administrator can be bootstrapped.")
        )
    if _a_central_admin_is_registered():
        raise RegistrationError(
            "already_bootstrapped",
            _(
                "A central administrator already has a soft token: register with identity proofing, or ask them for a reset."
            ),
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        IdentityCheck.objects.filter(officer=officer, verified_at__isnull=True).update(
            email_code_expires_at=at
        )
        IdentityCheck.objects.create(
            officer=officer,
            created_at=at,
            email_code_hash=_hash(token, BOOTSTRAP_PURPOSE),
            email_code_expires_at=at + BOOTSTRAP_LINK_LIFETIME,
        )
        record_event(
            "registration.bootstrap_link_issued",
            at=at,
            actor_label=actor_label,
            officer=officer,
            data={"valid_minutes": int(BOOTSTRAP_LINK_LIFETIME.total_seconds() // 60)},
        )
    return token


def _a_central_admin_is_registered() -> bool:
    return SoftToken.objects.filter(
        officer__role=Role.CENTRAL_ADMIN, status=SoftTokenStatus.ACTIVE
    ).exists()


def open_bootstrap_link(officer: Officer, token: str, *, at: dt.datetime) -> IdentityCheck:
    """The signed-in administrator opened its bootstrap link: the identity check is verified
    (once; the link dies with it). Refused, like the command, once a central administrator
    has a soft token (a link issued before that is no longer the only way in)."""
    with transaction.atomic():
        if _a_central_admin_is_registered():
            raise RegistrationError(
                "already_bootstrapped",
                _(
                    "A central administrator already has a soft token: register with identity proofing, or ask them for a reset."
                ),
            )
        for check in IdentityCheck.objects.select_for_update().filter(
            officer=officer, verified_at__isnull=True, email_code_expires_at__gt=at
        ):
            if _matches(check.email_code_hash, token, BOOTSTRAP_PURPOSE):
                IdentityCheck.objects.filter(pk=check.pk).update(verified_at=at)
                record_event(
                    "registration.identity_verified",
                    at=at,
                    actor=officer,
                    officer=officer,
                    data={"via": "bootstrap_link"},
                )
                check.verified_at = at
                return check
    raise RegistrationError(
        "bad_bootstrap_link",
        _(
            "This registration link is wrong, used, expired or for another account. Run the bootstrap command again."
        ),
    )


def _verified_check(officer: Officer, check_id: int | None, *, at: dt.datetime) -> IdentityCheck:
    check = (
        None  # no check in the session: nothing to look up
        if check_id is None
        else IdentityCheck.objects.filter(
            pk=check_id,
            officer=officer,
            verified_at__isnull=False,
            used_at__isnull=True,
            verified_at__gt=at - IDENTITY_CHECK_VALID_FOR,
        ).first()
    )
    if check is None:
        raise RegistrationError(
            "identity_needed", _("Please confirm your identity first (citizen ID and e-mail code).")
        )
    return check


def start_registration(
    officer: Officer,
    *,
    check_id: int | None,
    at: dt.datetime,
    registration_code: RegistrationCode | None = None,
) -> tuple[SoftToken, str]:
    """Step 3: a new secret for the QR code, as a pending token. Any other pending token of
    the officer (another tab, an abandoned QR) is revoked and its secret discarded."""
    access = registration_access(officer, at=at)
    if not access.allowed and registration_code is None:
        raise RegistrationError(
            "closed",
            _(
                "Registration is closed. Ask your agency administrator for a late-registration code."
            ),
        )
    secret = totp.new_secret()
    with transaction.atomic():
        check = _verified_check(officer, check_id, at=at)
        if not IdentityCheck.objects.filter(pk=check.pk, used_at__isnull=True).update(used_at=at):
            raise RegistrationError(
                "identity_needed",
                _("Please confirm your identity first (citizen ID and e-mail code)."),
            )
        token = _new_pending_token(officer, secret, replacement=False, at=at)
    return token, secret


def _new_pending_token(
    officer: Officer, secret: str, *, replacement: bool, at: dt.datetime
) -> SoftToken:
    """The pending token behind a QR code; any earlier pending one is discarded. Audited."""
    _discard_pending(officer, at=at)
    token = SoftToken.objects.create(
        officer=officer,
        secret_encrypted=SoftToken.secret.encrypt(secret),
        status=SoftTokenStatus.PENDING,
        created_at=at,
        is_replacement=replacement,
    )
    record_event(
        "soft_token.replacement_started" if replacement else "soft_token.registration_started",
        at=at,
        actor=officer,
        officer=officer,
        data={"token": token.pk},
    )
    return token


def _discard_pending(officer: Officer, *, at: dt.datetime) -> None:
    SoftToken.objects.filter(officer=officer, status=SoftTokenStatus.PENDING).update(
        status=SoftTokenStatus.REVOKED, revoked_at=at, secret_encrypted=""
    )


def pending_token(officer: Officer, token_id: int | None, *, at: dt.datetime) -> SoftToken:
    token = (
        None  # no pending token in the session: nothing to look up
        if token_id is None
        else SoftToken.objects.filter(
            pk=token_id,
            officer=officer,
            status=SoftTokenStatus.PENDING,
            created_at__gt=at - PENDING_TOKEN_LIFETIME,
        ).first()
    )
    if token is None:
        raise RegistrationError(
            "pending_expired",
            _(
                "This QR code has expired or was replaced (QR codes work for 10 minutes). Start again to get a new one."
            ),
        )
    return token


def confirm_registration(
    officer: Officer,
    *,
    token_id: int | None,
    typed_code: str,
    at: dt.datetime,
    registration_code: RegistrationCode | None = None,
) -> list[str]:
    """Step 4: the current code from the phone. The token becomes active (any older active
    token is revoked in the same transaction), the confirming time step counts as used, and
    ten recovery codes are made. Returns the recovery codes — shown once, stored hashed."""
    token = pending_token(officer, token_id, at=at)
    secret = token.secret
    code = normalise_code(typed_code)
    steps = totp.matching_steps(secret, code, at=at)
    if not steps:
        skew = clock_skew_message(secret, code, at=at)
        raise RegistrationError(
            "clock_skew" if skew else "wrong_code",
            skew
            or _(
                "This is not the current code. Type the 6 digits the app shows now (they change every 30 seconds)."
            ),
        )
    with transaction.atomic():
        if registration_code is not None:
            consumed = RegistrationCode.objects.filter(
                pk=registration_code.pk,
                used_at__isnull=True,
                revoked_at__isnull=True,
                expires_at__gt=at,
            ).update(used_at=at)
            if not consumed:
                raise RegistrationError(
                    "bad_registration_code",
                    _("This registration code was already used or has expired."),
                )
        replaced = list(
            SoftToken.objects.select_for_update()
            .filter(officer=officer, status=SoftTokenStatus.ACTIVE)
            .values_list("pk", flat=True)
        )
        if replaced and not token.is_replacement:
            # Registration binds a first token; replacing one needs the old token or a
            # recovery code (start_replacement) or an administrator's reset.
            transaction.set_rollback(True)
            raise RegistrationError(
                "already_registered",
                _(
                    "You already have a soft token. To use a new phone, choose “Replace my phone” on your account page."
                ),
            )
        SoftToken.objects.filter(pk__in=replaced).update(
            status=SoftTokenStatus.REVOKED, revoked_at=at, secret_encrypted=""
        )
        activated = SoftToken.objects.filter(pk=token.pk, status=SoftTokenStatus.PENDING).update(
            status=SoftTokenStatus.ACTIVE, confirmed_at=at, last_used_step=max(steps)
        )
        if not activated:  # another tab confirmed or replaced it a moment ago
            transaction.set_rollback(True)
            raise RegistrationError(
                "pending_expired",
                _("This QR code was already used or replaced. Check your status page."),
            )
        codes = new_recovery_codes(officer, at=at)
        record_event(
            "soft_token.bound",
            at=at,
            actor=officer,
            officer=officer,
            data={
                "token": token.pk,
                "replaced": replaced,
                "registration_code": registration_code.kind if registration_code else None,
            },
        )
        # A phone replacement has its own e-mail: the new phone works, the old one no longer.
        email_officer(officer, "registration_done", at=at, replaced_phone=token.is_replacement)
    return codes


def expire_pending_tokens(*, at: dt.datetime) -> int:
    """Discard the secrets of pending tokens older than 10 minutes (periodic task)."""
    return SoftToken.objects.filter(
        status=SoftTokenStatus.PENDING, created_at__lte=at - PENDING_TOKEN_LIFETIME
    ).update(status=SoftTokenStatus.REVOKED, revoked_at=at, secret_encrypted="")


# --- after registration: step-up, recovery codes, a new phone ---------------------------------------


def start_replacement(
    officer: Officer, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> tuple[SoftToken, str]:
    """A new phone: a new pending token for the QR step. The old token keeps working until
    the new one is confirmed; then it is revoked in the same transaction. Needs a fresh code
    (the old phone's or a recovery code) — checked here, whoever calls."""
    enforce(may_change_own_token(officer.actor, at=at, stepped_up_at=stepped_up_at))
    if active_soft_token(officer.pk) is None:
        raise RegistrationError("not_registered", _("Register a soft token first."))
    secret = totp.new_secret()
    with transaction.atomic():
        token = _new_pending_token(officer, secret, replacement=True, at=at)
    return token, secret


# --- administrators: reset and late registration ---------------------------------------------------

RESET_CODE_LIFETIME = dt.timedelta(hours=24)
LATE_CODE_LONGEST = dt.timedelta(days=7)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


def _new_registration_code() -> str:
    """12 characters from a 32-letter alphabet: 60 bits, in three groups of four."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


def _issue_code(
    officer: Officer,
    *,
    kind: str,
    actor: Officer,
    lifetime: dt.timedelta,
    delivery: Delivery,
    at: dt.datetime,
) -> str:
    code = _new_registration_code()
    RegistrationCode.objects.filter(
        officer=officer, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=at)
    RegistrationCode.objects.create(
        officer=officer,
        kind=kind,
        code_hash=_hash(normalise_code(code).upper(), REGISTRATION_CODE_PURPOSE),
        issued_by=actor,
        issued_at=at,
        expires_at=at + lifetime,
    )
    if delivery == Delivery.EMAIL:
        email_officer(
            officer,
            "registration_code",
            at=at,
            code=code,
            expires_at=at + lifetime,
            kind=kind,
            **register_again(officer, at=at, code_expires_at=at + lifetime).as_context(),
        )
    return code


def reset_soft_token(
    officer: Officer,
    *,
    actor: Officer,
    reason: str,
    delivery: Delivery,
    at: dt.datetime,
    stepped_up_at: dt.datetime | None,
) -> str:
    """An administrator revokes the officer's soft token (lost phone): it never sees or chooses
    a secret. The officer is told by e-mail and gets a one-time re-registration code valid 24
    hours — by e-mail, or handed over in person (returned here to show once)."""
    enforce(may_reset_soft_token(actor.actor, officer.subject, at=at, stepped_up_at=stepped_up_at))
    if codes_by_email_only(actor.actor) and delivery != Delivery.EMAIL:
        raise RegistrationError(
            "email_only",
            _(
                "The help desk sends the re-registration code to the officer's official e-mail: "
                "it is never shown to read out on the phone."
            ),
        )
    reason = reason.strip()
    if len(reason) < 5:
        raise RegistrationError(
            "reason_needed", _("Write why the token is reset (at least 5 characters).")
        )
    with transaction.atomic():
        revoked = SoftToken.objects.filter(
            officer=officer, status__in=[SoftTokenStatus.ACTIVE, SoftTokenStatus.PENDING]
        ).update(status=SoftTokenStatus.REVOKED, revoked_at=at, secret_encrypted="")
        RecoveryCode.objects.filter(
            officer=officer, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=at)
        code = _issue_code(
            officer,
            kind=RegistrationCodeKind.RESET,
            actor=actor,
            lifetime=RESET_CODE_LIFETIME,
            delivery=delivery,
            at=at,
        )
        record_event(
            "soft_token.reset",
            at=at,
            actor=actor,
            officer=officer,
            data={"reason": reason[:500], "tokens_revoked": revoked, "delivery": delivery.value},
        )
        email_officer(
            officer,
            "soft_token_reset",
            at=at,
            actor=actor,
            delivery=delivery.value,
            **register_again(officer, at=at, code_expires_at=at + RESET_CODE_LIFETIME).as_context(),
        )
    return code


def issue_late_registration_code(
    officer: Officer,
    *,
    actor: Officer,
    days: int,
    delivery: Delivery,
    at: dt.datetime,
    stepped_up_at: dt.datetime | None,
) -> str:
    """A single-use code for one officer to register after the window (valid 1–7 days). The
    officer still needs their own password and the identity check."""
    enforce(may_issue_late_code(actor.actor, officer.subject, at=at, stepped_up_at=stepped_up_at))
    if not 1 <= days <= LATE_CODE_LONGEST.days:
        raise RegistrationError("bad_days", _("A late-registration code is valid for 1 to 7 days."))
    if active_soft_token(officer.pk) is not None:
        raise RegistrationError("already_registered", _("This officer already has a soft token."))
    with transaction.atomic():
        code = _issue_code(
            officer,
            kind=RegistrationCodeKind.LATE,
            actor=actor,
            lifetime=dt.timedelta(days=days),
            delivery=delivery,
            at=at,
        )
        record_event(
            "registration_code.issued",
            at=at,
            actor=actor,
            officer=officer,
            data={"days": days, "delivery": delivery.value},
        )
    return code


# --- shown once -------------------------------------------------------------------------------------

REVEAL_LIFETIME = dt.timedelta(minutes=10)


def seal_once(owner: Officer, kind: str, text: str, *, at: dt.datetime) -> str:
    """Keep `text` (encrypted) for one page view by `owner`; returns the id for the URL."""
    return str(
        Reveal.objects.create(
            owner=owner, kind=kind, sealed=Reveal.text.encrypt(text), created_at=at
        ).pk
    )


def open_once(owner: Officer, reveal_id: str | None, kind: str, *, at: dt.datetime) -> str | None:
    """The text, the first time only (the row is deleted); None afterwards or for anyone else."""
    if reveal_id is None:
        return None
    try:
        row = Reveal.objects.filter(
            pk=reveal_id, owner=owner, kind=kind, created_at__gt=at - REVEAL_LIFETIME
        ).first()
    except (ValueError, ValidationError):  # not a UUID
        return None
    if row is None or not Reveal.objects.filter(pk=row.pk).delete()[0]:
        return None
    return row.text


def purge_expired_reveals(*, at: dt.datetime) -> int:
    """Delete what was sealed but never opened within REVEAL_LIFETIME (periodic task): it can
    no longer be shown, and need not be kept."""
    return Reveal.objects.filter(created_at__lte=at - REVEAL_LIFETIME).delete()[0]
