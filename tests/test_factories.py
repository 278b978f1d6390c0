"""The factories' defaults are valid rows: a test that names only what it is about gets data
that the models' own validation accepts (choices, lengths, codes, constraints)."""

import factory
import pytest
from django.db import models

from agencies.policy import Kind
from tests import factories

pytestmark = pytest.mark.django_db

FACTORIES = [
    factories.MinistryFactory,
    factories.DepartmentFactory,
    factories.UnitFactory,
    factories.OfficerFactory,
    factories.SoftTokenFactory,
    factories.TokenKeyFactory,
    factories.ShipmentFactory,
    factories.ShipmentItemFactory,
    factories.LoginDecisionFactory,
    factories.OutboxMessageFactory,
    factories.RegistrationCodeFactory,
]


@pytest.mark.parametrize("make", FACTORIES, ids=lambda make: make.__name__)
def test_factory_defaults_pass_model_validation(
    make: type[factory.django.DjangoModelFactory[models.Model]],
) -> None:
    first, second = make.create(), make.create()
    first.full_clean()
    second.full_clean()
    assert first.pk != second.pk


def test_agency_for_code_makes_the_level_its_length_says(cgd_tree) -> None:
    unit = factories.agency_for_code("0300400009", cgd_tree["cgd"])
    assert (unit.kind, unit.path, unit.parent) == (
        Kind.UNIT,
        "03/03004/0300400009/",
        cgd_tree["cgd"],
    )
    assert factories.agency_for_code("77").kind == Kind.MINISTRY
