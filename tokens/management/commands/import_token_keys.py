"""python manage.py import_token_keys FILE.csv [--dry-run]

Columns: serial, username, public_key_pem (see docs/import.md).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from agencies.csv_import import Row, apply_rows, read_rows, report
from agencies.models import Officer
from agencies.services import Outcome
from gfms_portal.clock import now
from tokens.services import TokenKeyRecord, upsert_token_key

REQUIRED = ("serial", "username", "public_key_pem")


class Command(BaseCommand):
    help = "Import the hardware Token Key inventory (serial, holder, public key) from CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        at = now()
        rows = read_rows(path, required=REQUIRED, optional=())
        officers = {officer.username.lower(): officer for officer in Officer.objects.all()}

        def apply(row: Row) -> Outcome:
            return upsert_token_key(TokenKeyRecord(**row.values), officers=officers, at=at)

        summary = apply_rows(
            path,
            rows,
            apply,
            key=lambda row: row.values["serial"],
            dry_run=bool(options["dry_run"]),
            at=at,
            audit_action="token_keys.imported",
            progress=lambda done, total: self.stderr.write(f"  {done:,}/{total:,} rows"),
        )
        self.stdout.write(report(summary, "Token Keys"))
