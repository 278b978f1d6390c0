"""The shipping manifest of a parcel of Token Keys: a Thai PDF printed by the parent agency.

Drawn by WeasyPrint with Sarabun — the TTF from the fontpkg-sarabun package (never a generic
family, never per-range web-font pieces), embedded in the PDF — so stacked Thai tone marks come
out right on any printer.

The text layer (copy and paste, search) says what is printed. A PDF maps each glyph to one
text, and WeasyPrint takes it from the first cluster it draws the glyph in; two things in Thai
break that, and both are fixed here:

- SARA AM (ำ) is drawn as NIKHAHIT (ํ) + SARA AA (า), the shaper putting NIKHAHIT before any
  tone mark (น้ำ: น, ํ+้ as one glyph, า). Sarabun uses the same SARA AA glyph for า and for ำ,
  so "กรมบัญชีกลาง" copied as "กรมบัญชีกลำง" once the glyph had been seen in ำ. Our copy of
  the font (`_font_for_pdf`) draws the SARA AA of SARA AM with a glyph of its own (the same
  outline), chosen by one contextual substitution after NIKHAHIT; that glyph copies as ำ and
  NIKHAHIT as nothing.
- A whole cluster (a consonant with its vowel and tone mark) is mapped to its first glyphs by
  WeasyPrint's rule, so a consonant first seen there copied as nothing. Every Thai glyph —
  nominal or a variant such as a raised tone mark or ญ without its tail, all named uniXXXX… in
  Sarabun — copies as its own character(s) instead (`_fix_text_layer`, WeasyPrint's finisher).

A stand-alone NIKHAHIT (Pali, never in names or agencies) therefore does not copy.
"""

import copy
import functools
import hashlib
import re
import tempfile
from pathlib import Path
from typing import Any

import fontpkg_sarabun
from django.template.loader import render_to_string
from django.utils import translation
from fontTools.otlLib.builder import buildCoverage, buildLookup, buildSingleSubstSubtable
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import otTables
from weasyprint import HTML

from tokens.models import Shipment, ShipmentItemOutcome

SARABUN = Path(fontpkg_sarabun.__file__).parent / "files"
WEIGHTS = {"regular": "Sarabun-Regular.ttf", "bold": "Sarabun-Bold.ttf"}
SARA_AA = "uni0E32"
AM_AA = "uni0E32.am"  # the SARA AA drawn as the second half of SARA AM
NIKHAHIT = "\u0e4d"
TONE_MARKS = ("uni0E48", "uni0E49", "uni0E4A", "uni0E4B")
THAI_GLYPH = re.compile(r"uni((?:0E[0-9A-F]{2})+)(?:\..+)?")


def manifest_pdf(shipment: Shipment) -> bytes:
    # What was sent: serials found only on arrival are not part of the manifest.
    items = list(
        shipment.items.exclude(outcome=ShipmentItemOutcome.UNEXPECTED)
        .select_related("token_key__unit")
        .order_by("serial")
    )
    fonts = {weight: _font_for_pdf(name) for weight, name in WEIGHTS.items()}
    with translation.override("th"):
        html = render_to_string(
            "tokens/manifest.html",
            {
                "shipment": shipment,
                "items": items,
                "regular": fonts["regular"][0].as_uri(),
                "bold": fonts["bold"][0].as_uri(),
            },
        )
    texts = {font_name: glyph_texts for _path, font_name, glyph_texts in fonts.values()}
    return HTML(string=html).write_pdf(finisher=lambda _document, pdf: _fix_text_layer(pdf, texts))


@functools.cache
def _font_for_pdf(file_name: str) -> tuple[Path, str, dict[int, str]]:
    """Our copy of a Sarabun face with SARA AM's own SARA AA glyph (written once per process
    into the temporary directory, named by its source's hash), its PostScript name, and the
    text each Thai glyph id stands for."""
    source = SARABUN / file_name
    font = TTFont(source)
    order = font.getGlyphOrder()
    # The new glyph: SARA AA's outline, metrics and class, at the end (the ids of the others
    # do not move).
    font.setGlyphOrder([*order, AM_AA])
    font["glyf"].glyphs[AM_AA] = copy.deepcopy(font["glyf"][SARA_AA])
    font["glyf"].glyphOrder = font.getGlyphOrder()
    font["hmtx"].metrics[AM_AA] = font["hmtx"].metrics[SARA_AA]
    class_defs = font["GDEF"].table.GlyphClassDef.classDefs
    class_defs[AM_AA] = class_defs.get(SARA_AA, 1)
    _substitute_after_nikhahit(font, order)
    font_name = font["name"].getDebugName(6) or source.stem
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / "gfms-manifest-fonts" / f"{digest}-{file_name}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{digest}.part")
        font.save(partial)
        partial.replace(target)  # atomic: another process may be writing the same file
    return target, font_name, _glyph_texts(font)


def _substitute_after_nikhahit(font: TTFont, order: list[str]) -> None:
    """GSUB: SARA AA right after NIKHAHIT (alone, with a tone mark, or in one of Sarabun's
    NIKHAHIT + tone ligatures) becomes AM_AA. Appended last to every 'ccmp' feature, so that it
    runs after the font's own ligatures."""
    gsub = font["GSUB"].table
    glyph_map = {name: index for index, name in enumerate(font.getGlyphOrder())}
    nikhahits = [name for name in order if name.startswith("uni0E4D")]
    tones = [name for name in order if name.startswith(TONE_MARKS)]
    lookups = gsub.LookupList.Lookup
    single = buildLookup([buildSingleSubstSubtable({SARA_AA: AM_AA})])
    lookups.append(single)

    def rule(backtrack: list[list[str]]) -> Any:
        chain = otTables.ChainContextSubst()
        chain.Format = 3
        chain.BacktrackCoverage = [buildCoverage(names, glyph_map) for names in backtrack]
        chain.BacktrackGlyphCount = len(backtrack)
        chain.InputCoverage = [buildCoverage([SARA_AA], glyph_map)]
        chain.InputGlyphCount = 1
        chain.LookAheadCoverage = []
        chain.LookAheadGlyphCount = 0
        record = otTables.SubstLookupRecord()
        record.SequenceIndex = 0
        record.LookupListIndex = len(lookups) - 1  # the single substitution above
        chain.SubstLookupRecord = [record]
        chain.SubstCount = 1
        return chain

    # Backtrack coverages run from the nearest glyph backwards.
    lookups.append(buildLookup([rule([nikhahits]), rule([tones, nikhahits])]))
    gsub.LookupList.LookupCount = len(lookups)
    for record in gsub.FeatureList.FeatureRecord:
        if record.FeatureTag == "ccmp":
            record.Feature.LookupListIndex.append(len(lookups) - 1)
            record.Feature.LookupCount = len(record.Feature.LookupListIndex)


def _glyph_texts(font: TTFont) -> dict[int, str]:
    """The text each Thai glyph stands for in the text layer, by glyph id."""
    texts = {}
    for glyph_id, name in enumerate(font.getGlyphOrder()):
        if name == AM_AA:
            texts[glyph_id] = "ำ"
        elif match := THAI_GLYPH.fullmatch(name):
            hexes = match[1]
            chars = "".join(chr(int(hexes[i : i + 4], 16)) for i in range(0, len(hexes), 4))
            texts[glyph_id] = chars.replace(NIKHAHIT, "")  # NIKHAHIT: half of a SARA AM
    return texts


BF_CHAR = re.compile(rb"<([0-9a-f]{4})> <([0-9a-f]*)>")


def _fix_text_layer(pdf: Any, texts: dict[str, dict[int, str]]) -> None:
    """WeasyPrint's finisher: in the ToUnicode map of each Sarabun font of the PDF, every Thai
    glyph stands for its own text (see the module's docstring)."""
    for font in pdf.objects:
        if not isinstance(font, dict) or font.get("Type") != "/Font" or "ToUnicode" not in font:
            continue
        # "/ABCDEF+Sarabun-Bold"; the regular face is named by its family alone ("+Sarabun").
        name = bytes(font.get("BaseFont", b"")).decode("latin-1").split("+", 1)[-1]
        glyph_texts = texts.get(name) or texts.get(f"{name}-Regular")
        if glyph_texts is None:
            continue
        to_unicode = pdf.objects[int(bytes(font["ToUnicode"]).split()[0])]

        to_unicode.stream = [
            BF_CHAR.sub(functools.partial(_fixed_entry, glyph_texts), line)
            for line in to_unicode.stream
        ]


def _fixed_entry(glyph_texts: dict[int, str], entry: re.Match[bytes]) -> bytes:
    """One `<glyph> <UTF-16BE text>` entry of a ToUnicode map, with our text for Thai glyphs."""
    text = glyph_texts.get(int(entry[1], 16))
    if text is None:
        return entry[0]
    return b"<%s> <%s>" % (entry[1], text.encode("utf-16-be").hex().encode())
