"""python manage.py import_officers FILE.csv [--dry-run]

Columns: username, name_th, name_en, email, phone, unit_code, citizen_id, role, scope_code,
password_hash (see docs/import.md).
"""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from agencies.csv_import import ImportCommand, Row
from agencies.policy import Role
from agencies.services import OfficerImportContext, OfficerRecord, Outcome, upsert_officer


class Command(ImportCommand):
    help = "Import officer accounts (and optionally their GFMS password hashes) from CSV."
    required = ("username", "name_th", "email")
    optional = (
        "name_en", "phone", "unit_code", "citizen_id", "role", "scope_code", "password_hash",
    )  # fmt: skip
    key_column = "username"
    audit_action = "officers.imported"
    noun = "officers"

    def prepare(self, rows: list[Row], *, path: Path, at: dt.datetime) -> Callable[[Row], Outcome]:
        context = OfficerImportContext.load()

        def apply(row: Row) -> Outcome:
            values = dict(row.values)
            values["role"] = values["role"].lower() or Role.OFFICER
            return upsert_officer(
                OfficerRecord(**values),
                context=context,
                at=at,
                actor_label=f"import_officers {path.name}",
            )

        return apply
