"""The return of hardware Token Keys: hand-over, shipment, reception at CGD, discrepancies."""

import base64
import datetime as dt
from itertools import product

import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import transaction

from agencies.models import Officer
from agencies.policy import Role
from audit.models import AuditEvent
from schedule.policy import CIRCULAR_SCHEDULE
from tests.conftest import PASSWORD
from tests.factories import (
    OfficerFactory,
    ShipmentFactory,
    ShipmentItemFactory,
    TokenKeyFactory,
)
from tokens.custody import (
    CustodyError,
    _move,
    create_shipment,
    discrepancies,
    hand_over,
    mark_shipped,
    receive_late,
    receive_shipment,
    report_lost,
)
from tokens.demo import demo_private_key
from tokens.models import (
    Shipment,
    ShipmentItem,
    ShipmentItemOutcome,
    ShipmentStatus,
    TokenKey,
    TokenKeyState,
)
from tokens.policy import (
    TABLE,
    TRANSITIONS,
    Act,
    effective_state,
    is_overdue,
    transition_problem,
)

pytestmark = pytest.mark.django_db
AFTER = dt.datetime(2025, 4, 20, 3, 0, tzinfo=dt.UTC)
S = TokenKeyState


@pytest.fixture(autouse=True)
def english():
    """The messages are matched in English here; their Thai is checked by test_translations."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("current", "wanted", "allowed"),
    [
        (S.IN_USE, S.HANDED_OVER, True),
        (S.DUE_FOR_RETURN, S.HANDED_OVER, True),
        (S.HANDED_OVER, S.IN_SHIPMENT, True),
        (S.IN_SHIPMENT, S.RECEIVED, True),
        (S.DAMAGED, S.HANDED_OVER, True),
        (S.IN_USE, S.RECEIVED, False),
        (S.HANDED_OVER, S.HANDED_OVER, False),
        (S.RECEIVED, S.IN_USE, False),
        (S.LOST, S.HANDED_OVER, False),
        (S.IN_SHIPMENT, S.IN_USE, False),
    ],
)
def test_the_ordinary_road_allows_exactly_its_moves(
    current: str, wanted: str, allowed: bool
) -> None:
    assert (transition_problem(current, wanted) is None) is allowed
    assert (wanted in TRANSITIONS[current]) is allowed


def test_in_use_becomes_due_at_the_cutover_and_overdue_after_the_due_day() -> None:
    cutover = dt.datetime(2025, 4, 11, 17, 0, tzinfo=dt.UTC)  # 12 Apr 00:00 Bangkok
    assert (
        effective_state(S.IN_USE, at=cutover - dt.timedelta(seconds=1), schedule=CIRCULAR_SCHEDULE)
        == S.IN_USE
    )
    assert effective_state(S.IN_USE, at=cutover, schedule=CIRCULAR_SCHEDULE) == S.DUE_FOR_RETURN
    end_of_due = dt.datetime(2025, 5, 30, 17, 0, tzinfo=dt.UTC)  # 31 May 00:00 Bangkok
    assert not is_overdue(
        S.HANDED_OVER, at=end_of_due - dt.timedelta(seconds=1), schedule=CIRCULAR_SCHEDULE
    )
    assert is_overdue(S.HANDED_OVER, at=end_of_due, schedule=CIRCULAR_SCHEDULE)
    assert not is_overdue(S.RECEIVED, at=end_of_due, schedule=CIRCULAR_SCHEDULE)


@pytest.fixture
def devices(cgd_tree, charlie: Officer, dave: Officer) -> list[TokenKey]:
    second = OfficerFactory.create(username="chai", unit=cgd_tree["cgd_regional"])
    return [
        TokenKeyFactory.create(serial=serial, officer=officer, updated_at=AFTER)
        for serial, officer in [
            ("DEMO-A1", charlie),
            ("DEMO-A2", charlie),
            ("DEMO-B1", second),
            ("DEMO-D1", dave),
        ]
    ]


@pytest.fixture
def unit_admin(cgd_tree) -> Officer:
    return OfficerFactory.create(
        username="unit.admin", role=Role.AGENCY_ADMIN, unit=None, admin_scope=cgd_tree["cgd_unit"]
    )


def test_end_to_end_cutover_to_reception_with_one_serial_missing(
    devices,
    unit_admin: Officer,
    bob: Officer,
    alice: Officer,
    api,
) -> None:
    with time_machine.travel(AFTER, tick=False):
        # The unit hands its two keys over (scanned, one per line); the regional unit its one.
        hand_over("DEMO-A1\nDEMO-A2", actor=unit_admin, at=AFTER)
        hand_over("demo-b1", actor=bob, at=AFTER)
        # The parent agency (bob, 03004) ships all three with a tracking number.
        shipment = create_shipment("DEMO-A1, DEMO-A2, DEMO-B1", actor=bob, at=AFTER)
        mark_shipped(
            shipment, courier="ไปรษณีย์ไทย EMS", tracking_number="EM123456789TH", actor=bob, at=AFTER
        )
        assert set(
            TokenKey.objects.filter(serial__startswith="DEMO-A").values_list("state", flat=True)
        ) == {S.IN_SHIPMENT}
        # CGD opens the parcel: DEMO-A2 is not in it, DEMO-D1 (another agency's) is.
        result = receive_shipment(shipment, "DEMO-A1 DEMO-B1 DEMO-D1", actor=alice, at=AFTER)
    assert result.received == ["DEMO-A1", "DEMO-B1"]
    assert result.missing == ["DEMO-A2"]
    assert result.unexpected == ["DEMO-D1"]
    assert TokenKey.objects.get(serial="DEMO-A1").state == S.RECEIVED
    assert TokenKey.objects.get(serial="DEMO-A2").state == S.IN_SHIPMENT  # for follow-up
    flagged = {(item.serial, item.outcome) for item in discrepancies()}
    assert flagged == {
        ("DEMO-A2", ShipmentItemOutcome.MISSING),
        ("DEMO-D1", ShipmentItemOutcome.UNEXPECTED),
    }
    # 3 hand-overs, 3 shipped, 2 received, and the unexpected DEMO-D1 taken out of use.
    assert AuditEvent.objects.filter(action="token_key.state_changed").count() == 3 + 3 + 2 + 1
    assert TokenKey.objects.get(serial="DEMO-D1").state == S.RECEIVED
    # Receiving twice is refused and changes nothing.
    with pytest.raises(CustodyError, match="already received"):
        receive_shipment(shipment, "DEMO-A2", actor=alice, at=AFTER)


def test_a_handed_over_key_never_signs_a_login_again(devices, unit_admin: Officer, api) -> None:
    window = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(window, tick=False):
        hand_over("DEMO-A1", actor=unit_admin, at=window)
        challenge = api(
            "/api/v1/auth/challenge", {"username": "charlie", "serial": "DEMO-A1"}
        ).json()
        signature = demo_private_key("DEMO-A1").sign(
            base64.b64decode(challenge["challenge"]), ec.ECDSA(hashes.SHA256())
        )
        body = api(
            "/api/v1/auth/check",
            {
                "username": "charlie",
                "password": PASSWORD,
                "method": "token_key",
                "challenge_id": challenge["challenge_id"],
                "signature": base64.b64encode(signature).decode(),
            },
        ).json()
    assert (body["decision"], body["reason"]) == ("deny", "token_key_not_usable")


@pytest.mark.parametrize(
    ("serials", "message"),
    [
        ("DEMO-XX", "DEMO-XX: not a Token Key of your agencies"),
        ("DEMO-D1", "DEMO-D1: not a Token Key of your agencies"),  # another agency's
        ("DEMO-A1 DEMO-A1", "typed 2 times"),
        ("", "No serial was given"),
    ],
)
def test_bad_serials_change_nothing(
    devices, unit_admin: Officer, serials: str, message: str
) -> None:
    typed = f"DEMO-A2 {serials}" if serials else ""
    with pytest.raises(CustodyError) as error:
        hand_over(typed, actor=unit_admin, at=AFTER)
    assert any(message in problem for problem in error.value.problems)
    assert TokenKey.objects.get(serial="DEMO-A2").state == S.IN_USE


def test_already_shipped_and_typed_twice_are_refused(
    devices, unit_admin: Officer, bob: Officer
) -> None:
    hand_over("DEMO-A1", actor=unit_admin, at=AFTER)
    shipment = create_shipment("DEMO-A1", actor=bob, at=AFTER)
    with pytest.raises(CustodyError, match="already in another shipment"):
        create_shipment("DEMO-A1", actor=bob, at=AFTER)
    mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AFTER)
    with pytest.raises(CustodyError, match="already shipped"):
        mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AFTER)
    with pytest.raises(CustodyError, match="cannot become"):
        hand_over("DEMO-A1", actor=unit_admin, at=AFTER)


def test_lost_report_needs_a_statement(devices, unit_admin: Officer) -> None:
    with pytest.raises(CustodyError, match="statement"):
        report_lost("DEMO-A1", "lost", actor=unit_admin, at=AFTER)
    assert TokenKey.objects.get(serial="DEMO-A1").state == S.IN_USE
    report_lost("DEMO-A1", "ทำหายระหว่างเดินทางไปประชุม แจ้งความแล้ว", actor=unit_admin, at=AFTER)
    device = TokenKey.objects.get(serial="DEMO-A1")
    assert device.state == S.LOST and "แจ้งความ" in device.lost_statement


def test_shipping_needs_courier_and_tracking_and_a_parent_agency(
    devices, unit_admin: Officer, bob: Officer
) -> None:
    hand_over("DEMO-A1", actor=unit_admin, at=AFTER)
    with pytest.raises(CustodyError, match="parent agency"):
        create_shipment("DEMO-A1", actor=unit_admin, at=AFTER)
    shipment = create_shipment("DEMO-A1", actor=bob, at=AFTER)
    with pytest.raises(CustodyError) as error:
        mark_shipped(shipment, courier=" ", tracking_number="", actor=bob, at=AFTER)
    assert len(error.value.problems) == 2
    assert TokenKey.objects.get(serial="DEMO-A1").state == S.HANDED_OVER


def test_a_damaged_key_stops_signing_but_still_travels_back(
    devices, unit_admin: Officer, bob: Officer
) -> None:
    from tokens.custody import report_damaged
    from tokens.policy import USABLE_FOR_LOGIN

    report_damaged("DEMO-A1", actor=unit_admin, at=AFTER)
    assert TokenKey.objects.get(serial="DEMO-A1").state == S.DAMAGED
    assert S.DAMAGED not in USABLE_FOR_LOGIN
    with pytest.raises(CustodyError, match="already"):
        report_damaged("DEMO-A1", actor=unit_admin, at=AFTER)
    hand_over("DEMO-A1", actor=unit_admin, at=AFTER)
    assert TokenKey.objects.get(serial="DEMO-A1").state == S.HANDED_OVER


# --- from the review --------------------------------------------------------------------------------


def test_an_unexpected_device_in_a_parcel_never_signs_again(
    devices, unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    hand_over("DEMO-A1", actor=unit_admin, at=AFTER)
    shipment = create_shipment("DEMO-A1", actor=bob, at=AFTER)
    mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AFTER)
    receive_shipment(shipment, "DEMO-A1 demo-d1", actor=alice, at=AFTER)
    assert TokenKey.objects.get(serial="DEMO-D1").state == S.RECEIVED


def test_a_packed_device_cannot_be_reported_lost_and_block_its_parcel(
    devices, unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    hand_over("DEMO-A1 DEMO-A2", actor=unit_admin, at=AFTER)
    shipment = create_shipment("DEMO-A1 DEMO-A2", actor=bob, at=AFTER)
    with pytest.raises(CustodyError, match="packed in shipment"):
        report_lost("DEMO-A2", "หายระหว่างรวบรวมที่หน่วยงาน", actor=bob, at=AFTER)
    mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AFTER)
    result = receive_shipment(shipment, "DEMO-A1", actor=alice, at=AFTER)
    assert result.missing == ["DEMO-A2"]
    with pytest.raises(CustodyError, match="only CGD"):
        report_lost("DEMO-A2", "ไม่พบในพัสดุที่ส่งถึงกรมบัญชีกลาง", actor=bob, at=AFTER)
    report_lost("DEMO-A2", "ไม่พบในพัสดุที่ส่งถึงกรมบัญชีกลาง", actor=alice, at=AFTER)
    assert TokenKey.objects.get(serial="DEMO-A2").state == S.LOST


def test_an_empty_scan_does_not_receive_a_parcel(
    devices, unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    hand_over("DEMO-A1", actor=unit_admin, at=AFTER)
    shipment = create_shipment("DEMO-A1", actor=bob, at=AFTER)
    mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AFTER)
    with pytest.raises(CustodyError, match="No serial"):
        receive_shipment(shipment, " , ;", actor=alice, at=AFTER)
    with pytest.raises(CustodyError, match="too long"):
        receive_shipment(shipment, "X" * 65, actor=alice, at=AFTER)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED


def test_the_database_keeps_a_device_in_one_open_shipment(
    devices, unit_admin: Officer, bob: Officer
) -> None:
    from django.db import IntegrityError, transaction

    hand_over("DEMO-A1", actor=unit_admin, at=AFTER)
    first = create_shipment("DEMO-A1", actor=bob, at=AFTER)
    device = TokenKey.objects.get(serial="DEMO-A1")
    with pytest.raises(IntegrityError), transaction.atomic():  # what a racing second request meets
        second = ShipmentFactory.create(sender=first.sender, created_by=bob, created_at=AFTER)
        ShipmentItemFactory.create(shipment=second, token_key=device)


def test_hand_over_after_the_cutover_is_audited_from_due_for_return(
    devices, unit_admin: Officer
) -> None:
    hand_over("DEMO-A1", actor=unit_admin, at=AFTER)
    event = AuditEvent.objects.get(action="token_key.state_changed")
    assert (event.data["from"], event.data["to"]) == (S.DUE_FOR_RETURN, S.HANDED_OVER)


def test_cancel_a_draft_receive_late_and_resolve(
    devices, unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    from tokens.custody import cancel_shipment, receive_late, resolve_discrepancy

    hand_over("DEMO-A1 DEMO-A2 DEMO-B1", actor=bob, at=AFTER)
    draft = create_shipment("DEMO-A1", actor=bob, at=AFTER)
    with pytest.raises(CustodyError, match="sending agency"):
        mark_shipped(draft, courier="EMS", tracking_number="EM1", actor=unit_admin, at=AFTER)
    cancel_shipment(draft, actor=bob, at=AFTER)
    shipment = create_shipment("DEMO-A1 DEMO-A2 DEMO-B1", actor=bob, at=AFTER)  # free again
    mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AFTER)
    receive_shipment(shipment, "DEMO-A1", actor=alice, at=AFTER)
    receive_late("demo-a2", actor=alice, at=AFTER)
    assert TokenKey.objects.get(serial="DEMO-A2").state == S.RECEIVED
    [left] = discrepancies()
    assert left.serial == "DEMO-B1"
    with pytest.raises(CustodyError, match="at least 5"):
        resolve_discrepancy(left.pk, note="ok", actor=alice, at=AFTER, stepped_up_at=AFTER)
    resolve_discrepancy(
        left.pk,
        note="reported lost by the unit, statement on file",
        actor=alice,
        at=AFTER,
        stepped_up_at=AFTER,
    )
    assert discrepancies() == []


# --- custody by the table -------------------------------------------------------------------------

BEFORE = dt.datetime(2025, 3, 1, 3, 0, tzinfo=dt.UTC)  # before the cutover: "in use" shows as such
MOVES = list(product(Act, TokenKeyState))
ALLOWED_MOVES = [(act, state) for act, state in MOVES if state in TABLE[act].sources]
REFUSED_MOVES = [(act, state) for act, state in MOVES if state not in TABLE[act].sources]
STATE_CHANGED = "token_key.state_changed"


def _forced(serial: str, state: str) -> TokenKey:
    """A key put into `state` behind the services' back (as a bug or a bad script would)."""
    TokenKey.objects.filter(serial=serial).update(state=state)
    return TokenKey.objects.get(serial=serial)


def _ship(serials: str, *, unit_admin: Officer, bob: Officer) -> Shipment:
    hand_over(serials, actor=unit_admin, at=AFTER)
    shipment = create_shipment(serials, actor=bob, at=AFTER)
    return mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AFTER)


def _last_move(serial: str) -> dict[str, object]:
    return AuditEvent.objects.filter(action=STATE_CHANGED, data__serial=serial).latest("pk").data


@pytest.mark.parametrize(("act", "state"), ALLOWED_MOVES)
def test_move_allowed_by_the_table_changes_state_and_audits_it(
    devices: list[TokenKey], alice: Officer, act: Act, state: str
) -> None:
    with transaction.atomic():
        _move(_forced("DEMO-A1", state), act, actor=alice, at=BEFORE)
    assert TokenKey.objects.get(serial="DEMO-A1").state == TABLE[act].to
    event = AuditEvent.objects.get(action=STATE_CHANGED)
    assert (event.data["from"], event.data["to"], event.data["act"]) == (state, TABLE[act].to, act)


@pytest.mark.parametrize(("act", "state"), REFUSED_MOVES)
def test_move_outside_the_table_refused_with_nothing_changed(
    devices: list[TokenKey], alice: Officer, act: Act, state: str
) -> None:
    device = _forced("DEMO-A1", state)
    with pytest.raises(CustodyError, match=r"^DEMO-A1: it is "), transaction.atomic():
        _move(device, act, actor=alice, at=BEFORE)
    stored = TokenKey.objects.get(serial="DEMO-A1")
    assert (stored.state, stored.updated_at) == (state, AFTER)
    assert not AuditEvent.objects.filter(action=STATE_CHANGED).exists()


def test_move_claiming_a_state_the_key_is_not_in_refused_with_nothing_changed(
    devices: list[TokenKey], alice: Officer
) -> None:
    device = _forced("DEMO-A1", S.LOST)
    with pytest.raises(CustodyError, match="changed by someone else"), transaction.atomic():
        _move(device, Act.RECEIVE, actor=alice, at=AFTER, current=S.IN_SHIPMENT)
    assert TokenKey.objects.get(serial="DEMO-A1").state == S.LOST
    assert not AuditEvent.objects.filter(action=STATE_CHANGED).exists()


def test_shipping_a_key_forced_off_its_road_refused_with_nothing_changed(
    devices: list[TokenKey], unit_admin: Officer, bob: Officer
) -> None:
    hand_over("DEMO-A1 DEMO-A2", actor=unit_admin, at=AFTER)
    shipment = create_shipment("DEMO-A1 DEMO-A2", actor=bob, at=AFTER)
    _forced("DEMO-A2", S.RECEIVED)
    audited = AuditEvent.objects.count()
    with pytest.raises(CustodyError, match="DEMO-A2"):
        mark_shipped(shipment, courier="EMS", tracking_number="EM1", actor=bob, at=AFTER)
    shipment.refresh_from_db()
    assert shipment.status == "draft"
    assert TokenKey.objects.get(serial="DEMO-A1").state == S.HANDED_OVER
    assert AuditEvent.objects.count() == audited


def test_lost_key_found_in_a_parcel_received_as_found_unlisted(
    devices: list[TokenKey], unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    report_lost("DEMO-D1", "ทำหายระหว่างเดินทางไปประชุม แจ้งความแล้ว", actor=alice, at=AFTER)
    shipment = _ship("DEMO-A1", unit_admin=unit_admin, bob=bob)
    result = receive_shipment(shipment, "DEMO-A1 DEMO-D1", actor=alice, at=AFTER)
    assert result.unexpected == ["DEMO-D1"]
    device = TokenKey.objects.get(serial="DEMO-D1")
    assert device.state == S.RECEIVED and "แจ้งความ" in device.lost_statement
    event = _last_move("DEMO-D1")
    assert (event["from"], event["to"], event["act"]) == ("lost", "received", "found_unlisted")
    assert (event["shipment"], event["unexpected"]) == (shipment.pk, True)
    assert ShipmentItem.objects.get(serial="DEMO-D1").outcome == ShipmentItemOutcome.UNEXPECTED


def test_received_key_found_in_another_parcel_stays_received_and_is_flagged(
    devices: list[TokenKey], unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    receive_shipment(
        _ship("DEMO-A1", unit_admin=unit_admin, bob=bob), "DEMO-A1", actor=alice, at=AFTER
    )
    moves = AuditEvent.objects.filter(action=STATE_CHANGED, data__serial="DEMO-A1").count()
    with pytest.raises(CustodyError, match="not handed to the parent agency"):
        create_shipment("DEMO-A1", actor=bob, at=AFTER)  # nor listed on a manifest again
    second = _ship("DEMO-A2", unit_admin=unit_admin, bob=bob)
    later = AFTER + dt.timedelta(days=1)
    result = receive_shipment(second, "DEMO-A2 DEMO-A1", actor=alice, at=later)
    assert (result.received, result.unexpected) == (["DEMO-A2"], ["DEMO-A1"])
    device = TokenKey.objects.get(serial="DEMO-A1")
    assert (device.state, device.updated_at) == (S.RECEIVED, AFTER)
    assert AuditEvent.objects.filter(action=STATE_CHANGED, data__serial="DEMO-A1").count() == moves
    assert ("DEMO-A1", ShipmentItemOutcome.UNEXPECTED) in {
        (item.serial, item.outcome) for item in discrepancies()
    }


def test_key_packed_elsewhere_found_unlisted_received_from_its_state(
    devices: list[TokenKey], unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    first = _ship("DEMO-A1", unit_admin=unit_admin, bob=bob)
    _ship("DEMO-A2", unit_admin=unit_admin, bob=bob)  # DEMO-A2 travels in the wrong parcel
    receive_shipment(first, "DEMO-A1 DEMO-A2", actor=alice, at=AFTER)
    assert TokenKey.objects.get(serial="DEMO-A2").state == S.RECEIVED
    event = _last_move("DEMO-A2")
    assert (event["from"], event["act"]) == ("in_shipment", "found_unlisted")


def test_missing_key_written_off_is_lost_in_transit_and_not_received_late(
    devices: list[TokenKey], unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    shipment = _ship("DEMO-A1 DEMO-A2", unit_admin=unit_admin, bob=bob)
    receive_shipment(shipment, "DEMO-A1", actor=alice, at=AFTER)
    report_lost("DEMO-A2", "ไม่พบในพัสดุที่ส่งถึงกรมบัญชีกลาง", actor=alice, at=AFTER)
    assert (_last_move("DEMO-A2")["from"], _last_move("DEMO-A2")["act"]) == (
        "in_shipment",
        "lost_in_transit",
    )
    audited = AuditEvent.objects.count()
    with pytest.raises(CustodyError, match="DEMO-A2: it is Reported lost and cannot become"):
        receive_late("DEMO-A2", actor=alice, at=AFTER)
    assert TokenKey.objects.get(serial="DEMO-A2").state == S.LOST
    assert ShipmentItem.objects.get(serial="DEMO-A2").outcome == ShipmentItemOutcome.MISSING
    assert AuditEvent.objects.count() == audited


def test_missing_key_turning_up_later_received_as_late(
    devices: list[TokenKey], unit_admin: Officer, bob: Officer, alice: Officer
) -> None:
    shipment = _ship("DEMO-A1 DEMO-A2", unit_admin=unit_admin, bob=bob)
    receive_shipment(shipment, "DEMO-A1", actor=alice, at=AFTER)
    receive_late("DEMO-A2", actor=alice, at=AFTER)
    event = _last_move("DEMO-A2")
    assert (event["from"], event["to"], event["act"], event["late"]) == (
        "in_shipment",
        "received",
        "receive_late",
        True,
    )
