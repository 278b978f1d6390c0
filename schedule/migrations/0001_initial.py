# The Schedule model moved from the registration app; its table (registration_schedule) stays.

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("registration", "0002_enrollment_reminders"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Schedule",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("opens", models.DateTimeField(verbose_name="registration opens")),
                        ("closes", models.DateTimeField(verbose_name="registration closes (inclusive)")),
                        ("soft_token_only_from", models.DateTimeField(verbose_name="soft token only from")),
                        ("return_due", models.DateTimeField(verbose_name="Token Key return due (inclusive)")),
                        ("is_demo", models.BooleanField(default=False, help_text="Set by seed_demo: the dates were shifted so that today is in the window.", verbose_name="demo schedule")),
                        ("updated_at", models.DateTimeField(blank=True, null=True, verbose_name="last changed")),
                    ],
                    options={
                        "verbose_name": "migration schedule",
                        "verbose_name_plural": "migration schedule",
                        "db_table": "registration_schedule",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
