# "Enrollment" and "registration" were one thing: the model takes the product's word.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0004_encrypted_text_field"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("EnrollmentReminder", "RegistrationReminder"),
        migrations.AlterField(
            model_name="registrationreminder",
            name="recipient",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT,
                related_name="registration_reminders",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RenameIndex(
            model_name="registrationreminder",
            new_name="registratio_recipie_22d5fd_idx",
            old_name="registratio_recipie_4267f3_idx",
        ),
        migrations.RemoveConstraint(
            model_name="registrationreminder", name="one_enrollment_reminder"
        ),
        migrations.AddConstraint(
            model_name="registrationreminder",
            constraint=models.UniqueConstraint(
                fields=("recipient", "key"), name="one_registration_reminder"
            ),
        ),
    ]
