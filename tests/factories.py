"""factory_boy factories: a small, valid organisation tree and officers in it, and the rows
tests set up around them (soft tokens, Token Keys, shipments, login decisions, registration
codes). Each default is a valid, ordinary row; a test names only what it is about."""

import datetime as dt
import random

import factory
from django.utils import timezone

from agencies.models import Agency, Officer
from agencies.policy import Kind, Region, Role, kind_for_code, path_for, random_citizen_id
from auth_gateway.models import LoginDecision
from auth_gateway.policy import Decision, Method, Reason
from gfms_portal import crypto
from outbox.models import OutboxMessage
from registration.models import RegistrationCode, RegistrationCodeKind
from registration.services import REGISTRATION_CODE_PURPOSE
from schedule.policy import Phase
from tokens.demo import demo_public_key_pem
from tokens.models import (
    Shipment,
    ShipmentItem,
    ShipmentItemOutcome,
    ShipmentStatus,
    SoftToken,
    SoftTokenStatus,
    TokenKey,
    TokenKeyState,
)

# RFC 6238's SHA-1 test secret "12345678901234567890", in base32 (160 bits).
DEMO_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

_rng = random.Random(13)


def valid_citizen_id(seed: int | None = None) -> str:
    """A valid citizen ID: the same for the same seed; without one, the next of a fixed series."""
    return random_citizen_id(random.Random(seed) if seed is not None else _rng)


class MinistryFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{10 + n % 89:02d}")
    kind = Kind.MINISTRY
    path = factory.LazyAttribute(lambda o: path_for(o.code))
    name_th = factory.Sequence(lambda n: f"กระทรวงทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test Ministry {n}")


class DepartmentFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    parent = factory.SubFactory(MinistryFactory)
    code = factory.Sequence(lambda n: f"{n % 1000:03d}")  # suffix; see _create
    kind = Kind.DEPARTMENT
    name_th = factory.Sequence(lambda n: f"กรมทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test Department {n}")
    path = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if len(kwargs["code"]) != 5:
            kwargs["code"] = kwargs["parent"].code + kwargs["code"][-3:]
        kwargs["path"] = path_for(kwargs["code"])
        return super()._create(model_class, *args, **kwargs)


class UnitFactory(factory.django.DjangoModelFactory[Agency]):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    parent = factory.SubFactory(DepartmentFactory)
    code = factory.Sequence(lambda n: f"{n:05d}")  # suffix; see _create
    kind = Kind.UNIT
    name_th = factory.Sequence(lambda n: f"หน่วยเบิกจ่ายทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test Unit {n}")
    region = Region.CENTRAL
    path = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if len(kwargs["code"]) != 10:
            kwargs["code"] = kwargs["parent"].code + kwargs["code"][-5:]
        kwargs["path"] = path_for(kwargs["code"])
        return super()._create(model_class, *args, **kwargs)


def agency_for_code(code: str, parent: Agency | None = None, **fields: object) -> Agency:
    """The ministry, department or unit with this GFMIS code: its level follows from the
    code's length (agencies.policy.kind_for_code)."""
    factory_for = {
        Kind.MINISTRY: MinistryFactory,
        Kind.DEPARTMENT: DepartmentFactory,
        Kind.UNIT: UnitFactory,
    }
    return factory_for[kind_for_code(code)].create(code=code, parent=parent, **fields)


def _set_citizen_id(
    officer: Officer, create: bool, extracted: str | None, **kwargs: object
) -> None:
    """OfficerFactory's citizen_id (post-generation): the one passed, or a valid one."""
    officer.set_citizen_id(extracted or valid_citizen_id())
    if create:
        officer.save(update_fields=["citizen_id_encrypted", "citizen_id_hash"])


class OfficerFactory(factory.django.DjangoModelFactory[Officer]):
    class Meta:
        model = Officer
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"officer{n:05d}")
    name_th = factory.Sequence(lambda n: f"เจ้าหน้าที่ ทดสอบ{n}")
    name_en = factory.Sequence(lambda n: f"Officer Test{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@agency.example")
    unit = factory.SubFactory(UnitFactory)
    role = Role.OFFICER
    password = factory.django.Password("correct horse battery")
    citizen_id = factory.PostGeneration(_set_citizen_id)


class SoftTokenFactory(factory.django.DjangoModelFactory[SoftToken]):
    class Meta:
        model = SoftToken

    officer = factory.SubFactory(OfficerFactory)
    secret = DEMO_SECRET  # encrypted by the model (SoftToken.secret)
    status = SoftTokenStatus.ACTIVE
    created_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)


class TokenKeyFactory(factory.django.DjangoModelFactory[TokenKey]):
    """A hardware Token Key in use by an officer, in the officer's unit. The serial is a demo
    one, so its key pair derives from it (tokens.demo: sign_with_demo_key can sign for it);
    pass public_key_pem with any other serial."""

    class Meta:
        model = TokenKey

    serial = factory.Sequence(lambda n: f"DEMO-TF-{n:05d}")
    officer = factory.SubFactory(OfficerFactory)
    unit = factory.LazyAttribute(lambda o: o.officer.unit)  # pass it for a key without officer
    public_key_pem = factory.LazyAttribute(lambda o: demo_public_key_pem(o.serial))
    state = TokenKeyState.IN_USE
    updated_at = factory.LazyFunction(timezone.now)


class ShipmentFactory(factory.django.DjangoModelFactory[Shipment]):
    """A parcel being packed by a department's administrator."""

    class Meta:
        model = Shipment

    sender = factory.SubFactory(DepartmentFactory)
    status = ShipmentStatus.DRAFT
    created_by = factory.SubFactory(
        OfficerFactory,
        role=Role.AGENCY_ADMIN,
        unit=None,
        admin_scope=factory.SelfAttribute("..sender"),
    )
    created_at = factory.LazyFunction(timezone.now)


class ShipmentItemFactory(factory.django.DjangoModelFactory[ShipmentItem]):
    """A manifest line: the Token Key, expected in the parcel."""

    class Meta:
        model = ShipmentItem

    shipment = factory.SubFactory(ShipmentFactory)
    token_key = factory.SubFactory(TokenKeyFactory)
    serial = factory.LazyAttribute(lambda o: o.token_key.serial)
    outcome = ShipmentItemOutcome.EXPECTED


class LoginDecisionFactory(factory.django.DjangoModelFactory[LoginDecision]):
    """What the gateway records for a login: by default an allowed soft-token login of an
    officer during the registration window (a refusal gets invalid_credentials)."""

    class Meta:
        model = LoginDecision

    at = factory.LazyFunction(timezone.now)
    officer = factory.SubFactory(OfficerFactory)
    username = factory.LazyAttribute(lambda o: o.officer.username if o.officer else "nobody")
    unit = factory.LazyAttribute(lambda o: o.officer.unit if o.officer else None)
    method = Method.SOFT_TOKEN
    phase = Phase.WINDOW
    decision = Decision.ALLOW
    reason = factory.LazyAttribute(
        lambda o: Reason.OK if o.decision == Decision.ALLOW else Reason.INVALID_CREDENTIALS
    )


class OutboxMessageFactory(factory.django.DjangoModelFactory[OutboxMessage]):
    """An e-mail to an officer waiting in the outbox (its body encrypted by the model); once
    sent, the outbox empties the body: body_text="" and sent_at."""

    class Meta:
        model = OutboxMessage

    kind = "identity_code"
    officer = factory.SubFactory(OfficerFactory)
    to = factory.LazyAttribute(lambda o: o.officer.email if o.officer else "nobody@agency.example")
    subject = "GFMS Soft Token"
    body_text = "A message for the test."
    created_at = factory.LazyFunction(timezone.now)


class RegistrationCodeFactory(factory.django.DjangoModelFactory[RegistrationCode]):
    """A late-registration code for an officer, issued by a central administrator, valid for
    7 days; `code` is what the officer types (stored only as its keyed hash)."""

    class Meta:
        model = RegistrationCode

    class Params:
        code = factory.Sequence(lambda n: f"TESTCODE{n:04d}")

    officer = factory.SubFactory(OfficerFactory)
    kind = RegistrationCodeKind.LATE
    code_hash = factory.LazyAttribute(
        lambda o: crypto.lookup_hash(o.code, purpose=REGISTRATION_CODE_PURPOSE)
    )
    issued_by = factory.SubFactory(OfficerFactory, role=Role.CENTRAL_ADMIN, unit=None)
    issued_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.issued_at + dt.timedelta(days=7))
