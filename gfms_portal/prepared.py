"""Statements PostgreSQL parses and plans once per connection, for the login check's hot path.

psycopg2 sends every statement as text, and PostgreSQL parses and plans it again each time:
for the check's two statements (a read joining three tables, and one statement of four
parts) that was about as much of the server's CPU as running them. A `Prepared` statement is
sent once per connection with PREPARE and then run with EXECUTE, which skips both (PostgreSQL
keeps a generic plan once it is no worse than the custom ones).

Prepared statements live in the server session: a new connection (Django reconnects after an
error or CONN_MAX_AGE) starts with none, so each connection keeps its own list, emptied by
Django's `connection_created` signal. A transaction-mode pooler (PgBouncer before 1.21) would
hand the session to someone else between statements: do not put one between the portal and
PostgreSQL without `max_prepared_statements` (docs/performance.md).
"""

import itertools
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.db.backends.utils import CursorWrapper

_names = itertools.count(1)
INVALID_STATEMENT_NAME = "26000"  # PostgreSQL: prepared statement … does not exist


class Prepared:
    """`sql` with $1…$n placeholders, of the PostgreSQL `types` given, prepared on first use
    in each connection."""

    def __init__(self, sql: str, types: Sequence[str]) -> None:
        self.name = f"gfms_{next(_names)}"
        self.prepare = f"PREPARE {self.name} ({', '.join(types)}) AS {sql}"
        self.run = f"EXECUTE {self.name} ({', '.join(['%s'] * len(types))})"

    def execute(self, cursor: CursorWrapper, params: Sequence[Any]) -> None:
        prepared: set[str] = cursor.db.__dict__.setdefault("gfms_prepared", set())
        if self.name not in prepared:
            cursor.execute(self.prepare)
            prepared.add(self.name)
        try:
            cursor.execute(self.run, params)
        except DatabaseError as error:
            # The session lost it (DEALLOCATE ALL, a pooler handing over the session): prepare
            # again. Outside a transaction the failed EXECUTE left nothing to undo, so it is
            # run once more; inside one the caller's transaction is aborted and the error goes
            # on (the next request prepares it).
            if getattr(error.__cause__, "pgcode", None) != INVALID_STATEMENT_NAME:
                raise
            prepared.discard(self.name)
            if not cursor.db.get_autocommit():
                raise
            cursor.execute(self.prepare)
            prepared.add(self.name)
            cursor.execute(self.run, params)


def _forget(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    connection.__dict__["gfms_prepared"] = set()


connection_created.connect(_forget, dispatch_uid="gfms_portal.prepared")
