"""The custody table of hardware Token Keys, pair by pair: which act (if any) moves a key from
each state to each other state. Pure rules, no database."""

from collections.abc import Iterator
from itertools import product

import pytest
from django.utils import translation

from tokens.models import TokenKeyState as S
from tokens.policy import (
    TABLE,
    TRANSITIONS,
    Act,
    Row,
    act_problem,
    acts_between,
    lost_act,
    transition_problem,
)

# Written out here, not derived from tokens.policy: changing the table means changing this.
ALLOWED: dict[tuple[str, str], frozenset[Act]] = {
    (S.IN_USE, S.DAMAGED): frozenset({Act.REPORT_DAMAGED}),
    (S.IN_USE, S.HANDED_OVER): frozenset({Act.HAND_OVER}),
    (S.IN_USE, S.LOST): frozenset({Act.REPORT_LOST}),
    (S.IN_USE, S.RECEIVED): frozenset({Act.FOUND_UNLISTED}),
    (S.DUE_FOR_RETURN, S.DAMAGED): frozenset({Act.REPORT_DAMAGED}),
    (S.DUE_FOR_RETURN, S.HANDED_OVER): frozenset({Act.HAND_OVER}),
    (S.DUE_FOR_RETURN, S.LOST): frozenset({Act.REPORT_LOST}),
    (S.DUE_FOR_RETURN, S.RECEIVED): frozenset({Act.FOUND_UNLISTED}),
    (S.DAMAGED, S.HANDED_OVER): frozenset({Act.HAND_OVER}),
    (S.DAMAGED, S.LOST): frozenset({Act.REPORT_LOST}),
    (S.DAMAGED, S.RECEIVED): frozenset({Act.FOUND_UNLISTED}),
    (S.HANDED_OVER, S.IN_SHIPMENT): frozenset({Act.SHIP}),
    (S.HANDED_OVER, S.LOST): frozenset({Act.REPORT_LOST}),
    (S.HANDED_OVER, S.RECEIVED): frozenset({Act.FOUND_UNLISTED}),
    (S.IN_SHIPMENT, S.RECEIVED): frozenset({Act.RECEIVE, Act.RECEIVE_LATE, Act.FOUND_UNLISTED}),
    (S.IN_SHIPMENT, S.LOST): frozenset({Act.LOST_IN_TRANSIT}),
    # The one way out of "lost": the key turns up at CGD in a parcel that does not list it.
    (S.LOST, S.RECEIVED): frozenset({Act.FOUND_UNLISTED}),
}
# The ordinary road (what transition_problem answers); the other acts are CGD's exceptions.
ROAD = frozenset({Act.HAND_OVER, Act.REPORT_DAMAGED, Act.REPORT_LOST, Act.SHIP, Act.RECEIVE})


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("current", "wanted"), list(product(S, repeat=2)))
def test_state_pair_allowed_only_by_its_rows(current: S, wanted: S) -> None:
    acts = ALLOWED.get((current, wanted), frozenset())
    assert acts_between(current, wanted) == acts
    # What _move asks: each act that leads to `wanted` accepts `current` iff it is listed.
    leading = {act for act in Act if TABLE[act].to == wanted}
    assert {act for act in leading if act_problem(act, current) is None} == acts
    on_the_road = bool(acts & ROAD)
    assert (transition_problem(current, wanted) is None) is on_the_road
    assert (wanted in TRANSITIONS[current]) is on_the_road


def test_received_key_has_no_row_out() -> None:
    assert not any(S.RECEIVED in row.sources for row in TABLE.values())
    assert TRANSITIONS[S.RECEIVED] == frozenset()


def test_due_for_return_reached_by_no_act() -> None:
    assert S.DUE_FOR_RETURN not in {row.to for row in TABLE.values()}


def test_table_changed_at_run_time_refused() -> None:
    with pytest.raises(TypeError):
        TABLE[Act.RECEIVE] = Row(frozenset(S), S.RECEIVED)  # type: ignore[index]  # the read-only table's refusal is the point


@pytest.mark.parametrize(
    ("current", "act"),
    [
        (S.IN_SHIPMENT, Act.LOST_IN_TRANSIT),
        *((s, Act.REPORT_LOST) for s in S if s != S.IN_SHIPMENT),
    ],
)
def test_loss_of_a_key_in_state_named_by_its_act(current: S, act: Act) -> None:
    assert lost_act(current) == act


@pytest.mark.parametrize(
    ("language", "act", "current", "message"),
    [
        ("en", Act.REPORT_DAMAGED, S.DAMAGED, "it is already Damaged"),
        ("th", Act.REPORT_DAMAGED, S.DAMAGED, "มีสถานะ ชำรุด อยู่แล้ว"),
        ("en", Act.RECEIVE_LATE, S.LOST, "it is Reported lost and cannot become Received by CGD"),
        ("th", Act.RECEIVE_LATE, S.LOST, "มีสถานะ แจ้งสูญหาย จึงเปลี่ยนเป็น กรมบัญชีกลางรับคืนแล้ว ไม่ได้"),
    ],
)
def test_refused_act_explained_in_english_and_thai(
    language: str, act: Act, current: S, message: str
) -> None:
    with translation.override(language):
        assert act_problem(act, current) == message
        assert transition_problem(current, TABLE[act].to) == message
