"""Thai first: every string of the catalogue is translated, and the compiled catalogue that
Django loads is the one the .po file describes."""

import gettext
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "th" / "LC_MESSAGES"


def test_every_message_has_a_thai_translation() -> None:
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue) > 100


def test_compiled_catalogue_matches_the_po_file() -> None:
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in polib.pofile(str(LOCALE / "django.po")).translated_entries():
        if entry.msgid_plural:
            assert compiled.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert compiled.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert compiled.gettext(entry.msgid) == entry.msgstr, entry.msgid
