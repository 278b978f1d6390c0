"""The decision log, written on every login check, carries only what its readers need."""

import pytest
from django.db import connection

from auth_gateway.models import LoginDecision

pytestmark = pytest.mark.django_db


def test_the_decision_table_has_three_full_indexes_two_partial_and_one_foreign_key() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the migration shapes PostgreSQL's schema (CI sets DATABASE_URL)")
    table = LoginDecision._meta.db_table
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        definitions = dict(cursor.fetchall())
    indexes = sorted(tuple(about["columns"]) for about in found.values() if about["index"])
    assert indexes == [
        ("at",),
        ("at", "officer_id"),
        ("at", "officer_id"),
        ("officer_id", "at"),
        ("unit_id", "method", "at"),
    ]  # and the key
    # The two for the forecast are partial: a soft-token check never writes to them.
    legacy, refused = (
        definitions["decision_legacy_allow_at"],
        definitions["decision_refused_unreg_at"],
    )
    assert "WHERE" in legacy and "'allow'" in legacy and "'token_key'" in legacy
    assert "'password'" in legacy and "'soft_token'" not in legacy
    assert "WHERE" in refused and "'deny'" in refused and "'not_registered'" in refused
    foreign = [about["foreign_key"] for about in found.values() if about["foreign_key"]]
    assert foreign == [("agencies_officer", "id")]


def test_a_unit_or_client_that_decisions_name_cannot_be_deleted(registered, service_key) -> None:
    """Without database foreign keys, Django's PROTECT still guards them."""
    from django.db.models import ProtectedError

    from auth_gateway.models import ServiceClient

    client = ServiceClient.objects.get()
    LoginDecision.objects.create(
        at=registered.date_joined,
        username="charlie",
        officer=registered,
        unit=registered.unit,
        method="password",
        phase="window",
        decision="deny",
        reason="invalid_credentials",
        client=client,
    )
    with pytest.raises(ProtectedError):
        client.delete()
    assert registered.unit is not None
    with pytest.raises(ProtectedError):
        registered.unit.delete()
