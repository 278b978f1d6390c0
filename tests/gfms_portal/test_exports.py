"""The shared spreadsheet exports: formulas never run, text XLSX refuses is replaced instead of
failing the whole export, dates are real date cells shown in the Buddhist calendar (CSV: Thai
text), and the workbook has column widths, a frozen header row and a filter."""

import datetime as dt
import io

from openpyxl import load_workbook

from gfms_portal.exports import (
    BE_DATE_FORMAT,
    BE_DATETIME_FORMAT,
    DEFAULT_WIDTH,
    BeDate,
    BeDateTime,
    Cell,
    csv_response,
    safe_cell,
    xlsx_response,
)
from tests.conftest import streamed_body


def test_cells_a_spreadsheet_would_run_are_made_text() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("สมชาย") == "สมชาย"


def test_xlsx_survives_control_characters_pasted_from_word() -> None:
    response = xlsx_response(
        iter([["หัว"], ["โทรศัพท์หาย\x0bแจ้งโดย"], ["=HYPERLINK(1)"]]), "x.xlsx", sheet="s"
    )
    sheet = load_workbook(io.BytesIO(streamed_body(response))).active
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert values == ["หัว", "โทรศัพท์หาย\ufffdแจ้งโดย", "'=HYPERLINK(1)"]


def test_csv_starts_with_a_bom_and_streams() -> None:
    response = csv_response(iter([["ก", "=1"]]), "x.csv")
    assert streamed_body(response).decode() == "\ufeffก,'=1\r\n"


BKK_NOON = dt.datetime(2026, 12, 1, 5, 39, 27, tzinfo=dt.UTC)  # 12:39:27 in Bangkok
LATE_EVENING = dt.datetime(2026, 12, 1, 18, 30, tzinfo=dt.UTC)  # 2 Dec 01:30 in Bangkok


def workbook_of(response):
    return load_workbook(io.BytesIO(streamed_body(response))).active


def test_xlsx_dates_are_date_cells_in_the_buddhist_calendar() -> None:
    rows: list[list[Cell]] = [
        ["วัน", "เวลา", "ISO"],
        [BeDate(LATE_EVENING), BeDateTime(BKK_NOON), "2026-12-01T12:39:27+07:00"],
        [BeDate(dt.date(2025, 4, 11)), BeDateTime(LATE_EVENING), ""],
    ]
    sheet = workbook_of(xlsx_response(iter(rows), "x.xlsx", sheet="s"))
    day, moment, iso = sheet["A2"], sheet["B2"], sheet["C2"]
    # Real dates (sortable, filterable), in Bangkok time: a Bangkok day, a Bangkok minute.
    assert day.is_date and day.value == dt.datetime.fromisoformat("2026-12-02T00:00")
    assert moment.is_date and moment.value == dt.datetime.fromisoformat("2026-12-01T12:39")
    assert sheet["A3"].value == dt.datetime.fromisoformat("2025-04-11T00:00")
    assert sheet["B3"].value == dt.datetime.fromisoformat("2026-12-02T01:30")
    # ...shown in the Thai Buddhist calendar: calendar 07, Thai locale 041E.
    assert day.number_format == BE_DATE_FORMAT == "[$-107041E]d mmm yyyy"
    assert moment.number_format == BE_DATETIME_FORMAT == "[$-107041E]d mmm yyyy hh:mm"
    # The labelled ISO column stays text.
    assert iso.data_type == "s" and iso.value == "2026-12-01T12:39:27+07:00"


def test_csv_writes_the_same_dates_as_thai_text() -> None:
    rows: list[list[Cell]] = [[BeDate(LATE_EVENING), BeDateTime(BKK_NOON)]]
    body = streamed_body(csv_response(iter(rows), "x.csv")).decode()
    assert body == "\ufeff2 ธ.ค. 2569,1 ธ.ค. 2569 12:39 น.\r\n"


def test_xlsx_has_widths_a_frozen_bold_header_and_a_filter() -> None:
    rows = [["รหัสผู้ใช้", "ชื่อ", "อีเมล"], ["a", "ก", "a@x"], ["b", "ข", "b@x"]]
    sheet = workbook_of(xlsx_response(iter(rows), "x.xlsx", sheet="s", widths=[12, 30]))
    assert sheet.freeze_panes == "A2"  # the header row stays in view
    assert sheet.auto_filter.ref == "A1:C3"  # a filter on every column, over every row
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [12, 30, DEFAULT_WIDTH]
    assert all(cell.font.bold for cell in sheet[1])
    assert not any(cell.font.bold for cell in sheet[2])


def test_a_header_only_xlsx_still_opens_with_its_filter() -> None:
    sheet = workbook_of(xlsx_response(iter([["ก", "ข"]]), "x.xlsx", sheet="s"))
    assert sheet.auto_filter.ref == "A1:B1" and sheet.max_row == 1
