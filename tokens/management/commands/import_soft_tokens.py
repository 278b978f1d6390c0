"""python manage.py import_soft_tokens FILE.csv [--dry-run]

Columns: username, secret (a base32 seed or an otpauth://totp/ URI). See docs/import.md.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from agencies.csv_import import Row, apply_rows, read_rows, report
from agencies.models import Officer
from agencies.services import Outcome
from gfms_portal.clock import now
from tokens.services import SoftTokenRecord, import_soft_token


class Command(BaseCommand):
    help = "Import TOTP seeds enrolled elsewhere as officers' active soft tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        at = now()
        rows = read_rows(path, required=("username", "secret"), optional=())
        officers = {officer.username.lower(): officer for officer in Officer.objects.all()}

        def apply(row: Row) -> Outcome:
            return import_soft_token(
                SoftTokenRecord(**row.values),
                officers=officers,
                at=at,
                actor_label=f"import_soft_tokens {path.name}",
            )

        summary = apply_rows(
            path,
            rows,
            apply,
            key=lambda row: row.values["username"],
            dry_run=bool(options["dry_run"]),
            at=at,
            audit_action="soft_tokens.imported",
            progress=lambda done, total: self.stderr.write(f"  {done:,}/{total:,} rows"),
        )
        self.stdout.write(report(summary, "soft tokens"))
