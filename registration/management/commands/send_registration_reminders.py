"""python manage.py send_registration_reminders — what the Celery beat task does, by hand."""

from django.core.management.base import BaseCommand

from gfms_portal.clock import now
from registration.reminders import send_registration_reminders


class Command(BaseCommand):
    help = (
        "E-mail officers who have not registered (30, 14, 7, 3 and 1 days before the closing "
        "day) and, on Mondays, the weekly digest to agency administrators. Each goes out once."
    )

    def handle(self, *args: object, **options: object) -> None:
        reminders, digests, queued = send_registration_reminders(at=now())
        self.stdout.write(
            f"{reminders} reminder(s) and {digests} digest(s) claimed today; "
            f"{queued} e-mail(s) written to the outbox"
        )
