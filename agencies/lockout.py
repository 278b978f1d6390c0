"""Lockout, shared by every place a secret is guessed (the gateway, the portal sign-in, the
code step, step-up, citizen ID and e-mail code): one count per officer, decided under the
officer's row lock. The rules themselves (how many failures, how long) are pure, in
agencies.policy."""

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.db import OperationalError, connection, transaction

from agencies.models import Officer
from agencies.permissions import enforce, may_unlock
from agencies.policy import LOCKED_UNTIL_UNLOCKED, lock_after
from audit.services import record_event
from outbox.services import email_officer

# PostgreSQL gave up waiting: lock_timeout (55P03) or statement_timeout (57014).
LOCK_WAIT_GAVE_UP = frozenset({"55P03", "57014"})


class AccountBusy(Exception):
    """The officer's row stayed locked by other checks past DB_LOCK_TIMEOUT_MS."""


@contextlib.contextmanager
def busy_when_lock_wait_gives_up() -> Iterator[None]:
    """Turn PostgreSQL giving up on a row lock into AccountBusy (any other error goes on)."""
    try:
        yield
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) in LOCK_WAIT_GAVE_UP:
            raise AccountBusy from error
        raise


def lock_officer_row(officer: Officer) -> dt.datetime | None:
    """Lock the officer's row (FOR NO KEY UPDATE: the lock an UPDATE of its counters takes,
    which excludes the other checks of this account but not the foreign-key checks of rows
    that point at it — a decision record for a busy account is written without waiting for
    the holder) until the end of the transaction and read its lockout state as
    committed now (a request that waited for the lock sees the failures counted meanwhile).
    Returns `locked_until`; the officer's counters and password hash are those of the locked
    row (a caller that verified a password before the lock compares the hash: a change
    committed meanwhile must not let the old one in). Raises AccountBusy when the wait passes the lock timeout
    (PostgreSQL's lock_timeout, set on our connections): a burst of guesses for one account
    is refused rather than queued into the statement timeout, which would answer 503 — and
    only for accounts that exist."""
    with busy_when_lock_wait_gives_up():
        row = _locked_row(officer.pk)
    if row is None:  # deleted meanwhile: nothing to let in
        return LOCKED_UNTIL_UNLOCKED
    officer.failed_logins, officer.locked_until, officer.password = row
    return officer.locked_until


def _locked_row(pk: int) -> tuple[int, dt.datetime | None, str] | None:
    """On PostgreSQL one statement written once (it runs on every login check: building it
    through the ORM cost more than running it); elsewhere (the SQLite demo, which has no row
    locks) the ORM, whose converters SQLite's datetimes need."""
    if connection.vendor != "postgresql":
        return (
            Officer.objects.select_for_update(no_key=True)
            .filter(pk=pk)
            .values_list("failed_logins", "locked_until", "password")
            .first()
        )
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_ROW_SQL, [pk])
        row: tuple[int, dt.datetime | None, str] | None = cursor.fetchone()
        return row


_LOCK_ROW_SQL = (
    f"SELECT failed_logins, locked_until, password FROM {Officer._meta.db_table}"  # noqa: S608  (the model's table)
    " WHERE id = %s FOR NO KEY UPDATE"
)


def record_failed_attempt(officer: Officer, *, at: dt.datetime) -> None:
    """Count one failure toward the officer's lockout (gateway, portal login and identity
    check share the count). One atomic increment decides it, however many requests race."""
    table = Officer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET failed_logins = failed_logins + 1 WHERE id = %s "  # noqa: S608  (table name from the model)
            "RETURNING failed_logins",
            [officer.pk],
        )
        (failures,) = cursor.fetchone()
    until = lock_after(failures, at=at)
    if until is not None:
        Officer.objects.filter(pk=officer.pk).update(locked_until=until)
        record_event(
            "officer.locked",
            at=at,
            actor_label="auth_gateway",
            officer=officer,
            data={"failed_logins": failures, "locked_until": until.isoformat()},
        )
        # The only place the officer hears of the lock (the login answers do not say).
        email_officer(
            officer,
            "account_locked",
            at=at,
            until=until,
            until_unlocked=until >= LOCKED_UNTIL_UNLOCKED,
            failures=failures,
        )


def unlock_officer(
    officer: Officer, *, actor: Officer, at: dt.datetime, stepped_up_at: dt.datetime | None
) -> None:
    """An administrator lifts a lock (also the one after 100 failures) and resets the count.
    Needs a fresh code (agencies.step_up)."""
    enforce(may_unlock(actor.actor, officer.subject, at=at, stepped_up_at=stepped_up_at))
    with transaction.atomic():
        Officer.objects.filter(pk=officer.pk).update(failed_logins=0, locked_until=None)
        record_event("officer.unlocked", at=at, actor=actor, officer=officer)
