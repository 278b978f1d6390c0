"""The password rules (passwords.policy, through Django's validators): length after NFKC,
the common list, the account's context words, patterns — each also typed on the other keyboard
layout (Kedmanee ↔ US QWERTY) — and the NFKC hasher."""

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from agencies.models import Officer
from passwords import policy
from passwords.kedmanee import typed_on_latin, typed_on_thai
from passwords.policy import Problem
from passwords.validators import common_passwords
from tests.factories import OfficerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def somchai(cgd_tree) -> Officer:
    return OfficerFactory.create(
        username="somchai.j",
        name_th="สมชาย ใจดี",
        name_en="Somchai Jaidee",
        email="somchai.j@cgd.go.th",
        unit=cgd_tree["cgd_unit"],
    )


def problems_of(password: str, officer: Officer | None) -> set[str]:
    try:
        validate_password(password, officer)
    except ValidationError as error:
        return {str(e.code) for e in error.error_list}
    return set()


RULES = [
    # length: 15 to 128 code points after NFKC
    ("purple otter 12", set()),
    ("purple otter 1", {"too_short"}),
    ("ก" * 14, {"too_short", "pattern"}),
    ("แมวดำกินปลาทูทอด", set()),  # Thai, marks counted as characters (16 after NFKC)
    ("ｐｕｒｐｌｅ ｏｔｔｅｒ 12", set()),  # full-width letters are the same password
    ("\ufdfa", {"too_short"}),  # one ligature typed, 18 characters after NFKC: still short
    ("\ufdfa" * 3 + "abc", {"too_short"}),
    ("purple otter " + "reads " * 19 + "a", set()),  # 128
    ("purple otter " + "reads " * 19 + "ab", {"too_long"}),  # 129
    # the common list, as it is or with digits and symbols around it
    ("password", {"too_short", "common"}),
    ("Password2025!!!!!!", {"common"}),
    ("qwertyuiop123456", {"common"}),
    # …and typed with the keyboard on Thai (Kedmanee) when the Latin word was meant
    ("ยฟหหไนพก2025!!!!!!", {"common_other_layout"}),
    ("ยฟหหไนพกๅ/-ภถุึคตจ", {"common_other_layout"}),  # the digits typed on Thai too
    # the account's context: user id, names, e-mail, unit, the service
    ("somchai.j-2025-0101", {"context"}),
    ("Somchai Jaidee 2568!", {"context"}),
    ("สมชายใจดี12345678", {"context"}),
    ("gfms-gfms-2025-01", {"context"}),
    ("CGD@2025@2025@2025", {"context"}),
    ("กรมบัญชีกลาง12345678", {"context"}),
    ("0300400001-0300400001", {"context"}),
    # …typed on the other layout, both ways
    ("di,[yP=ud]k'12345678", {"context_other_layout"}),  # กรมบัญชีกลาง on US QWERTY
    ("หนทแ้ฟรใ่2025@01@01", {"context_other_layout"}),  # somchai.j on Kedmanee
    # patterns
    ("aaaaaaaaaaaaaaaa", {"pattern"}),
    ("abcabcabcabcabcabc", {"pattern"}),
    ("123456789012345", {"pattern"}),
    ("987654321098765", {"pattern"}),
    # passphrases pass, whatever the script, and may contain a context word among others
    ("correct horse battery staple", set()),
    ("ฝนตกที่เชียงใหม่ทุกเย็นวันศุกร์", set()),
    ("somchai likes mango sticky rice", set()),
]


@pytest.mark.parametrize(("password", "expected"), RULES)
def test_the_rules_table(somchai: Officer, password: str, expected: set[str]) -> None:
    assert problems_of(password, somchai) == expected


def test_the_layout_tables_go_both_ways() -> None:
    assert typed_on_thai("password") == "ยฟหหไนพก"
    assert typed_on_latin("ยฟหหไนพก") == "password"
    assert typed_on_latin("กรมบัญชีกลาง") == "di,[yP=ud]k'"
    assert typed_on_thai("di,[yP=ud]k'") == "กรมบัญชีกลาง"
    # NFKC splits sara am into two characters; read back, it is still the one key (e).
    assert typed_on_latin(policy.normalise("ทำ")) == "me"
    assert typed_on_thai("l,=kp.0fu") == "สมชายใจดี"  # จ is the 0 key
    assert typed_on_thai("2568", keep_digits=1) == "2568"
    assert typed_on_thai("l,=kp.0fu@2568", keep_digits=3) == "สมชายใจดี๑2568"


def test_a_thai_name_typed_on_the_latin_layout_is_refused(somchai: Officer) -> None:
    # (A separator typed on the wrong layout may itself be a Thai letter: "-" is ข. Those
    # that are not — @ ! _ and the digits — are read as separators.)
    typed = typed_on_latin("สมชายใจดี") + "@2568!2568"
    assert problems_of(typed, somchai) == {"context_other_layout"}


def test_every_common_password_of_djangos_list_is_refused_on_either_layout() -> None:
    common = common_passwords()
    assert len(common) > 19_000
    sample = [word for word in sorted(common) if word.isascii() and word.isalpha()][::250]
    assert len(sample) > 30
    for word in sample:
        padded = word + "2568!" * 3
        found = set(policy.problems(padded, common=common, context=frozenset()))
        assert found & {Problem.COMMON, Problem.PATTERN}, word
        on_thai = typed_on_thai(word) + "2568!" * 3
        found = set(policy.problems(on_thai, common=common, context=frozenset()))
        assert found & {Problem.COMMON_OTHER_LAYOUT, Problem.COMMON, Problem.PATTERN}, word


def test_without_an_account_the_service_words_still_count() -> None:
    assert problems_of("gfms2025gfms2025", None) == {"context"}
    assert problems_of("purple otter reads maps", None) == set()


def test_the_messages_are_thai_and_name_the_problem(somchai: Officer) -> None:
    with translation.override("th"), pytest.raises(ValidationError) as raised:
        validate_password("somchai2025", somchai)
    text = " ".join(raised.value.messages)
    assert "สั้นเกินไป" in text and "15" in text and "11" in text
    assert "รหัสผู้ใช้" in text


def test_the_hasher_normalises_with_nfkc(settings) -> None:
    settings.PASSWORD_HASHERS = ["passwords.hashers.Argon2idNfkcHasher"]
    sara_am = "ทำงานที่กรมทุกวันจันทร์"  # ำ as one character (U+0E33)
    split = sara_am.replace("\u0e33", "\u0e4d\u0e32")  # as some phone keyboards type it
    assert split != sara_am
    encoded = make_password(sara_am)
    assert encoded.startswith("argon2nfkc$argon2id$")
    assert check_password(split, encoded) and check_password(sara_am, encoded)
    assert not check_password("ทำงานที่กรมทุกวันอังคาร", encoded)


def test_a_hash_made_before_normalising_still_verifies_and_is_made_again(settings) -> None:
    """An Argon2 hash of the password exactly as typed (before this hasher) still verifies,
    and the right password re-makes it with NFKC (one hash per refusal from then on)."""
    from gfms_portal.hashers import Argon2idHasher

    sara_am = "ทำงานที่กรมทุกวันจันทร์"
    legacy = Argon2idHasher().encode(sara_am, Argon2idHasher().salt())
    assert legacy.startswith("argon2$argon2id$")
    settings.PASSWORD_HASHERS = [
        "passwords.hashers.Argon2idNfkcHasher",
        "gfms_portal.hashers.Argon2idHasher",
    ]
    upgraded: list[str] = []
    assert check_password(sara_am, legacy, setter=upgraded.append)
    assert upgraded == [sara_am]
    assert not check_password("something else entirely", legacy)
