"""The plain soft-token check skips the serializer: it must accept nothing the serializer
refuses, and give the values the serializer would."""

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from auth_gateway.api.serializers import CheckRequestSerializer, plain_soft_token_check
from tests.conftest import examples

TEXT = st.one_of(
    st.text(max_size=160),
    st.sampled_from(["", " ", "charlie", "a\x00b", "ชาลี", "x" * 150, "x" * 151, "\n", "\ud800"]),
)
VALUES = st.one_of(
    TEXT,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)
OTPS = st.one_of(
    st.from_regex(r"\A[0-9]{6}\Z"),
    st.sampled_from(["123456\n", "๑๒๓๔๕๖", "12345", "1234567", " 23456", "12345a", 123456]),
    VALUES,
)
IPS = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(["010.0.0.1", "1.2.3", "256.1.1.1", "::ffff:10.0.0.1", "", " 10.0.0.1"]),
    VALUES,
)
FIELDS = {
    "username": TEXT,
    "password": st.one_of(TEXT, st.just("p" * 1024), st.just("p" * 1025)),
    "method": st.sampled_from(["soft_token", "password", "token_key", "SOFT_TOKEN", 1]),
    "otp": OTPS,
    "client_ip": IPS,
    "request_id": st.one_of(TEXT, st.just("r" * 100), st.just("r" * 101)),
    "challenge_id": st.uuids().map(str),
    "extra": VALUES,
}


# Any character but NUL and lone surrogates, which the serializer refuses.
CHARACTERS = st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"])
VALID = {
    "username": st.text(CHARACTERS, min_size=1, max_size=150),
    "password": st.text(CHARACTERS, min_size=1, max_size=1024),
    "method": st.just("soft_token"),
    "otp": st.from_regex(r"\A[0-9]{6}\Z"),
    "client_ip": st.one_of(st.none(), st.ip_addresses(v=4).map(str)),
    "request_id": st.text(CHARACTERS, max_size=100),
}
REQUIRED = ("username", "password", "method", "otp")


@st.composite
def bodies(draw: st.DrawFn) -> object:
    """A soft-token check, mostly well-formed (so that many are plain), with a few of its
    fields left out, swapped for something odd, or joined by others."""
    if draw(st.integers(0, 20)) == 0:
        return draw(VALUES)  # not an object at all
    optional = draw(st.sets(st.sampled_from(["client_ip", "request_id"])))
    body = {name: draw(VALID[name]) for name in (*REQUIRED, *sorted(optional))}
    for name in draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=2)):
        if draw(st.booleans()) and name in body:
            del body[name]
        else:
            body[name] = draw(FIELDS[name])
    return body


@given(bodies())
@settings(max_examples=examples(400))
@example({"username": "charlie", "password": "pw", "method": "soft_token", "otp": "123456"})
@example(
    {
        "username": "charlie",
        "password": "pw",
        "method": "soft_token",
        "otp": "000000",
        "client_ip": None,
        "request_id": "",
    }
)
def test_plain_bodies_are_exactly_what_the_serializer_makes_of_them(body: object) -> None:
    plain = plain_soft_token_check(body)
    event("plain" if plain is not None else "to the serializer")
    if plain is None:
        return
    serializer = CheckRequestSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    assert plain == dict(serializer.validated_data)


@st.composite
def well_formed(draw: st.DrawFn) -> dict[str, object]:
    optional = draw(st.sets(st.sampled_from(["client_ip", "request_id"])))
    body: dict[str, object] = {name: draw(VALID[name]) for name in (*REQUIRED, *sorted(optional))}
    if "request_id" in body:
        body["request_id"] = str(body["request_id"]).strip()
    return body


@given(well_formed())
@settings(max_examples=examples(200))
def test_every_well_formed_soft_token_check_is_plain(body: dict[str, object]) -> None:
    """So the property above is not true of nothing: the bodies GFMS sends skip the
    serializer, with its values."""
    serializer = CheckRequestSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    assert plain_soft_token_check(body) == dict(serializer.validated_data)


@pytest.mark.parametrize(
    "change",
    [
        {"otp": "123456\n"},
        {"otp": "๑๒๓๔๕๖"},
        {"username": ""},
        {"username": "a\x00"},
        {"client_ip": "010.0.0.1"},
        {"client_ip": "2001:db8::1"},
        {"request_id": "r" * 101},
        {"method": "password"},
        {"signature": "AAAA"},
        {"password": True},
    ],
)
def test_anything_unusual_goes_to_the_serializer(change: dict) -> None:
    body = {"username": "charlie", "password": "pw", "method": "soft_token", "otp": "123456"}
    assert plain_soft_token_check(body) is not None
    assert plain_soft_token_check(body | change) is None
