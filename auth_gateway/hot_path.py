"""The common login, allowed in one statement: on PostgreSQL, a right password and a fresh
soft-token code are decided, consumed and recorded by one round trip after the officer's read.

`check_login` (auth_gateway.services) decides every login under a transaction of five round
trips: lock the officer's row and read its lockout state, consume the code's time step, write
the decision record, commit. For the login that ends in `allow` — by far the most frequent —
the same work is one statement, `_ALLOW` (prepared once per connection: gfms_portal.prepared),
which PostgreSQL runs as one transaction:

1. `o` locks the officer's row (`FOR NO KEY UPDATE`, as `lock_officer_row` does) only if the
   account is active, not locked at `at`, and still has the password hash that was verified
   (a change or reset committed while the hash was computed lets nothing in). Under READ COMMITTED a request that waits for the lock re-reads the row as committed
   by the holder, so a lock that a racing failure has just set filters the row out — exactly
   what `lock_officer_row` sees in the transaction path.
2. `step` consumes the time step — only if it is newer than the last one accepted, and only if
   `o` holds the row and the token is still the active one — the same conditional UPDATE as
   `tokens.services.verify_soft_token`: two racing requests with one code never both succeed.
3. `reset` clears a failure count or a lock that has run out, only when `step` succeeded. It
   asks `o` — the row as committed after the wait — whether there is anything to clear, not
   its own snapshot: a failure committed while this statement waited is cleared too, as the
   transaction path clears it.
4. The decision record is inserted from `step`: written if and only if the login is allowed.

Any other outcome leaves no trace: the statement returns no row and changed nothing, and the
caller decides the login again through the transaction path, which finds the lock, the reused
step or the revoked token and records it. Nothing here decides a refusal, so the two paths
cannot disagree about one: the transaction path is the rule, this is its fast case. The
equivalence is tested in tests/auth_gateway/test_hot_path.py, races included.
"""

import contextlib
import datetime as dt

from django.conf import settings
from django.db import connection, transaction

from agencies.lockout import busy_when_lock_wait_gives_up
from agencies.models import Officer
from auth_gateway.models import LoginDecision
from auth_gateway.policy import Decision, Method, Reason
from gfms_portal.prepared import Prepared
from schedule.policy import Phase
from tokens.models import SoftToken, SoftTokenStatus

_ALLOW = Prepared(
    f"""
WITH o AS (
    SELECT id, failed_logins, locked_until FROM {Officer._meta.db_table}
    WHERE id = $1 AND is_active AND (locked_until IS NULL OR locked_until <= $2)
      AND password = $15
    FOR NO KEY UPDATE
), step AS (
    UPDATE {SoftToken._meta.db_table} t SET last_used_step = $4
    FROM o
    WHERE t.id = $3 AND t.officer_id = o.id AND t.status = $5
      AND (t.last_used_step IS NULL OR t.last_used_step < $4)
    RETURNING t.officer_id
), reset AS (
    UPDATE {Officer._meta.db_table} SET failed_logins = 0, locked_until = NULL
    WHERE id IN (SELECT officer_id FROM step)
      AND EXISTS (SELECT 1 FROM o WHERE o.failed_logins <> 0 OR o.locked_until IS NOT NULL)
)
INSERT INTO {LoginDecision._meta.db_table}
    (at, username, officer_id, unit_id, method, phase, decision, reason, client_id, client_ip,
     request_id)
SELECT $2, $6, step.officer_id, $7, $8, $9, $10, $11, $12, $13, $14
FROM step
RETURNING id
""",  # noqa: S608  (table names from the models; every value is a parameter)
    # $1 officer, $2 at, $3 token, $4 step, $5 active, $6 user id as given, $7 unit,
    # $8 method, $9 phase, $10 allow, $11 ok, $12 client, $13 client IP, $14 request id,
    # $15 the password hash that was verified (a change committed meanwhile: no row)
    types=[
        "bigint",
        "timestamptz",
        "bigint",
        "bigint",
        "text",
        "text",
        "bigint",
        "text",
        "text",
        "text",
        "text",
        "bigint",
        "inet",
        "text",
        "text",
    ],
)


def allow_in_one_statement(
    *,
    officer_id: int,
    unit_id: int | None,
    token_id: int,
    step: int,
    at: dt.datetime,
    username: str,
    phase: Phase,
    client_id: int | None,
    client_ip: str | None,
    request_id: str,
    password_hash: str,
) -> bool:
    """Consume `step` of the officer's active token and record an `allow`, as one transaction
    — True — or change nothing and return False: locked, no longer active, the step already
    used or the token replaced meanwhile. Raises AccountBusy when the officer's row stays
    locked past the lock timeout. PostgreSQL only (`available()`)."""
    # Outside a transaction (production: no ATOMIC_REQUESTS) the statement is its own; inside
    # one (a caller's, or a test's) a savepoint keeps an error from aborting the caller's.
    alone = connection.get_autocommit()
    with (
        busy_when_lock_wait_gives_up(),
        contextlib.nullcontext() if alone else transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _ALLOW.execute(
            cursor,
            [
                officer_id,
                at,
                token_id,
                step,
                SoftTokenStatus.ACTIVE.value,
                username[:150],
                unit_id,
                Method.SOFT_TOKEN.value,
                phase.value,
                Decision.ALLOW.value,
                Reason.OK.value,
                client_id,
                client_ip or None,
                request_id,
                password_hash,
            ],
        )
        return cursor.fetchone() is not None


def available() -> bool:
    """The statement is PostgreSQL's: the SQLite demo, which has no row locks, always takes
    the transaction path (as every database does with GFMS_GATEWAY_ONE_STATEMENT off)."""
    return settings.GFMS_GATEWAY_ONE_STATEMENT and connection.vendor == "postgresql"
