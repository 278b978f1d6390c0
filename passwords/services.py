"""An officer's password over its life: changed on their own page, reset when forgotten
(a code to the official e-mail and a code from the soft token), or reset through a one-time
link an administrator e-mails. Every change is audited and the officer told by e-mail in the
same transaction; the new password works at the gateway at once (it reads the hash on every
check) and every other session of the account ends (Django's session hash follows the
password hash).

Nothing here tells whether an account exists before the person has proved the official
e-mail: asking for a code, and a wrong e-mail code, answer the same for unknown user ids,
deactivated accounts, officers without a soft token and everyone else, and are held to the
password floor (auth_gateway.passwords) so that the time does not tell them apart either.
"""

import datetime as dt
import secrets
import time
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies.lockout import AccountBusy, lock_officer_row, record_failed_attempt
from agencies.models import Officer
from agencies.permissions import enforce, may_start_password_reset
from audit.models import AuditEvent
from audit.services import record_event
from auth_gateway.passwords import verify_password, wait_out_password_floor
from gfms_portal import crypto
from gfms_portal.digits import normalise_code
from gfms_portal.errors import Refused
from outbox.services import email_officer
from passwords.models import ResetCode, ResetLink
from passwords.policy import normalise
from tokens.possession import CodeRefused, verify_fresh_code
from tokens.services import active_soft_token

RESET_CODE_LIFETIME = dt.timedelta(minutes=10)
RESET_CODE_TRIES = 5  # wrong e-mail codes and wrong codes from the app, together
RESEND_AFTER = dt.timedelta(seconds=60)  # a double click or an impatient retry: one e-mail
RESET_EMAILS_PER_HOUR = 3  # per account, whoever asks: nobody floods an officer's mailbox
SET_PASSWORD_WITHIN = dt.timedelta(minutes=10)  # from the confirmed codes to the new password
RESET_LINK_LIFETIME = dt.timedelta(hours=1)
# Stored hash purposes: renaming one kills the codes and links issued before a deploy.
CODE_PURPOSE = "password-reset-code"
LINK_PURPOSE = "password-reset-link"


class PasswordError(Refused):
    """Nothing was changed; `message` is for the person (already translated)."""


def _hash(value: str, purpose: str) -> str:
    return crypto.lookup_hash(value, purpose=purpose)


def _matches(stored_hash: str, value: str, purpose: str) -> bool:
    return stored_hash in crypto.lookup_hash_candidates(value, purpose=purpose)


def password_rule_problems(password: str, officer: Officer | None) -> list[str]:
    """The messages of every rule the password breaks (settings.AUTH_PASSWORD_VALIDATORS)."""
    try:
        validate_password(password, officer)
    except ValidationError as error:
        return list(error.messages)
    return []


def _check_rules(password: str, officer: Officer) -> None:
    if problems := password_rule_problems(password, officer):
        raise PasswordError("password_rules", " ".join(problems))


def _set_password(officer: Officer, new: str, *, at: dt.datetime) -> None:
    """Hash with the configured hasher (Argon2id over NFKC: passwords.hashers) and store it,
    with the lockout count cleared (the person has just proved who they are); every other way
    back to the old password (codes and links not used yet) dies. Inside the transaction."""
    officer.set_password(new)
    Officer.objects.filter(pk=officer.pk).update(
        password=officer.password, failed_logins=0, locked_until=None
    )
    ResetCode.objects.filter(officer=officer, used_at__isnull=True).update(
        expires_at=at, used_at=at
    )
    ResetLink.objects.filter(officer=officer, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=at
    )


# --- changing one's own password -------------------------------------------------------------------


def change_password(
    officer: Officer, *, current: str, code: str, new: str, at: dt.datetime
) -> None:
    """A signed-in officer: the current password, a fresh code from the soft token (or a
    recovery code), then the new password. Checked in that order after the new password's
    rules, so that nothing is used up for a password that would be refused. A wrong current
    password counts toward the lockout, like one at the sign-in."""
    started = time.perf_counter()
    if normalise(new) == normalise(current):
        raise PasswordError("same_password", _("The new password is the same as the current one."))
    _check_rules(new, officer)
    if active_soft_token(officer.pk) is None:
        raise PasswordError(
            "no_soft_token",
            _("Changing the password needs a code from your soft token: register it first."),
        )
    right, _needs_upgrade = verify_password(officer.password, current)
    if not right:
        with transaction.atomic():
            record_failed_attempt(officer, at=at)
            record_event(
                "password.change_refused",
                at=at,
                actor=officer,
                officer=officer,
                data={"reason": "wrong_password"},
            )
        wait_out_password_floor(started)
        raise PasswordError(
            "wrong_password",
            _("This is not your current password. Repeated mistakes lock the account for a while."),
        )
    verify_fresh_code(officer, code, at=at)  # CodeRefused (a Refused) when it proves nothing
    with transaction.atomic():
        _set_password(officer, new, at=at)
        record_event("password.changed", at=at, actor=officer, officer=officer)
        email_officer(officer, "password_changed", at=at, via="change")


# --- a forgotten password: the e-mail code, then a code from the soft token ------------------------


def _active_officer(username: str) -> Officer | None:
    username = username.strip()
    if not username or len(username) > 150:
        return None
    return Officer.objects.by_username(username).filter(is_active=True).first()


def _emails_in_the_last_hour(officer: Officer, *, at: dt.datetime) -> tuple[int, bool]:
    """How many reset e-mails (codes, or "ask your administrator") went to the officer in the
    last hour, and whether one went within RESEND_AFTER."""
    sent = list(
        AuditEvent.objects.filter(
            officer=officer,
            action__in=("password.reset_code_sent", "password.reset_without_token"),
            at__gt=at - dt.timedelta(hours=1),
        ).values_list("at", flat=True)
    )
    return len(sent), any(moment > at - RESEND_AFTER for moment in sent)


def request_reset_code(username: str, *, at: dt.datetime) -> None:
    """Someone says they forgot the password of `username`. If it is an active account, its
    official e-mail gets a code (10 minutes, 5 tries) — or, without a soft token, the advice to
    ask their administrator, since the reset needs a code from it. Whatever the account, the
    caller is told the same and waits the same (the password floor); at most
    RESET_EMAILS_PER_HOUR e-mails an hour, one per RESEND_AFTER."""
    started = time.perf_counter()
    officer = _active_officer(username)
    if officer is not None:
        try:
            with transaction.atomic():
                # Under the officer's row lock, like every guess: racing requests send one e-mail.
                lock_officer_row(officer)
                _send_reset_email(officer, at=at)
        except AccountBusy:
            pass  # nothing sent; answered as always
    wait_out_password_floor(started)


def _send_reset_email(officer: Officer, *, at: dt.datetime) -> None:
    count, just_sent = _emails_in_the_last_hour(officer, at=at)
    if just_sent or count >= RESET_EMAILS_PER_HOUR:
        return
    if active_soft_token(officer.pk) is None:
        record_event("password.reset_without_token", at=at, actor_label="portal", officer=officer)
        email_officer(officer, "password_reset_no_token", at=at)
        return
    code = f"{secrets.randbelow(10**6):06d}"
    # Only the newest code works.
    ResetCode.objects.filter(officer=officer, verified_at__isnull=True).update(expires_at=at)
    ResetCode.objects.create(
        officer=officer,
        created_at=at,
        code_hash=_hash(code, CODE_PURPOSE),
        expires_at=at + RESET_CODE_LIFETIME,
    )
    record_event("password.reset_code_sent", at=at, actor_label="portal", officer=officer)
    minutes = int(RESET_CODE_LIFETIME.total_seconds() // 60)
    email_officer(officer, "password_reset_code", at=at, code=code, minutes=minutes)


def _codes_refused() -> PasswordError:
    """The one answer before the e-mail code is proved, whatever the account."""
    return PasswordError(
        "reset_codes_refused",
        _(
            "The code from the e-mail is wrong or has expired (codes work for 10 minutes and "
            "5 tries). Check it, or ask for a new code."
        ),
    )


def confirm_reset_codes(username: str, *, email_code: str, token_code: str, at: dt.datetime) -> int:
    """The code from the e-mail and a code from the soft token (or a recovery code), typed
    together. Returns the id of the confirmed reset, for finish_reset. Every refusal before
    the e-mail code is proved is the same answer in the same time; a wrong code from the app
    (the e-mail proved) says so, and counts toward the lockout (tokens.possession) and as
    one of the code's tries."""
    started = time.perf_counter()
    code = normalise_code(email_code)
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        # A typing slip, whatever the account: answered at once, not counted.
        raise PasswordError(
            "email_code_format",
            _("The code from the e-mail is 6 digits (0–9 or ๐–๙). Type only those digits."),
        )
    officer = _active_officer(username)
    refusal: Refused = _codes_refused()
    confirmed: int | None = None
    if officer is not None:
        try:
            with transaction.atomic():
                refusal, confirmed = _confirm(officer, code, token_code, at=at)
        except AccountBusy:
            pass  # answered as a wrong code
    if confirmed is None:
        if refusal.code == "reset_codes_refused":
            wait_out_password_floor(started)
        raise refusal
    return confirmed


def _confirm(
    officer: Officer, code: str, token_code: str, *, at: dt.datetime
) -> tuple[Refused, int | None]:
    # The officer's row first, then the code's: the order every path takes (no deadlock).
    lock_officer_row(officer)
    row = (
        ResetCode.objects.select_for_update()
        .filter(
            officer=officer,
            verified_at__isnull=True,
            used_at__isnull=True,
            expires_at__gt=at,
            attempts__lt=RESET_CODE_TRIES,
        )
        .order_by("-created_at")
        .first()
    )
    if row is None:
        return _codes_refused(), None
    if not _matches(row.code_hash, code, CODE_PURPOSE):
        ResetCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        return _codes_refused(), None
    try:
        verify_fresh_code(officer, token_code, at=at)
    except CodeRefused as error:
        ResetCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
        return error, None
    if not ResetCode.objects.filter(pk=row.pk, verified_at__isnull=True).update(verified_at=at):
        return _codes_refused(), None
    record_event("password.reset_codes_confirmed", at=at, actor=officer, officer=officer)
    return _codes_refused(), row.pk


def _reset_expired() -> PasswordError:
    return PasswordError(
        "reset_expired",
        _(
            "This password reset has expired or was already used (a new password must be set "
            "within 10 minutes of the codes). Start again."
        ),
    )


def confirmed_reset(reset_id: int | None, *, at: dt.datetime) -> ResetCode | None:
    """The confirmed, unused reset whose new password may be set now."""
    if reset_id is None:
        return None
    return (
        ResetCode.objects.filter(
            pk=reset_id,
            verified_at__gt=at - SET_PASSWORD_WITHIN,
            used_at__isnull=True,
            officer__is_active=True,
        )
        .select_related("officer", "officer__unit")
        .first()
    )


def finish_reset(reset_id: int | None, *, new: str, at: dt.datetime) -> Officer:
    """The new password, once, within SET_PASSWORD_WITHIN of the confirmed codes."""
    reset = confirmed_reset(reset_id, at=at)
    if reset is None:
        raise _reset_expired()
    officer = reset.officer
    _check_rules(new, officer)
    with transaction.atomic():
        consumed = ResetCode.objects.filter(
            pk=reset.pk, used_at__isnull=True, verified_at__gt=at - SET_PASSWORD_WITHIN
        ).update(used_at=at)
        if not consumed:
            raise _reset_expired()
        _set_password(officer, new, at=at)
        record_event(
            "password.reset", at=at, actor=officer, officer=officer, data={"via": "forgotten"}
        )
        email_officer(officer, "password_changed", at=at, via="forgotten")
    return officer


# --- an administrator's reset: a one-time link to the official e-mail ------------------------------


def start_password_reset(
    officer: Officer, *, actor: Officer, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> None:
    """E-mail the officer a one-time link (valid RESET_LINK_LIFETIME) to set a new password
    themselves: for an officer who cannot use the forgotten-password page (no soft token, or
    the phone lost too). The administrator never sees the link nor sets a password; an
    earlier link not used yet dies."""
    enforce(
        may_start_password_reset(actor.actor, officer.subject, at=at, stepped_up_at=stepped_up_at)
    )
    if not officer.is_active:
        raise PasswordError(
            "inactive", _("This account is deactivated: its password cannot be reset.")
        )
    if active_soft_token(officer.pk) is not None:
        # The link proves only the mailbox. With a soft token the officer resets the password
        # on the forgotten-password page (the e-mail and a code from the app); a lost phone
        # gets its soft token reset first, and then this link.
        raise PasswordError(
            "has_soft_token",
            _(
                "This officer has a soft token: they set a new password themselves on the "
                "forgotten-password page, with a code from the app. If the phone is lost too, "
                "reset the soft token first."
            ),
        )
    token = secrets.token_urlsafe(32)
    expires_at = at + RESET_LINK_LIFETIME
    with transaction.atomic():
        ResetLink.objects.filter(
            officer=officer, used_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=at)
        ResetLink.objects.create(
            officer=officer,
            token_hash=_hash(token, LINK_PURPOSE),
            issued_by=actor,
            issued_at=at,
            expires_at=expires_at,
        )
        minutes = int(RESET_LINK_LIFETIME.total_seconds() // 60)
        record_event(
            "password.reset_link_sent",
            at=at,
            actor=actor,
            officer=officer,
            data={"valid_minutes": minutes},
        )
        email_officer(
            officer,
            "password_reset_link",
            at=at,
            actor=actor,
            # The token in the query, not the path: the proxy's and gunicorn's access logs
            # keep paths, never query strings (deploy/nginx, gunicorn.conf.py).
            link=urljoin(settings.GFMS_PORTAL_URL, reverse("password_link") + f"?t={token}"),
            expires_at=expires_at,
        )


def find_reset_link(token: str, *, at: dt.datetime) -> ResetLink | None:
    """The link of the e-mailed `token`, if it still works (unused, not replaced, not
    expired)."""
    if not token or len(token) > 100:
        return None
    return (
        _live_links(at)
        .filter(token_hash__in=crypto.lookup_hash_candidates(token, purpose=LINK_PURPOSE))
        .first()
    )


def live_reset_link(link_id: object, *, at: dt.datetime) -> ResetLink | None:
    """The link found earlier (its id, kept in the session instead of the token), if it still
    works."""
    if not isinstance(link_id, int):
        return None
    return _live_links(at).filter(pk=link_id).first()


def _live_links(at: dt.datetime) -> QuerySet[ResetLink]:
    return ResetLink.objects.filter(
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=at,
        officer__is_active=True,
    ).select_related("officer", "officer__unit", "issued_by")


def _link_refused() -> PasswordError:
    return PasswordError(
        "link_refused",
        _(
            "This link is wrong, already used, replaced by a newer one or expired (links work "
            "for one hour, once). Ask your agency administrator for a new one."
        ),
    )


def finish_link_reset(link_id: object, *, new: str, at: dt.datetime) -> Officer:
    """The new password through the administrator's link (`live_reset_link`'s id): used
    once, whoever races."""
    link = live_reset_link(link_id, at=at)
    if link is None:
        raise _link_refused()
    officer = link.officer
    _check_rules(new, officer)
    with transaction.atomic():
        consumed = ResetLink.objects.filter(
            pk=link.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=at
        ).update(used_at=at)
        if not consumed:
            raise _link_refused()
        _set_password(officer, new, at=at)
        record_event(
            "password.reset",
            at=at,
            actor=officer,
            officer=officer,
            data={"via": "administrator_link", "issued_by": link.issued_by.get_username()},
        )
        email_officer(officer, "password_changed", at=at, via="administrator_link")
    return officer
