"""Streaming spreadsheet exports shared by the administrator pages: CSV in UTF-8 with a BOM (so
Excel shows Thai), written row by row, with cells that spreadsheets would run as formulas made
plain text."""

import csv
import itertools
from collections.abc import Iterable

from django.http import StreamingHttpResponse


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_response(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    lines = (writer.writerow([safe_cell(str(cell)) for cell in row]) for row in rows)
    response = StreamingHttpResponse(
        itertools.chain(["\ufeff"], lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
