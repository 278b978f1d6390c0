"""python manage.py import_officers FILE.csv [--dry-run]

Columns: username, name_th, name_en, email, phone, unit_code, citizen_id, role, scope_code,
password_hash (see docs/import.md).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from agencies.csv_import import Row, apply_rows, read_rows, report
from agencies.policy import Role
from agencies.services import OfficerImportContext, OfficerRecord, Outcome, upsert_officer
from gfms_portal.clock import now

REQUIRED = ("username", "name_th", "email")
OPTIONAL = (
    "name_en", "phone", "unit_code", "citizen_id", "role", "scope_code", "password_hash",
)  # fmt: skip


class Command(BaseCommand):
    help = "Import officer accounts (and optionally their GFMS password hashes) from CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        at = now()
        rows = read_rows(path, required=REQUIRED, optional=OPTIONAL)
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

        summary = apply_rows(
            path,
            rows,
            apply,
            key=lambda row: row.values["username"],
            dry_run=bool(options["dry_run"]),
            at=at,
            audit_action="officers.imported",
            progress=lambda done, total: self.stderr.write(f"  {done:,}/{total:,} rows"),
        )
        self.stdout.write(report(summary, "officers"))
