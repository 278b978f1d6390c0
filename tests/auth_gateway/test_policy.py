"""The login rules as tables that read like DESIGN.md."""

import datetime as dt
import itertools

import pytest

from agencies.policy import LOCKED_UNTIL_UNLOCKED, is_locked, lock_after
from auth_gateway.policy import Decision, Method, Reason, allowed_methods, method_refusal, verdict
from schedule.policy import Phase

B, W, S = Phase.BEFORE_WINDOW, Phase.WINDOW, Phase.SOFT_TOKEN_ONLY
ST, TK, PW = Method.SOFT_TOKEN, Method.TOKEN_KEY, Method.PASSWORD
OK = None

# (phase, registered, method) → refusal reason (None: the method is allowed)
TABLE = {
    (B, False, ST): Reason.NOT_REGISTERED,
    (B, False, TK): OK,
    (B, False, PW): OK,
    (B, True, ST): OK,
    (B, True, TK): Reason.METHOD_NOT_ALLOWED,
    (B, True, PW): Reason.METHOD_NOT_ALLOWED,
    (W, False, ST): Reason.NOT_REGISTERED,
    (W, False, TK): OK,
    (W, False, PW): OK,
    (W, True, ST): OK,
    (W, True, TK): Reason.METHOD_NOT_ALLOWED,
    (W, True, PW): Reason.METHOD_NOT_ALLOWED,
    (S, False, ST): Reason.NOT_REGISTERED,
    (S, False, TK): Reason.NOT_REGISTERED,
    (S, False, PW): Reason.NOT_REGISTERED,
    (S, True, ST): OK,
    (S, True, TK): Reason.METHOD_NOT_ALLOWED,
    (S, True, PW): Reason.METHOD_NOT_ALLOWED,
}


def test_table_covers_every_combination() -> None:
    assert set(TABLE) == set(itertools.product(Phase, (False, True), Method))


@pytest.mark.parametrize(("phase", "registered", "method"), sorted(TABLE))
def test_each_phase_refuses_the_methods_it_does_not_accept(
    phase: Phase, registered: bool, method: Method
) -> None:
    assert method_refusal(phase, registered, method) == TABLE[phase, registered, method]


# Privileged accounts (administrators, auditors): the registered officer's rule in every phase,
# and nothing at all until they have a soft token.
PRIVILEGED = {
    (phase, registered, method): (
        (OK if method == ST else Reason.METHOD_NOT_ALLOWED) if registered else Reason.NOT_REGISTERED
    )
    for phase, registered, method in itertools.product(Phase, (False, True), Method)
}


@pytest.mark.parametrize(("phase", "registered", "method"), sorted(PRIVILEGED))
def test_privileged_accounts_are_soft_token_only_in_every_phase(
    phase: Phase, registered: bool, method: Method
) -> None:
    expected = PRIVILEGED[phase, registered, method]
    assert method_refusal(phase, registered, method, privileged=True) == expected
    allowed = set(allowed_methods(phase, registered, privileged=True))
    assert allowed == ({ST} if registered else set())


@pytest.mark.parametrize(("phase", "registered"), list(itertools.product(Phase, (False, True))))
def test_allowed_methods_agree_with_the_table(phase: Phase, registered: bool) -> None:
    expected = {m for m in Method if TABLE[phase, registered, m] is None}
    assert set(allowed_methods(phase, registered)) == expected


AT = dt.datetime(2025, 4, 1, 3, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("failures", "locked_for"),
    [
        (0, None),
        (1, None),
        (9, None),
        (10, 15 * MIN),
        (11, None),
        (19, None),
        (20, 30 * MIN),
        (30, 60 * MIN),
        (40, 60 * MIN),  # doubling is capped at one hour
        (90, 60 * MIN),
        (99, None),
    ],
)
def test_failures_lock_for_doubling_periods_up_to_an_hour(
    failures: int, locked_for: dt.timedelta | None
) -> None:
    expected = AT + locked_for if locked_for else None
    assert lock_after(failures, at=AT) == expected


@pytest.mark.parametrize("failures", [100, 101, 150])
def test_hundred_failures_lock_until_an_administrator_unlocks(failures: int) -> None:
    assert lock_after(failures, at=AT) == LOCKED_UNTIL_UNLOCKED
    assert is_locked(LOCKED_UNTIL_UNLOCKED, at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))


def test_lock_ends_exactly_at_its_moment() -> None:
    until = AT + 15 * MIN
    assert is_locked(until, at=until - dt.timedelta(seconds=1))
    assert not is_locked(until, at=until)
    assert not is_locked(None, at=AT)


@pytest.mark.parametrize(
    ("reason", "decision", "counts"),
    [
        (Reason.OK, Decision.ALLOW, False),
        (Reason.INVALID_CREDENTIALS, Decision.DENY, True),
        (Reason.INVALID_OTP, Decision.DENY, True),
        (Reason.OTP_REUSED, Decision.DENY, True),
        (Reason.INVALID_SIGNATURE, Decision.DENY, True),
        (Reason.CHALLENGE_EXPIRED, Decision.DENY, True),
        (Reason.TOKEN_KEY_NOT_USABLE, Decision.DENY, True),
        (Reason.METHOD_NOT_ALLOWED, Decision.DENY, False),
        (Reason.NOT_REGISTERED, Decision.DENY, False),
        (Reason.LOCKED, Decision.DENY, False),
    ],
)
def test_only_ok_allows_and_only_guesses_count_toward_the_lockout(
    reason: Reason, decision: Decision, counts: bool
) -> None:
    assert verdict(reason).decision == decision
    assert verdict(reason).counts_as_failure is counts


def test_every_reason_has_a_verdict() -> None:
    assert {verdict(r).decision for r in Reason} == {Decision.ALLOW, Decision.DENY}
