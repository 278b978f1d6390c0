"""factory_boy factories: a small, valid organisation tree and officers in it."""

import random

import factory
from django.utils import timezone

from agencies.models import Agency, Officer
from agencies.policy import Kind, Region, Role, path_for, random_citizen_id
from tokens.models import SoftToken, SoftTokenStatus

# RFC 6238's SHA-1 test secret "12345678901234567890", in base32 (160 bits).
DEMO_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

_rng = random.Random(13)


def valid_citizen_id(seed: int | None = None) -> str:
    """A valid citizen ID: the same for the same seed; without one, the next of a fixed series."""
    return random_citizen_id(random.Random(seed) if seed is not None else _rng)


class MinistryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{10 + n % 89:02d}")
    kind = Kind.MINISTRY
    path = factory.LazyAttribute(lambda o: path_for(o.code))
    name_th = factory.Sequence(lambda n: f"กระทรวงทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test Ministry {n}")


class DepartmentFactory(factory.django.DjangoModelFactory):
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
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        if len(kwargs["code"]) != 5:
            kwargs["code"] = kwargs["parent"].code + kwargs["code"][-3:]
        kwargs["path"] = path_for(kwargs["code"])
        return super()._create(model_class, *args, **kwargs)


class UnitFactory(factory.django.DjangoModelFactory):
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
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        if len(kwargs["code"]) != 10:
            kwargs["code"] = kwargs["parent"].code + kwargs["code"][-5:]
        kwargs["path"] = path_for(kwargs["code"])
        return super()._create(model_class, *args, **kwargs)


class OfficerFactory(factory.django.DjangoModelFactory):
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

    @factory.post_generation
    def citizen_id(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        self.set_citizen_id(extracted or valid_citizen_id())
        if create:
            self.save(update_fields=["citizen_id_encrypted", "citizen_id_hash"])


class SoftTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SoftToken

    officer = factory.SubFactory(OfficerFactory)
    secret = DEMO_SECRET  # encrypted by the model (SoftToken.secret)
    status = SoftTokenStatus.ACTIVE
    created_at = factory.LazyFunction(timezone.now)
    confirmed_at = factory.LazyFunction(timezone.now)
