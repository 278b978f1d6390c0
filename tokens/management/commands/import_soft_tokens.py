"""python manage.py import_soft_tokens FILE.csv [--dry-run]

Columns: username, secret (a base32 seed or an otpauth://totp/ URI). See docs/import.md.
"""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from agencies.csv_import import ImportCommand, Row
from agencies.services import Outcome, officers_by_username
from tokens.services import SoftTokenRecord, import_soft_token


class Command(ImportCommand):
    help = "Import TOTP seeds registered elsewhere as officers' active soft tokens."
    required = ("username", "secret")
    key_column = "username"
    audit_action = "soft_tokens.imported"
    noun = "soft tokens"

    def prepare(self, rows: list[Row], *, path: Path, at: dt.datetime) -> Callable[[Row], Outcome]:
        officers = officers_by_username()
        return lambda row: import_soft_token(
            SoftTokenRecord(**row.values),
            officers=officers,
            at=at,
            actor_label=f"import_soft_tokens {path.name}",
        )
