"""Property-based contract test: schemathesis generates requests from /api/schema/ and checks
that no answer is a 5xx or breaks the documented schema. Bounded to keep CI short."""

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection

from auth_gateway.services import create_service_client
from gfms_portal.wsgi import application
from tests.conftest import examples

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def service_key(db) -> str:
    _client, key = create_service_client(
        "schemathesis", at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), actor_label="test"
    )
    return key


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, service_key: str) -> None:
    # Every request carries the valid key, so schemathesis's "request without the required
    # Authorization header should be refused" negative cases cannot apply; the strictness it
    # would probe is covered by test_check.py and test_token_key_and_endpoints.py.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {service_key}"},
        excluded_checks=[negative_data_rejection],
    )
