"""python manage.py import_token_keys FILE.csv [--dry-run]

Columns: serial, username, public_key_pem (see docs/import.md).
"""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from agencies.csv_import import ImportCommand, Row
from agencies.services import Outcome, officers_by_username
from tokens.services import TokenKeyRecord, upsert_token_key


class Command(ImportCommand):
    help = "Import the hardware Token Key inventory (serial, holder, public key) from CSV."
    required = ("serial", "username", "public_key_pem")
    key_column = "serial"
    audit_action = "token_keys.imported"
    noun = "Token Keys"

    def prepare(self, rows: list[Row], *, path: Path, at: dt.datetime) -> Callable[[Row], Outcome]:
        officers = officers_by_username()
        return lambda row: upsert_token_key(TokenKeyRecord(**row.values), officers=officers, at=at)
