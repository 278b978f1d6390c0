"""Two partial indexes for the forecast of refusals, built without stopping logins.

On PostgreSQL they are built CONCURRENTLY (this migration is not atomic): a plain CREATE INDEX
would hold a lock on the decision table that stops every login check — each writes a row —
for as long as the build takes over millions of rows. Partial: the soft-token checks, nearly
every row, are never written to them. SQLite (the demo) builds them the plain way.
"""

from django.db import migrations, models


def _index(name: str, condition: models.Q) -> models.Index:
    return models.Index(fields=["at", "officer"], name=name, condition=condition)


LEGACY_ALLOW = _index(
    "decision_legacy_allow_at",
    models.Q(decision="allow", method__in=["token_key", "password"]),
)
REFUSED_UNREGISTERED = _index(
    "decision_refused_unreg_at",
    models.Q(decision="deny", reason__in=["not_registered", "method_not_allowed"]),
)


def build(apps, schema_editor):
    model = apps.get_model("auth_gateway", "LoginDecision")
    for index in (LEGACY_ALLOW, REFUSED_UNREGISTERED):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, index, concurrently=True)
        else:
            schema_editor.add_index(model, index)


def drop(apps, schema_editor):
    model = apps.get_model("auth_gateway", "LoginDecision")
    for index in (LEGACY_ALLOW, REFUSED_UNREGISTERED):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, index, concurrently=True)
        else:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("auth_gateway", "0004_decision_clock_offset"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name="logindecision", index=LEGACY_ALLOW),
                migrations.AddIndex(model_name="logindecision", index=REFUSED_UNREGISTERED),
            ],
            database_operations=[migrations.RunPython(build, drop)],
        ),
    ]
