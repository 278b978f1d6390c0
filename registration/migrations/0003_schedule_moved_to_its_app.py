# The Schedule model now belongs to the schedule app (schedule/migrations/0001_initial.py);
# only the state changes here, the table is kept.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0002_enrollment_reminders"),
        ("schedule", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Schedule")],
            database_operations=[],
        ),
    ]
