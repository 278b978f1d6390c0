import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agencies.policy import (
    Kind,
    Role,
    Viewer,
    agency_problems,
    can_see_agency,
    citizen_id_with_check_digit,
    is_valid_citizen_id,
    kind_for_code,
    mask_citizen_id,
    normalise_citizen_id,
    parent_code_for,
    path_for,
    random_citizen_id,
)


@pytest.mark.parametrize("citizen_id", ["1101700207030", "3100600445121", "1234567890121"])
def test_valid_citizen_ids(citizen_id: str) -> None:
    assert is_valid_citizen_id(citizen_id)


@pytest.mark.parametrize(
    "citizen_id",
    ["1101700207031", "110170020703", "11017002070300", "11017002070a0", "", "١١٠١٧٠٠٢٠٧٠٣٠"],
)
def test_invalid_citizen_ids(citizen_id: str) -> None:
    assert not is_valid_citizen_id(citizen_id)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_wrong_check_digit_is_caught(first_12_digits: str) -> None:
    good = citizen_id_with_check_digit(first_12_digits)
    assert good.startswith(first_12_digits)
    assert is_valid_citizen_id(good)
    for digit in "0123456789":
        if digit != good[-1]:
            assert not is_valid_citizen_id(good[:-1] + digit)


@pytest.mark.parametrize("citizen_id", ["1101700207030", "3100600445121", "1234567890121"])
def test_check_digit_of_a_known_citizen_id_is_its_last_digit(citizen_id: str) -> None:
    assert citizen_id_with_check_digit(citizen_id[:12]) == citizen_id


@pytest.mark.parametrize(
    "first_12_digits", ["", "11017002070", "1101700207030", "11017002070a", "١١٠١٧٠٠٢٠٧٠٣"]
)
def test_check_digit_of_anything_but_12_ascii_digits_is_refused(first_12_digits: str) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        citizen_id_with_check_digit(first_12_digits)


@given(st.integers(min_value=0, max_value=10**6))
def test_random_citizen_id_is_valid_issued_and_repeatable(seed: int) -> None:
    citizen_id = random_citizen_id(random.Random(seed))
    assert is_valid_citizen_id(citizen_id)
    assert citizen_id[0] in "12345678"
    assert random_citizen_id(random.Random(seed)) == citizen_id


def test_normalise_and_mask() -> None:
    assert normalise_citizen_id("1-1017-00207-03-0") == "1101700207030"
    assert normalise_citizen_id(" 1101700207030 ") == "1101700207030"
    assert mask_citizen_id("1101700207030") == "X-XXXX-XXXX7-03-0"


@pytest.mark.parametrize(
    ("code", "kind", "parent", "path"),
    [
        ("03", Kind.MINISTRY, None, "03/"),
        ("03004", Kind.DEPARTMENT, "03", "03/03004/"),
        ("0300400001", Kind.UNIT, "03004", "03/03004/0300400001/"),
    ],
)
def test_code_levels_and_paths(code: str, kind: Kind, parent: str | None, path: str) -> None:
    assert kind_for_code(code) == kind
    assert parent_code_for(code) == parent
    assert path_for(code) == path


@pytest.mark.parametrize(("code", "message"), [("0300", "4 digits"), ("03A04", "digits only")])
def test_bad_codes_are_explained(code: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        kind_for_code(code)


@pytest.mark.parametrize(
    ("fields", "problem_field"),
    [
        ({"code": "0300400001", "parent_code": "03005", "region": "central"}, "parent_code"),
        ({"code": "0300400001", "parent_code": None, "region": ""}, "region"),
        ({"code": "0300400001", "parent_code": None, "region": "north"}, "region"),
        ({"code": "0300400001", "parent_code": None, "region": "regional"}, "province"),
        ({"code": "03004", "parent_code": None, "region": "central"}, "region"),
        ({"code": "3004", "parent_code": None, "region": ""}, "code"),
    ],
)
def test_a_bad_agency_record_names_the_wrong_field(
    fields: dict[str, str], problem_field: str
) -> None:
    problems = agency_problems(province="", **fields)
    assert problem_field in problems


@pytest.mark.parametrize("region", ["central", "ส่วนกลาง", "regional", "ส่วนภูมิภาค"])
def test_region_in_english_or_thai(region: str) -> None:
    assert (
        agency_problems(code="0300400001", parent_code="03004", region=region, province="เชียงใหม่")
        == {}
    )


@pytest.mark.parametrize(
    ("viewer", "path", "visible"),
    [
        (Viewer(Role.CENTRAL_ADMIN), "21/21004/2100400001/", True),
        (Viewer(Role.AUDITOR), "21/21004/2100400001/", True),
        (Viewer(Role.AGENCY_ADMIN, "03/03004/"), "03/03004/", True),
        (Viewer(Role.AGENCY_ADMIN, "03/03004/"), "03/03004/0300400001/", True),
        (Viewer(Role.AGENCY_ADMIN, "03/03004/"), "03/", False),
        (Viewer(Role.AGENCY_ADMIN, "03/03004/"), "03/03006/0300600001/", False),
        # A prefix of the code string is not a subtree: 0300400001 is not under unit 03004000.
        (Viewer(Role.AGENCY_ADMIN, "03/03004/0300400001/"), "03/03004/0300400011/", False),
        (Viewer(Role.AGENCY_ADMIN, None), "03/", False),
        (Viewer(Role.OFFICER), "03/03004/0300400001/", False),
        (Viewer(Role.CENTRAL_HELPDESK), "21/21004/2100400001/", True),
        (Viewer(Role.HELPDESK, "03/03004/"), "03/03004/0300400001/", True),
        (Viewer(Role.HELPDESK, "03/03004/"), "21/21004/2100400001/", False),
        (Viewer(Role.HELPDESK, None), "03/", False),  # no scope: sees nothing
    ],
)
def test_can_see_agency(viewer: Viewer, path: str, visible: bool) -> None:
    assert can_see_agency(viewer, path) is visible


@pytest.mark.parametrize(
    ("role", "privileged"),
    [
        (Role.OFFICER, False),
        (Role.AGENCY_ADMIN, True),
        (Role.CENTRAL_ADMIN, True),
        (Role.AUDITOR, True),
        (Role.HELPDESK, True),
        (Role.CENTRAL_HELPDESK, True),
    ],
)
def test_every_role_but_the_officer_signs_in_with_a_second_factor(
    role: Role, privileged: bool
) -> None:
    from agencies.policy import is_privileged

    assert is_privileged(role) is privileged
