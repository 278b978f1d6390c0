"""Streaming spreadsheet exports shared by the administrator pages: CSV in UTF-8 with a BOM (so
Excel shows Thai), written row by row, with cells that spreadsheets would run as formulas made
plain text; XLSX with real date cells shown in the Buddhist era, column widths, a frozen header
row and a filter on every column.

A row is a list of cells: text, or a BeDate / BeDateTime for a date a person reads. CSV writes
those as Thai text ("1 ธ.ค. 2569", "1 ธ.ค. 2569 14:39 น."); XLSX as date cells (Bangkok time)
with a Buddhist-calendar number format, so that they sort and filter as dates."""

import csv
import datetime as dt
import itertools
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.http import FileResponse, StreamingHttpResponse

from gfms_portal.clock import BANGKOK
from gfms_portal.thaidate import format_be_date, format_be_datetime

# Excel's number format for a date in the Thai Buddhist calendar: [$-NNCCLLLL] before the
# pattern, with NN the digits (01: 0–9), CC the calendar (07: Thai Buddhist) and LLLL the
# locale (041E: Thai, so "mmm" is ธ.ค.). Excel shows 2026-12-01 as "1 ธ.ค. 2569" and LibreOffice
# reads the calendar nibble on import (its own [~buddhist]), so both show the BE year.
BE_DATE_FORMAT = "[$-107041E]d mmm yyyy"
BE_DATETIME_FORMAT = "[$-107041E]d mmm yyyy hh:mm"
DEFAULT_WIDTH = 16  # characters, for a column the export does not size


@dataclass(frozen=True)
class BeDate:
    """A day (a datetime: its Bangkok day) shown in the Buddhist era."""

    value: dt.date | dt.datetime

    def text(self) -> str:
        return format_be_date(self.value, lang="th")

    def cell_value(self) -> dt.datetime:
        day = (
            self.value.astimezone(BANGKOK).date()
            if isinstance(self.value, dt.datetime)
            else self.value
        )
        return dt.datetime(day.year, day.month, day.day)  # noqa: DTZ001  (a spreadsheet day has no zone)


@dataclass(frozen=True)
class BeDateTime:
    """A moment shown in Bangkok time with a Buddhist-era date."""

    value: dt.datetime

    def text(self) -> str:
        return format_be_datetime(self.value, lang="th")

    def cell_value(self) -> dt.datetime:
        # Spreadsheets have no time zones: the Bangkok wall-clock time, to the minute shown.
        return self.value.astimezone(BANGKOK).replace(tzinfo=None, second=0, microsecond=0)


Cell = str | BeDate | BeDateTime


def _text(cell: Cell) -> str:
    return cell.text() if isinstance(cell, BeDate | BeDateTime) else str(cell)


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(value: str) -> str:
    """A cell a spreadsheet would run as a formula (OWASP's list) is made plain text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_response(rows: Iterable[Sequence[Cell]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    lines = (writer.writerow([safe_cell(_text(cell)) for cell in row]) for row in rows)
    response = StreamingHttpResponse(
        itertools.chain(["\ufeff"], lines), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(
    rows: Iterable[Sequence[Cell]],
    filename: str,
    *,
    sheet: str,
    widths: Sequence[int] = (),
) -> FileResponse:
    """The same rows as an Excel workbook, the first row its header: bold, frozen, with a filter
    over every column; `widths` in characters, column by column (DEFAULT_WIDTH for the rest).
    openpyxl's write-only mode keeps one row in memory; the finished file goes to a temporary
    file on disk and is streamed from there. Text cells are written as text (never a formula),
    dates as date cells in the Buddhist calendar (BE_DATE_FORMAT, BE_DATETIME_FORMAT)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    bold = Font(bold=True)
    columns = 0
    count = 0
    for count, row in enumerate(rows, start=1):
        cells = []
        for cell in row:
            if isinstance(cell, BeDate | BeDateTime):
                written = WriteOnlyCell(worksheet, value=cell.cell_value())
                written.number_format = (
                    BE_DATE_FORMAT if isinstance(cell, BeDate) else BE_DATETIME_FORMAT
                )
            else:
                # Control characters (a line break pasted from Word: \x0b) are not allowed.
                text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", safe_cell(str(cell)))
                written = WriteOnlyCell(worksheet, value=text)
                written.data_type = "s"  # text, whatever it looks like
            if count == 1:
                written.font = bold
            cells.append(written)
        if count == 1:
            # Column widths and the frozen header must be set before the first row is written.
            columns = len(cells)
            for index in range(columns):
                width = widths[index] if index < len(widths) else DEFAULT_WIDTH
                worksheet.column_dimensions[get_column_letter(index + 1)].width = width
            worksheet.freeze_panes = "A2"
        worksheet.append(cells)
    if columns:
        worksheet.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(count, 1)}"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by FileResponse
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
