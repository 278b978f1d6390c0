"""python manage.py import_agencies FILE.csv [--dry-run]

Columns: code, name_th, name_en, region, province, parent_code (see docs/import.md).
"""

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from agencies.csv_import import ImportCommand, Row
from agencies.models import Agency
from agencies.policy import kind_for_code
from agencies.services import AgencyRecord, Outcome, upsert_agency


def _depth(row: Row) -> int:
    try:
        return ("ministry", "department", "unit").index(kind_for_code(row.values["code"]))
    except ValueError:
        return 0  # reported as a bad code when the row is applied


class Command(ImportCommand):
    help = "Import the organisation tree (ministries, departments, disbursement units) from CSV."
    required = ("code", "name_th")
    optional = ("name_en", "region", "province", "parent_code")
    key_column = "code"
    audit_action = "agencies.imported"
    noun = "agencies"

    def prepare(self, rows: list[Row], *, path: Path, at: dt.datetime) -> Callable[[Row], Outcome]:
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

        return apply
