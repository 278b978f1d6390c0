"""Thai first: every string the code marks for translation has a Thai translation in the
committed catalogue, and the compiled catalogue that Django loads is the one the .po file
describes.

The extraction is `make messages`' own (Django's makemessages, GNU gettext), run on a copy of
the source tree in a temporary folder: the repository's locale/ is never rewritten.
"""

import gettext
import os
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locale" / "th" / "LC_MESSAGES"
# As the Makefile's `messages` target runs it.
MAKEMESSAGES_OPTIONS = {
    "locale": ["th"],
    "no_obsolete": True,
    "add_location": "file",
    "ignore_patterns": [".venv/*", "tests/*"],
}
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")

Key = tuple[str | None, str]  # (msgctxt, msgid)


def key(entry: polib.POEntry | polib.MOEntry) -> Key:
    return entry.msgctxt, entry.msgid


def translations(entry: polib.POEntry | polib.MOEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def require_gettext() -> None:
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        reason = (
            f"GNU gettext is not installed ({', '.join(missing)} not found): the check that "
            "every marked string is translated needs it (Debian: apt-get install gettext)"
        )
        if os.environ.get("CI", "").lower() not in {"", "0", "false"}:
            pytest.fail(reason)
        pytest.skip(reason)


def copy_source_tree(target: Path) -> None:
    """The files makemessages reads (.py, .html, .txt), without the repository's locale/ and
    what makemessages skips anyway (hidden folders, STATIC_ROOT, MEDIA_ROOT)."""
    skipped = {ROOT / "locale", Path(settings.STATIC_ROOT)}
    if settings.MEDIA_ROOT:
        skipped.add(Path(settings.MEDIA_ROOT))

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [
            name
            for name in names
            if name.startswith(".")
            or name == "__pycache__"
            or Path(folder, name) in skipped
            or (Path(folder, name).is_file() and Path(name).suffix not in {".py", ".html", ".txt"})
        ]

    shutil.copytree(ROOT, target, ignore=ignore, symlinks=False)


def extract_messages(folder: Path) -> polib.POFile:
    """The messages the code marks for translation today: makemessages' template (.pot), made
    from a copy of the source tree in `folder`."""
    tree = folder / "tree"
    copy_source_tree(tree)
    (tree / "locale" / "th" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(LOCALE / "django.po", tree / "locale" / "th" / "LC_MESSAGES" / "django.po")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "LOCALE_PATHS", [tree / "locale"])
        patch.chdir(tree)  # makemessages reads the current folder
        call_command("makemessages", keep_pot=True, verbosity=0, **MAKEMESSAGES_OPTIONS)
    return polib.pofile(str(tree / "locale" / "django.pot"))


def test_code_strings_without_a_thai_translation_fail(tmp_path: Path) -> None:
    require_gettext()
    extracted = extract_messages(tmp_path)
    committed = {key(entry): entry for entry in polib.pofile(str(LOCALE / "django.po"))}
    problems = []
    for message in extracted:
        entry = committed.get(key(message))
        if entry is None or entry.obsolete:
            problem = "not in the catalogue"
        elif "fuzzy" in entry.flags:
            problem = "fuzzy"
        elif not all(translations(entry)):
            problem = "untranslated"
        else:
            continue
        where = ", ".join(sorted({path for path, _line in message.occurrences}))
        context = f" (context {message.msgctxt!r})" if message.msgctxt else ""
        problems.append(f"{message.msgid!r}{context} from {where}: {problem}")
    assert not problems, (
        f"{len(problems)} marked string(s) without a Thai translation in "
        "locale/th/LC_MESSAGES/django.po (run `make messages`, translate, run it again):\n"
        + "\n".join(problems)
    )
    assert len(extracted) > 100


def test_every_message_of_the_catalogue_has_a_thai_translation() -> None:
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert len(catalogue) > 100


def test_compiled_catalogue_matches_the_po_file() -> None:
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    expected = {key(entry): translations(entry) for entry in catalogue.translated_entries()}
    compiled_entries = polib.mofile(str(LOCALE / "django.mo"))
    compiled = {key(entry): translations(entry) for entry in compiled_entries}
    stale = sorted(
        f"{msgid!r}: .po {expected.get((context, msgid))!r}, .mo {compiled.get((context, msgid))!r}"
        for context, msgid in expected.keys() | compiled.keys()
        if expected.get((context, msgid)) != compiled.get((context, msgid))
    )
    assert not stale, "django.mo is older than django.po (run `make messages`):\n" + "\n".join(
        stale
    )

    # And Django's loader (the standard library's) reads the same from it.
    with (LOCALE / "django.mo").open("rb") as handle:
        loaded = gettext.GNUTranslations(handle)
    for entry in catalogue.translated_entries():
        if entry.msgid_plural:
            assert loaded.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr_plural[0]
        elif entry.msgctxt:
            assert loaded.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr
        else:
            assert loaded.gettext(entry.msgid) == entry.msgstr, entry.msgid
