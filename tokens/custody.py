"""What happens to hardware Token Keys after the cutover: units hand them to their parent
agency, the parent agency ships them to CGD with a manifest, CGD checks each serial in.

Every change of state goes through `_move`: it names an act of the table in tokens.policy,
which must allow it from the state we saw, and is one conditional UPDATE (from that state to
the act's) with its audit row in the same transaction; a batch is all-or-nothing and names
every bad serial.
"""

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from agencies.models import Officer
from agencies.permissions import (
    Refusal,
    StepUpRequired,
    Verdict,
    may_cancel_shipment,
    may_hand_over,
    may_pack,
    may_receive,
    may_report_lost,
    may_resolve_discrepancy,
    may_ship,
)
from agencies.scope import agencies_visible_to
from audit.services import record_event
from gfms_portal.digits import ascii_digits
from gfms_portal.thaidate import format_be_datetime
from schedule.models import Schedule
from tokens.models import (
    Shipment,
    ShipmentItem,
    ShipmentItemOutcome,
    ShipmentStatus,
    TokenKey,
    TokenKeyState,
)
from tokens.policy import TABLE, Act, act_problem, effective_state, lost_act

LOST_STATEMENT_MIN = 10
MAX_SERIAL = 64
_SEPARATORS = re.compile(r"[\s,;]+")


class CustodyError(Exception):
    """Nothing was changed; `problems` says why, one line per serial or field."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _require(verdict: Verdict, refused: str) -> None:
    """agencies.permissions decides; custody answers a refusal with its own sentence."""
    if verdict.refusal is Refusal.STEP_UP:
        raise StepUpRequired
    if not verdict.allowed:
        raise CustodyError([refused])


def _may_record(actor: Officer, devices: list[TokenKey]) -> None:
    """Hand-over, damage and loss are recorded by the administrators who act (not auditors)
    for keys of their own subtree (_load already left the others out)."""
    for device in devices:
        _require(
            may_hand_over(actor.actor, device.unit.path),
            _("Only an agency administrator or CGD records what happens to a Token Key."),
        )


def parse_serials(text: str) -> list[str]:
    """Serials typed or scanned: one per line, or separated by spaces, commas or semicolons;
    Thai digits are digits (DEMO-TK-๐๐๔๒ is DEMO-TK-0042)."""
    return [serial for serial in _SEPARATORS.split(ascii_digits(text or "")) if serial]


@dataclass(frozen=True)
class _Batch:
    devices: list[TokenKey]
    problems: list[str]


def _load(serials: list[str], actor: Officer) -> _Batch:
    """The devices behind `serials`, inside the actor's scope; duplicates and strangers are
    problems. Devices of other agencies answer like unknown serials."""
    problems: list[str] = []
    counts = Counter(serial.upper() for serial in serials)
    for serial, times in counts.items():
        if times > 1:
            problems.append(
                _("%(serial)s: typed %(times)d times") % {"serial": serial, "times": times}
            )
    if not serials:
        problems.append(_("No serial was given."))
    too_long = [serial for serial in serials if len(serial) > MAX_SERIAL]
    for serial in too_long:
        problems.append(_("%(serial)s…: not a serial (too long)") % {"serial": serial[:20]})
    serials = [serial for serial in serials if len(serial) <= MAX_SERIAL]
    visible_units = agencies_visible_to(actor.viewer).values("pk")
    found = {
        device.serial.upper(): device
        for device in TokenKey.objects.annotate(serial_upper=Upper("serial"))
        .filter(unit__in=visible_units, serial_upper__in={serial.upper() for serial in serials})
        .select_related("officer", "unit")
    }
    devices: list[TokenKey] = []
    for serial in dict.fromkeys(serials):
        device = found.get(serial.upper())
        if device is None:
            problems.append(_("%(serial)s: not a Token Key of your agencies") % {"serial": serial})
        else:
            devices.append(device)
    return _Batch(devices, problems)


def _move(
    device: TokenKey,
    act: Act,
    *,
    actor: Officer,
    at: dt.datetime,
    current: str | None = None,
    **data: object,
) -> None:
    """The one place a key changes state. The table must allow `act` from the state we saw (as
    officers see it: "due for return" after the cutover), or nothing changes; then one
    conditional UPDATE from that state, so a concurrent change makes it fail. The audit row
    records the state as officers see it and the act."""
    seen = current or device.state
    shown = effective_state(seen, at=at, schedule=Schedule.load().dates)
    if problem := act_problem(act, shown):
        raise CustodyError([f"{device.serial}: {problem}"])
    to = TABLE[act].to
    updated = TokenKey.objects.filter(pk=device.pk, state=seen).update(
        state=to,
        updated_at=at,
        **{key: value for key, value in data.items() if key == "lost_statement"},
    )
    if not updated:
        raise CustodyError(
            [
                _("%(serial)s: changed by someone else meanwhile; try again")
                % {"serial": device.serial}
            ]
        )
    record_event(
        "token_key.state_changed",
        at=at,
        actor=actor,
        officer=device.officer,
        agency=device.unit,
        data={
            "serial": device.serial,
            "from": shown,
            "to": to,
            "act": act.value,
            **{k: v for k, v in data.items() if k != "lost_statement"},
        },
    )
    device.state = to


def _state_now(device: TokenKey, at: dt.datetime) -> str:
    return effective_state(device.state, at=at, schedule=Schedule.load().dates)


def hand_over(serials_text: str, *, actor: Officer, at: dt.datetime) -> list[TokenKey]:
    """A unit hands its keys to the parent agency (bulk: scanned or typed serials)."""
    batch = _load(parse_serials(serials_text), actor)
    _may_record(actor, batch.devices)
    problems = list(batch.problems)
    for device in batch.devices:
        if problem := act_problem(Act.HAND_OVER, _state_now(device, at)):
            problems.append(f"{device.serial}: {problem}")
    if problems:
        raise CustodyError(problems)
    with transaction.atomic():
        for device in batch.devices:
            _move(device, Act.HAND_OVER, actor=actor, at=at)
    return batch.devices


def report_lost(serial: str, statement: str, *, actor: Officer, at: dt.datetime) -> TokenKey:
    statement = statement.strip()
    batch = _load([ascii_digits(serial).strip()], actor)
    _may_record(actor, batch.devices)
    problems = list(batch.problems)
    if len(statement) < LOST_STATEMENT_MIN:
        problems.append(
            _("A loss needs a statement of what happened (at least %(n)d characters).")
            % {"n": LOST_STATEMENT_MIN}
        )
    for device in batch.devices:
        if problem := act_problem(lost_act(device.state), device.state):
            problems.append(f"{device.serial}: {problem}")
        elif _packed(device) is not None:
            problems.append(
                _(
                    "%(serial)s: is packed in shipment %(n)s; if it is not in the parcel, CGD records it after checking the parcel in"
                )
                % {"serial": device.serial, "n": _packed(device)}
            )
        elif not may_report_lost(
            actor.actor, device.unit.path, in_shipment=device.state == TokenKeyState.IN_SHIPMENT
        ).allowed:
            problems.append(
                _("%(serial)s: only CGD records a key lost in transit") % {"serial": device.serial}
            )
    if problems:
        raise CustodyError(problems)
    device = batch.devices[0]
    with transaction.atomic():
        _move(device, lost_act(device.state), actor=actor, at=at, lost_statement=statement)
    return device


def _packed(device: TokenKey) -> int | None:
    """The open shipment (packed or on its way) that lists `device`, if any."""
    return (
        ShipmentItem.objects.filter(token_key=device, outcome=ShipmentItemOutcome.EXPECTED)
        .values_list("shipment_id", flat=True)
        .first()
    )


def report_damaged(serial: str, *, actor: Officer, at: dt.datetime) -> TokenKey:
    """A damaged key can no longer sign a login; it still travels back to CGD."""
    batch = _load([ascii_digits(serial).strip()], actor)
    _may_record(actor, batch.devices)
    problems = list(batch.problems)
    for device in batch.devices:
        if problem := act_problem(Act.REPORT_DAMAGED, _state_now(device, at)):
            problems.append(f"{device.serial}: {problem}")
    if problems:
        raise CustodyError(problems)
    device = batch.devices[0]
    with transaction.atomic():
        _move(device, Act.REPORT_DAMAGED, actor=actor, at=at)
    return device


# --- shipments ------------------------------------------------------------------------------------


def create_shipment(serials_text: str, *, actor: Officer, at: dt.datetime) -> Shipment:
    """A parent agency packs handed-over keys of its subtree into a parcel (a draft until it
    is marked shipped)."""
    _require(may_pack(actor.actor), _("Only a parent agency's administrator packs a shipment."))
    sender = actor.admin_scope
    assert sender is not None  # noqa: S101  (may_pack: the administrator of a department)
    batch = _load(parse_serials(serials_text), actor)
    problems = list(batch.problems)
    packed = set(
        ShipmentItem.objects.filter(
            token_key__in=batch.devices,
            shipment__status__in=[ShipmentStatus.DRAFT, ShipmentStatus.SHIPPED],
        ).values_list("serial", flat=True)
    )
    for device in batch.devices:
        if device.serial in packed:
            problems.append(
                _("%(serial)s: already in another shipment") % {"serial": device.serial}
            )
        elif device.state != TokenKeyState.HANDED_OVER:
            problems.append(
                _("%(serial)s: is %(state)s, not handed to the parent agency")
                % {"serial": device.serial, "state": TokenKeyState(device.state).label}
            )
    if problems:
        raise CustodyError(problems)
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(sender=sender, created_by=actor, created_at=at)
            ShipmentItem.objects.bulk_create(
                ShipmentItem(
                    shipment=shipment,
                    token_key=device,
                    serial=device.serial,
                    holder_name=device.officer.name_th if device.officer else "",
                )
                for device in batch.devices
            )
            record_event(
                "shipment.created",
                at=at,
                actor=actor,
                agency=sender,
                data={"shipment": shipment.pk, "devices": len(batch.devices)},
            )
    except IntegrityError:
        raise CustodyError(
            [
                _(
                    "One of these Token Keys was just packed in another shipment; reload and try again."
                )
            ]
        ) from None
    return shipment


def mark_shipped(
    shipment: Shipment, *, courier: str, tracking_number: str, actor: Officer, at: dt.datetime
) -> Shipment:
    problems = []
    tracking_number = ascii_digits(tracking_number)  # typed from the courier's slip
    _require(
        may_ship(actor.actor, shipment.sender.path),
        _("Only the sending agency's administrator ships its parcel."),
    )
    if shipment.status != ShipmentStatus.DRAFT:
        problems.append(_("This shipment was already shipped."))
    if not courier.strip():
        problems.append(_("Name the courier."))
    if not tracking_number.strip():
        problems.append(_("Give the courier's tracking number."))
    if problems:
        raise CustodyError(problems)
    with transaction.atomic():
        if not Shipment.objects.filter(pk=shipment.pk, status=ShipmentStatus.DRAFT).update(
            status=ShipmentStatus.SHIPPED,
            courier=courier.strip(),
            tracking_number=tracking_number.strip(),
            shipped_at=at,
        ):
            raise CustodyError([_("This shipment was already shipped.")])
        for item in shipment.items.select_related("token_key__officer", "token_key__unit"):
            assert item.token_key is not None  # noqa: S101  (a draft lists packed devices only)
            _move(
                item.token_key,
                Act.SHIP,
                actor=actor,
                at=at,
                current=TokenKeyState.HANDED_OVER,
                shipment=shipment.pk,
            )
        record_event(
            "shipment.shipped",
            at=at,
            actor=actor,
            agency=shipment.sender,
            data={"shipment": shipment.pk, "tracking": tracking_number.strip()},
        )
    shipment.refresh_from_db()
    return shipment


@dataclass(frozen=True)
class Reconciliation:
    received: list[str]
    missing: list[str]
    unexpected: list[str]


def receive_shipment(
    shipment: Shipment, scanned_text: str, *, actor: Officer, at: dt.datetime
) -> Reconciliation:
    """CGD checks a parcel in: every scanned serial on the manifest is received; what the
    manifest lists but the parcel lacks, and what the parcel holds but the manifest does not
    list, are flagged for follow-up."""
    _require(may_receive(actor.actor), _("Only CGD receives shipments."))
    scanned = parse_serials(scanned_text)
    if not scanned:
        raise CustodyError([_("No serial was given: scan every Token Key in the parcel.")])
    if any(len(serial) > MAX_SERIAL for serial in scanned):
        raise CustodyError([_("A scanned value is too long to be a serial; check the scanner.")])
    counts = Counter(serial.upper() for serial in scanned)
    problems = [
        _("%(serial)s: scanned %(times)d times") % {"serial": s, "times": n}
        for s, n in counts.items()
        if n > 1
    ]
    if shipment.status == ShipmentStatus.RECEIVED:
        assert shipment.received_at is not None  # noqa: S101  (set with the status)
        problems.append(
            _("This shipment was already received on %(when)s.")
            % {"when": format_be_datetime(shipment.received_at)}
        )
    elif shipment.status != ShipmentStatus.SHIPPED:
        problems.append(_("This shipment has not been shipped yet."))
    if problems:
        raise CustodyError(problems)
    items = {
        item.serial.upper(): item
        for item in shipment.items.select_related("token_key__officer", "token_key__unit")
    }
    seen = set(counts)
    received = [items[s].serial for s in items if s in seen]
    missing = [items[s].serial for s in items if s not in seen]
    unexpected = [s for s in dict.fromkeys(scanned) if s.upper() not in items]
    with transaction.atomic():
        if not Shipment.objects.filter(pk=shipment.pk, status=ShipmentStatus.SHIPPED).update(
            status=ShipmentStatus.RECEIVED, received_at=at, received_by=actor
        ):
            raise CustodyError([_("This shipment was already received.")])
        for serial in received:
            item = items[serial.upper()]
            assert item.token_key is not None  # noqa: S101  (a manifest line has its device)
            _move(
                item.token_key,
                Act.RECEIVE,
                actor=actor,
                at=at,
                current=TokenKeyState.IN_SHIPMENT,
                shipment=shipment.pk,
            )
            item.outcome = ShipmentItemOutcome.RECEIVED
            item.save(update_fields=["outcome"])
        ShipmentItem.objects.filter(shipment=shipment, serial__in=missing).update(
            outcome=ShipmentItemOutcome.MISSING
        )
        for serial in unexpected:
            _receive_unlisted(serial, shipment, actor=actor, at=at)
        record_event(
            "shipment.received",
            at=at,
            actor=actor,
            agency=shipment.sender,
            data={
                "shipment": shipment.pk,
                "received": len(received),
                "missing": missing,
                "unexpected": unexpected,
            },
        )
    return Reconciliation(received, missing, unexpected)


def _receive_unlisted(serial: str, shipment: Shipment, *, actor: Officer, at: dt.datetime) -> None:
    """A serial in the parcel that its manifest does not list: a line for CGD to follow up, and
    the key received if the table's "found unlisted" row allows it (not when already received:
    see tokens.policy)."""
    device = (
        TokenKey.objects.annotate(serial_upper=Upper("serial"))
        .filter(serial_upper=serial.upper())
        .select_related("officer", "unit")
        .first()
    )
    ShipmentItem.objects.create(
        shipment=shipment,
        token_key=device,
        serial=serial,
        outcome=ShipmentItemOutcome.UNEXPECTED,
    )
    if device is not None and act_problem(Act.FOUND_UNLISTED, _state_now(device, at)) is None:
        _move(device, Act.FOUND_UNLISTED, actor=actor, at=at, shipment=shipment.pk, unexpected=True)


def discrepancies() -> list[ShipmentItem]:
    """What CGD still has to follow up: serials missing from parcels, or unexpected in them."""
    return list(
        ShipmentItem.objects.filter(
            outcome__in=[ShipmentItemOutcome.MISSING, ShipmentItemOutcome.UNEXPECTED],
            resolved_at__isnull=True,
        ).select_related("shipment__sender")
    )


def cancel_shipment(shipment: Shipment, *, actor: Officer, at: dt.datetime) -> None:
    """A draft packed by mistake: its devices are free to be packed again."""
    _require(
        may_cancel_shipment(actor.actor, shipment.sender.path),
        _("Only the sending agency's administrator ships its parcel."),
    )
    with transaction.atomic():
        if not Shipment.objects.filter(pk=shipment.pk, status=ShipmentStatus.DRAFT).exists():
            raise CustodyError([_("This shipment was already shipped.")])
        count = shipment.items.count()
        shipment.items.all().delete()
        Shipment.objects.filter(pk=shipment.pk).delete()
        record_event(
            "shipment.cancelled",
            at=at,
            actor=actor,
            agency=shipment.sender,
            data={"shipment": shipment.pk, "devices": count},
        )


def receive_late(serial: str, *, actor: Officer, at: dt.datetime) -> TokenKey:
    """A device flagged missing turns up at CGD after its parcel was checked in."""
    _require(may_receive(actor.actor), _("Only CGD receives shipments."))
    item = (
        ShipmentItem.objects.filter(
            serial__iexact=ascii_digits(serial).strip(),
            outcome=ShipmentItemOutcome.MISSING,
            resolved_at__isnull=True,
        )
        .select_related("token_key__officer", "token_key__unit")
        .first()
    )
    if item is None or item.token_key is None:
        raise CustodyError(
            [_("%(serial)s: not a device flagged missing") % {"serial": serial.strip()}]
        )
    with transaction.atomic():
        # From the state just read, so that a key written off as lost meanwhile is refused by
        # the table (no row "received late" from lost), not as a concurrent change.
        _move(item.token_key, Act.RECEIVE_LATE, actor=actor, at=at, late=True)
        ShipmentItem.objects.filter(pk=item.pk).update(
            outcome=ShipmentItemOutcome.RECEIVED, resolved_at=at
        )
    return item.token_key


def resolve_discrepancy(
    item_id: int,
    *,
    note: str,
    actor: Officer,
    at: dt.datetime,
    stepped_up_at: dt.datetime | None,
) -> None:
    """CGD closes a follow-up (e.g. a missing key reported lost, an unexpected one returned to
    its agency's count), with a note for the audit trail. Needs a fresh code."""
    _require(
        may_resolve_discrepancy(actor.actor, at=at, stepped_up_at=stepped_up_at),
        _("Only CGD receives shipments."),
    )
    if len(note.strip()) < 5:
        raise CustodyError([_("Write what was done (at least 5 characters).")])
    with transaction.atomic():
        if not ShipmentItem.objects.filter(
            pk=item_id,
            outcome__in=[ShipmentItemOutcome.MISSING, ShipmentItemOutcome.UNEXPECTED],
            resolved_at__isnull=True,
        ).update(resolved_at=at):
            raise CustodyError([_("This discrepancy was already resolved.")])
        record_event(
            "shipment.discrepancy_resolved",
            at=at,
            actor=actor,
            data={"item": item_id, "note": note.strip()[:500]},
        )
