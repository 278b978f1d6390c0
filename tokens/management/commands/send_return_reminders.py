"""python manage.py send_return_reminders — what the Celery beat task does, by hand."""

from django.core.management.base import BaseCommand

from gfms_portal.clock import now
from tokens.returns import send_return_reminders


class Command(BaseCommand):
    help = "E-mail parent agencies about Token Keys still to return (each reminder once)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"{send_return_reminders(at=now())} reminder e-mail(s) queued")
