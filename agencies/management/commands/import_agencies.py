"""python manage.py import_agencies FILE.csv [--dry-run]

Columns: code, name_th, name_en, region, province, parent_code (see docs/import.md).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from agencies.csv_import import Row, apply_rows, read_rows, report
from agencies.models import Agency
from agencies.policy import kind_for_code
from agencies.services import AgencyRecord, Outcome, upsert_agency
from gfms_portal.clock import now

REQUIRED = ("code", "name_th")
OPTIONAL = ("name_en", "region", "province", "parent_code")


def _depth(row: Row) -> int:
    try:
        return ("ministry", "department", "unit").index(kind_for_code(row.values["code"]))
    except ValueError:
        return 0  # reported as a bad code when the row is applied


class Command(BaseCommand):
    help = "Import the organisation tree (ministries, departments, disbursement units) from CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        at = now()
        rows = read_rows(path, required=REQUIRED, optional=OPTIONAL)
        # Parents first, whatever order the file has: a unit may come before its department.
        rows.sort(key=lambda row: (_depth(row), row.line))
        known = {agency.code: agency for agency in Agency.objects.all()}

        def apply(row: Row) -> Outcome:
            values = row.values
            return upsert_agency(
                AgencyRecord(
                    code=values["code"],
                    name_th=values["name_th"],
                    name_en=values["name_en"],
                    region=values["region"].lower(),
                    province=values["province"],
                    parent_code=values["parent_code"] or None,
                ),
                known=known,
            )

        summary = apply_rows(
            path,
            rows,
            apply,
            key=lambda row: row.values["code"],
            dry_run=bool(options["dry_run"]),
            progress=lambda done, total: self.stderr.write(f"  {done:,}/{total:,} rows"),
            at=at,
            audit_action="agencies.imported",
        )
        self.stdout.write(report(summary, "agencies"))
