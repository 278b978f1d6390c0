"""TOTP against the RFC test vectors, the ±1 step window, and one-time use of each step."""

import datetime as dt

import pytest

from tests.factories import DEMO_SECRET, SoftTokenFactory
from tokens import totp
from tokens.models import SoftTokenStatus
from tokens.services import TotpResult, verify_soft_token

# RFC 4226 appendix D: HOTP values for the secret "12345678901234567890", counters 0–9.
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]  # fmt: skip

# RFC 6238 appendix B (SHA-1): Unix time → 8-digit TOTP; ours are the last 6 digits.
RFC6238 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


def at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


@pytest.mark.parametrize(("counter", "code"), list(enumerate(RFC4226)))
def test_rfc4226_hotp_vectors(counter: int, code: str) -> None:
    assert totp.code_at_step(DEMO_SECRET, counter) == code


@pytest.mark.parametrize(("seconds", "code8"), RFC6238)
def test_rfc6238_totp_vectors(seconds: int, code8: str) -> None:
    step = totp.time_step(at(seconds))
    assert step == seconds // 30
    assert totp.code_at_step(DEMO_SECRET, step) == code8[-6:]
    assert totp.matching_steps(DEMO_SECRET, code8[-6:], at=at(seconds)) == [step]


def test_window_accepts_one_step_either_side_only() -> None:
    moment = at(1234567890)
    step = totp.time_step(moment)
    for offset, accepted in [(-2, False), (-1, True), (0, True), (1, True), (2, False)]:
        code = totp.code_at_step(DEMO_SECRET, step + offset)
        assert bool(totp.matching_steps(DEMO_SECRET, code, at=moment)) is accepted, offset


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", " 89005924"])
def test_malformed_codes_never_match(code: str) -> None:
    assert totp.matching_steps(DEMO_SECRET, code, at=at(1234567890)) == []


def test_secret_bits_and_normalisation() -> None:
    assert totp.secret_bits(DEMO_SECRET) == 160
    assert totp.secret_bits("gezd gnbv-gy3t qojq") == 80
    assert totp.normalise_secret("gezd gnbv-gy3t qojq==") == "GEZDGNBVGY3TQOJQ"
    assert totp.secret_bits(totp.new_secret()) == 160
    with pytest.raises(ValueError, match="base32"):
        totp.secret_bits("not base32 at all 1")


def test_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        totp.time_step(dt.datetime(2025, 1, 1))  # noqa: DTZ001


@pytest.mark.django_db
def test_a_time_step_is_accepted_once() -> None:
    token = SoftTokenFactory.create()
    moment = at(1234567890)
    code = totp.code_at_step(DEMO_SECRET, totp.time_step(moment))
    assert verify_soft_token(token, code, at=moment) == TotpResult.OK
    assert verify_soft_token(token, code, at=moment) == TotpResult.REUSED
    # The previous step's code is older than the step just used: also refused.
    previous = totp.code_at_step(DEMO_SECRET, totp.time_step(moment) - 1)
    assert verify_soft_token(token, previous, at=moment) == TotpResult.REUSED
    # The next step is fresh.
    later = moment + dt.timedelta(seconds=30)
    assert (
        verify_soft_token(token, totp.code_at_step(DEMO_SECRET, totp.time_step(later)), at=later)
        == TotpResult.OK
    )
    assert verify_soft_token(token, "000000", at=later) in (TotpResult.INVALID, TotpResult.REUSED)


@pytest.mark.django_db
def test_revoked_token_never_accepts_a_code() -> None:
    token = SoftTokenFactory.create(status=SoftTokenStatus.REVOKED)
    moment = at(1234567890)
    code = totp.code_at_step(DEMO_SECRET, totp.time_step(moment))
    assert verify_soft_token(token, code, at=moment) != TotpResult.OK
