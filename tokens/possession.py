"""Proving possession again after registration: a current code from the officer's app or an
unused recovery code — for step-up, for the second step of a privileged sign-in, and the
recovery codes themselves.

Decided under the officer's row lock, like every guess (agencies.lockout): a wrong code
counts toward the same lockout.
"""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils.translation import gettext as _

from agencies.lockout import AccountBusy, lock_officer_row, record_failed_attempt
from agencies.models import Officer
from agencies.permissions import enforce, may_change_own_token
from agencies.policy import is_locked
from audit.services import record_event
from gfms_portal.digits import normalise_code
from gfms_portal.errors import Refused
from tokens import totp
from tokens.clock_skew import ClockHint, clock_skew_message
from tokens.models import RecoveryCode
from tokens.services import TotpResult, active_soft_token, verify_soft_token

RECOVERY_CODES = 10


class CodeRefused(Refused):
    """The code proves nothing (wrong, reused, account locked or busy)."""


def account_busy() -> CodeRefused:
    return CodeRefused(
        "busy", _("Another attempt for your account is being checked. Try again in a moment.")
    )


def verify_fresh_code(
    officer: Officer, typed: str, *, at: dt.datetime, clock_hint: ClockHint = ClockHint.NONE
) -> str:
    """Prove possession again (a step-up, or the second step of a privileged sign-in): a
    current code from the app (its time step is consumed, as at the gateway) or an unused
    recovery code (used up). Decided under the officer's row lock, like the sign-in: a wrong
    code counts toward the same lockout. Returns "soft_token" or "recovery_code".

    `clock_hint`: what a wrong code's answer may say of the phone's clock (ClockHint: nothing
    at the sign-in's code step; at a step-up, a fast phone only to a session that has already
    proved it holds the phone)."""
    code = normalise_code(typed)
    try:
        with transaction.atomic():
            if is_locked(lock_officer_row(officer), at=at):
                outcome = "locked"
            else:
                outcome = _fresh_code_outcome(officer, code, at=at)
                if outcome == "wrong_code":
                    # A wrong code here is a guess like any other: it counts toward the lockout.
                    record_failed_attempt(officer, at=at)
    except AccountBusy:
        raise account_busy() from None
    if outcome in ("soft_token", "recovery_code"):
        return outcome
    if outcome == "wrong_code" and (advice := _clock_advice(officer, code, at, clock_hint)):
        raise CodeRefused("clock_skew", advice)
    raise CodeRefused(
        outcome,
        {
            "locked": _("Too many wrong codes: your account is locked for a while."),
            "otp_reused": _("This code was just used. Wait for the next one (at most 30 seconds)."),
            "wrong_code": _(
                "This is neither the current code from your app nor an unused recovery code."
            ),
        }[outcome],
    )


def _clock_advice(officer: Officer, code: str, at: dt.datetime, hint: ClockHint) -> str | None:
    if hint is ClockHint.NONE or (token := active_soft_token(officer.pk)) is None:
        return None  # (checked here too: no query for the token when nothing may be said)
    return clock_skew_message(token.secret, code, at=at, hint=hint)


def _fresh_code_outcome(officer: Officer, code: str, *, at: dt.datetime) -> str:
    token = active_soft_token(officer.pk)
    if token is not None and len(code) == totp.DIGITS and code.isdigit():
        result = verify_soft_token(token, code, at=at)
        if result == TotpResult.OK:
            return "soft_token"
        if result == TotpResult.REUSED:
            return "otp_reused"
    if len(code) == 20 and code.isdigit():
        used = RecoveryCode.objects.filter(
            officer=officer,
            code_hash=recovery_code_hash(code),
            used_at__isnull=True,
            revoked_at__isnull=True,
        ).update(used_at=at)
        if used:
            record_event("recovery_code.used", at=at, actor=officer, officer=officer)
            return "recovery_code"
    return "wrong_code"


def regenerate_recovery_codes(
    officer: Officer, *, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> list[str]:
    """New recovery codes (the old ones die). Needs a fresh code (agencies.step_up)."""
    enforce(may_change_own_token(officer.actor, at=at, stepped_up_at=stepped_up_at))
    if active_soft_token(officer.pk) is None:
        raise CodeRefused("not_registered", _("Register a soft token first."))
    with transaction.atomic():
        codes = new_recovery_codes(officer, at=at)
        record_event("recovery_codes.regenerated", at=at, actor=officer, officer=officer)
    return codes


def new_recovery_codes(officer: Officer, *, at: dt.datetime) -> list[str]:
    """Ten fresh codes of 20 digits (66 bits) in groups of four; older unused codes die."""
    RecoveryCode.objects.filter(
        officer=officer, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=at)
    codes = [f"{secrets.randbelow(10**20):020d}" for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(officer=officer, code_hash=recovery_code_hash(code), created_at=at)
        for code in codes
    )
    return ["-".join(code[i : i + 4] for i in range(0, 20, 4)) for code in codes]


def recovery_code_hash(code: str) -> str:
    # 66 random bits: a fast hash is enough (nobody brute-forces 2^66 SHA-256 preimages).
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def recovery_codes_left(officer: Officer) -> int:
    return RecoveryCode.objects.filter(
        officer=officer, used_at__isnull=True, revoked_at__isnull=True
    ).count()
