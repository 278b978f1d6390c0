"""The shipping manifest of a parcel of Token Keys: a Thai PDF printed by the parent agency.

Drawn by WeasyPrint with Sarabun — the full TTF from the fontpkg-sarabun package (never a
generic family, never per-range web-font pieces), embedded in the PDF — so stacked Thai tone
marks come out right on any printer.

Known limit of the text layer (copy/paste, search): WeasyPrint maps each glyph to one
character, and Sarabun draws SARA AM (ำ) with the glyph of SARA AA (า), so a copied "กลาง"
can read "กลำง". Embedding the whole font (`full_fonts=True`) is worse: the raised tone-mark
variants then copy as unrelated symbols. The printed page is right either way.
"""

from pathlib import Path

import fontpkg_sarabun
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from tokens.models import Shipment, ShipmentItemOutcome

SARABUN = Path(fontpkg_sarabun.__file__).parent / "files"


def manifest_pdf(shipment: Shipment) -> bytes:
    # What was sent: serials found only on arrival are not part of the manifest.
    items = list(
        shipment.items.exclude(outcome=ShipmentItemOutcome.UNEXPECTED)
        .select_related("token_key__unit")
        .order_by("serial")
    )
    with translation.override("th"):
        html = render_to_string(
            "tokens/manifest.html",
            {
                "shipment": shipment,
                "items": items,
                "regular": (SARABUN / "Sarabun-Regular.ttf").as_uri(),
                "bold": (SARABUN / "Sarabun-Bold.ttf").as_uri(),
            },
        )
    return HTML(string=html).write_pdf()
