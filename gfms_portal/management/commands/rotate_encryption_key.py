"""python manage.py rotate_encryption_key

Put the new key first in GFMS_ENCRYPTION_KEYS (keep the old ones after it), restart, then run
this: every encrypted column of every model (gfms_portal.encryption) is re-encrypted with the
new key, and citizen IDs re-hashed with it, while the system runs. When it reports everything
done, the old keys can be removed.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from audit.services import record_event
from gfms_portal.clock import now
from gfms_portal.encryption import rotate_encryption_key


class Command(BaseCommand):
    help = "Re-encrypt every secret at rest with the newest key in GFMS_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: object, **options: object) -> None:
        batch_size = int(str(options["batch_size"]))
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        report = rotate_encryption_key(batch_size=batch_size)
        with transaction.atomic():
            record_event(
                "encryption_key.rotated",
                at=now(),
                actor_label="rotate_encryption_key",
                data={"key_id": report.key_id, "rows": report.rows},
            )
        self.stdout.write(f"re-encrypted with key {report.key_id}:")
        for label, count in report.rows.items():
            self.stdout.write(f"  {label}: {count} rows")
