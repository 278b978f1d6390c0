"""The manifest PDF: the text layer extracts the Thai that is printed (SARA AM and the vowels and
tone marks stacked over a consonant included), Sarabun embedded, a PNG of page 1 kept as a CI
artifact (artifacts/manifest-page1.png)."""

import datetime as dt
import io
from pathlib import Path

import pypdfium2
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from tests.factories import OfficerFactory, TokenKeyFactory
from tokens.custody import create_shipment, hand_over, mark_shipped
from tokens.manifest import manifest_pdf

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
AT = dt.datetime(2025, 4, 20, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def shipment(cgd_tree, bob):
    holders = [
        OfficerFactory.create(username="somchai", name_th="สมชาย ใจดี", unit=cgd_tree["cgd_unit"]),
        OfficerFactory.create(
            username="kamonchanok", name_th="กมลชนก ศรีสุข", unit=cgd_tree["cgd_regional"]
        ),
    ]
    for number, holder in enumerate(holders, start=1):
        TokenKeyFactory.create(serial=f"DEMO-TK-{number:04d}", officer=holder, updated_at=AT)
    hand_over("DEMO-TK-0001 DEMO-TK-0002", actor=bob, at=AT)
    parcel = create_shipment("DEMO-TK-0001 DEMO-TK-0002", actor=bob, at=AT)
    return mark_shipped(
        parcel, courier="ไปรษณีย์ไทย EMS", tracking_number="EM123456789TH", actor=bob, at=AT
    )


def test_manifest_text_layer_font_and_png(shipment) -> None:
    pdf = manifest_pdf(shipment)
    reader = PdfReader(io.BytesIO(pdf))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "ใบนำส่ง",
        "กรมบัญชีกลาง",
        "หมายเลขเครื่อง",
        "สมชาย ใจดี",
        "กมลชนก ศรีสุข",
        "20 เมษายน 2568",
        "DEMO-TK-0002",
        "EM123456789TH",
    ):
        assert expected in text, expected
    fonts = []
    for page in reader.pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        font_table = resources["/Font"]
        assert isinstance(font_table, DictionaryObject)
        for font in font_table.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font)[
                "/FontDescriptor"
            ].get_object()
            fonts.append(
                (str(font["/BaseFont"]), "/FontFile2" in descriptor or "/FontFile3" in descriptor)
            )
    assert fonts and all("Sarabun" in name and embedded for name, embedded in fonts), fonts
    ARTIFACTS.mkdir(exist_ok=True)
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=2).to_pil()
    image.save(ARTIFACTS / "manifest-page1.png")
    assert image.width > 1000


@pytest.fixture
def names_with_every_stack(cgd_tree, bob):
    """Holders whose names put SARA AM after a consonant, after a tone mark, and after an
    ordinary SARA AA elsewhere on the page; a tone mark on a tall consonant; ญ without its tail."""
    names = ["นายสำราญ ใจกล้า", "นางน้ำฝน ทองคำ", "นายฟ้าใส ญาติดี", "นางสาวกาญจนา ช้ำชอง"]
    for number, name in enumerate(names, start=1):
        holder = OfficerFactory.create(
            username=f"stack{number}", name_th=name, unit=cgd_tree["cgd_unit"]
        )
        TokenKeyFactory.create(serial=f"DEMO-TK-{number:04d}", officer=holder, updated_at=AT)
    serials = " ".join(f"DEMO-TK-{number:04d}" for number in range(1, len(names) + 1))
    hand_over(serials, actor=bob, at=AT)
    return create_shipment(serials, actor=bob, at=AT), names


def extracted_lines(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [line for page in reader.pages for line in page.extract_text().splitlines()]


def test_the_text_layer_reads_what_is_printed(names_with_every_stack) -> None:
    shipment, names = names_with_every_stack
    lines = extracted_lines(manifest_pdf(shipment))
    # Whole lines, character for character: the bold title (SARA AM first, then SARA AA), the
    # sender, the column headers, then one row per Token Key with its holder's name.
    assert lines[0] == "ใบนำส่ง GFMS Token Key คืนกรมบัญชีกลาง"
    assert lines[1] == "หน่วยงานผู้ส่ง 03004 กรมบัญชีกลาง"
    assert lines[2] == "ถึง กรมบัญชีกลาง"
    assert "ลำดับ หมายเลขเครื่อง ผู้ถือครอง หน่วยเบิกจ่าย" in lines
    for number, name in enumerate(names, start=1):
        assert f"{number} DEMO-TK-{number:04d} {name} 0300400001" in lines, (name, lines)
    # Nothing of the old mapping is left: SARA AA never reads as SARA AM, nor the reverse.
    text = "\n".join(lines)
    assert "กลำง" not in text and "หมำย" not in text and "สาราญ" not in text
