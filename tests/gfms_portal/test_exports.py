"""The shared spreadsheet exports: formulas never run, and text XLSX refuses is replaced
instead of failing the whole export."""

import io

from openpyxl import load_workbook

from gfms_portal.exports import csv_response, safe_cell, xlsx_response
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
