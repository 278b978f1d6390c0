"""Streaming spreadsheet exports shared by the administrator pages: CSV in UTF-8 with a BOM (so
Excel shows Thai), written row by row, with cells that spreadsheets would run as formulas made
plain text."""

import csv
import itertools
import tempfile
from collections.abc import Iterable

from django.http import FileResponse, StreamingHttpResponse


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(value: str) -> str:
    """A cell a spreadsheet would run as a formula (OWASP's list) is made plain text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_response(rows: Iterable[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    lines = (writer.writerow([safe_cell(str(cell)) for cell in row]) for row in rows)
    response = StreamingHttpResponse(
        itertools.chain(["\ufeff"], lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(rows: Iterable[list[str]], filename: str, *, sheet: str) -> FileResponse:
    """The same rows as an Excel workbook. openpyxl's write-only mode keeps one row in memory;
    the finished file goes to a temporary file on disk and is streamed from there. Every cell is
    written as text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    for row in rows:
        # Control characters (a line break pasted from Word: \x0b) are not allowed in XLSX.
        worksheet.append(
            [ILLEGAL_CHARACTERS_RE.sub("\ufffd", safe_cell(str(cell))) for cell in row]
        )
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
