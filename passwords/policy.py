"""What makes a password acceptable: NIST SP 800-63B-4 (§3.1.1.2), as docs/passwords.md
argues it. Pure: plain values in, the problems out.

- Length after NFKC normalisation, in Unicode code points: at least MIN_LENGTH (15 — the
  password is the only factor at the portal's sign-in for officers and at the gateway while a
  phase accepts passwords alone), at most MAX_LENGTH (128: the standard asks that at least
  64 be allowed).
- Any Unicode character (Thai included); no composition rules, no expiry.
- Refused: a commonly used password; one made only of context words (the user id, the
  officer's name, their agency's code, the service's names) with digits, symbols or
  repetitions around them; one short pattern repeated or a run of consecutive characters —
  each also when typed with the keyboard on the other layout (Thai Kedmanee ↔ US QWERTY).
"""

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from passwords.kedmanee import typed_on_latin, typed_on_thai

MIN_LENGTH = 15
MAX_LENGTH = 128
# Words anyone would try first against this service, in both scripts.
SERVICE_WORDS = (
    "gfms",
    "gfmis",
    "cgd",
    "softtoken",
    "soft token",
    "token",
    "comptroller",
    "กรมบัญชีกลาง",
    "บัญชีกลาง",
    "กรมบัญชี",
    "ซอฟต์โทเคน",
)
SHORTEST_CONTEXT_WORD = 3  # shorter parts of a name ("ณ") are not worth refusing


class Problem(StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    COMMON_OTHER_LAYOUT = "common_other_layout"
    CONTEXT = "context"
    CONTEXT_OTHER_LAYOUT = "context_other_layout"
    PATTERN = "pattern"


def normalise(password: str) -> str:
    """NFKC, as the hasher applies it (passwords.hashers): what is counted and stored."""
    return unicodedata.normalize("NFKC", password)


def length(password: str) -> int:
    """Characters counted for the rules: the smaller of what was typed and its NFKC form, so
    that neither a decomposed vowel (longer typed) nor a ligature such as U+FDFA (one typed
    character, eighteen after NFKC) makes a short password long enough."""
    return min(len(password), len(normalise(password)))


def _fold(text: str) -> str:
    return normalise(text).casefold()


def _letters(text: str) -> str:
    """The letters and combining marks (Thai vowels and tone marks are marks) of `text`."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LM")


def _versions(password: str) -> list[tuple[str, bool]]:
    """The password as typed, then as it would read on the other layout: (text, other layout)."""
    folded = _fold(password)
    others = {
        _fold(typed_on_thai(password)),
        _fold(typed_on_thai(password, keep_digits=1)),
        _fold(typed_on_thai(password, keep_digits=3)),
        _fold(typed_on_latin(normalise(password))),
    }
    return [(folded, False), *((text, True) for text in sorted(others - {folded}))]


def is_common(folded: str, common: frozenset[str]) -> bool:
    """On the list as it is, or once the digits and symbols around its letters are dropped
    ("Password2025!!!!" is "password")."""
    core = _letters(folded)
    return folded.strip() in common or (bool(core) and core in common)


def is_made_of(folded: str, words: Iterable[str]) -> bool:
    """Nothing but these words (folded), digits, symbols and spaces."""
    rest, found = folded, False
    for word in sorted(words, key=len, reverse=True):
        if word and word in rest:
            rest, found = rest.replace(word, " "), True
    return found and not _letters(rest)


_UNIT = re.compile(r"^(.{1,4}?)\1+$", re.DOTALL)


def is_pattern(folded: str) -> bool:
    """One short unit repeated ("aaaa…", "abcabc…") or a run of consecutive characters
    ("123456789012345", "abcdefghijklmno"; digits wrap round 9 → 0)."""
    if _UNIT.match(folded):
        return True
    steps = {_step(a, b) for a, b in itertools.pairwise(folded)}
    return len(steps) == 1 and steps <= {1, -1}


def _step(a: str, b: str) -> int:
    if a.isdigit() and b.isdigit():
        return (int(b) - int(a) + 5) % 10 - 5  # 9 → 0 is one step up
    return ord(b) - ord(a)


def context_words(*values: str) -> frozenset[str]:
    """The words of a user's context, folded: each value whole, and each part of it of at
    least SHORTEST_CONTEXT_WORD characters (a name's given name and surname), plus the
    service's names."""
    words: set[str] = {_fold(word) for word in SERVICE_WORDS}
    for value in values:
        folded = _fold(value or "").strip()
        if not folded:
            continue
        words.add(folded)
        words.update(
            part for part in re.split(r"[\s._@-]+", folded) if len(part) >= SHORTEST_CONTEXT_WORD
        )
    return frozenset(words)


@dataclass(frozen=True)
class Rules:
    min_length: int = MIN_LENGTH
    max_length: int = MAX_LENGTH


def problems(
    password: str,
    *,
    common: frozenset[str],
    context: frozenset[str],
    rules: Rules = Rules(),
) -> list[Problem]:
    """Every problem with `password` (empty: acceptable). `common` holds folded common
    passwords, `context` the folded context words (context_words)."""
    found: list[Problem] = []
    size = length(password)
    if size < rules.min_length:
        found.append(Problem.TOO_SHORT)
    if len(normalise(password)) > rules.max_length:  # what is hashed
        found.append(Problem.TOO_LONG)
    versions = _versions(password)
    if any(is_pattern(text) for text, _other in versions):
        found.append(Problem.PATTERN)
    elif problem := _first(versions, lambda text: is_common(text, common), Problem.COMMON):
        found.append(problem)
    if problem := _first(versions, lambda text: is_made_of(text, context), Problem.CONTEXT):
        found.append(problem)
    return found


def _first(
    versions: list[tuple[str, bool]], refused: Callable[[str], bool], problem: Problem
) -> Problem | None:
    """`problem` if the password as typed is refused, its other-layout twin if only a
    version typed on the other layout is."""
    for text, other_layout in versions:
        if refused(text):
            return Problem(f"{problem.value}_other_layout") if other_layout else problem
    return None
