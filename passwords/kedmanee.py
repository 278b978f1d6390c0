"""The Thai Kedmanee keyboard layout (TIS 820-2538) against US QWERTY, key by key.

An officer who types a Latin word while the keyboard is on Thai gets Thai letters
("password" → "ยฟหหไนพก"), and a Thai word typed on the Latin layout becomes Latin
characters. Both are as easy to guess as the word itself, so the blocklist (passwords.policy)
checks a password in both directions.
"""

import re

# US key → Thai character, unshifted then shifted, row by row.
_US = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./"
_TH = "_ๅ/-ภถุึคตจขชๆไำพะัีรนยบลฃฟหกดเ้่าสวงผปแอิืทมใฝ"
_US_SHIFT = '~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>?'
_TH_SHIFT = '%+๑๒๓๔ู฿๕๖๗๘๙๐"ฎฑธํ๊ณฯญฐ,ฅฤฆฏโฌ็๋ษศซ.()ฉฮฺ์?ฒฬฦ'

assert len(_US) == len(_TH) and len(_US_SHIFT) == len(_TH_SHIFT)  # noqa: S101  (a typo here is a bug at import)

TO_THAI = str.maketrans(_US + _US_SHIFT, _TH + _TH_SHIFT)
# The number row holds Thai letters (จ is 0, ค is 8), yet whoever types a word on the wrong
# layout and then a number may well mean the number ("di,[yP=ud]k'2568" is กรมบัญชีกลาง2568,
# not กรมบัญชีกลางๅ/-ภ): the blocklist reads it both ways (typed_on_thai's keep_digits).
# Only the Thai letters map back: a character on both layouts (the digits on the shifted Thai
# keys' US side, say) stays as it is.
_THAI_ONLY = {
    th: us for us, th in zip(_US + _US_SHIFT, _TH + _TH_SHIFT, strict=True) if ord(th) > 0x7F
}
TO_LATIN = str.maketrans(_THAI_ONLY)
# NFKC splits sara am (ำ, one key: e) into nikhahit + sara aa (two keys: Y k).
_SARA_AM_SPLIT = "\u0e4d\u0e32"


def typed_on_thai(text: str, *, keep_digits: int = 0) -> str:
    """What comes out when `text` is typed with the keyboard on Kedmanee; with `keep_digits`
    (n), runs of at least n digits stay digits (a number typed after the word: Thai words
    seldom hold three number-row letters in a row, while คุ and จึ are everywhere)."""
    if not keep_digits:
        return text.translate(TO_THAI)
    return "".join(
        part if part.isdigit() and len(part) >= keep_digits else part.translate(TO_THAI)
        for part in re.split(r"(\d+)", text)
    )


def typed_on_latin(text: str) -> str:
    """The keys pressed to type the Thai in `text`, read on the US layout."""
    return text.replace(_SARA_AM_SPLIT, "\u0e33").translate(TO_LATIN)
