"""python manage.py rotate_encryption_key

Put the new key first in GFMS_ENCRYPTION_KEYS (keep the old ones after it), restart, then run
this: every encrypted column of every model (gfms_portal.encryption) is re-encrypted with the
new key, and citizen IDs re-hashed with it, while the system runs. When it reports everything
done (exit status 0), the old keys can be removed. Rows that no configured key decrypts are
left as they are and listed; the command then fails (status 1): keep the old keys.
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
                data={
                    "key_id": report.key_id,
                    "rows": report.rows,
                    **({"unreadable": report.unreadable} if report.unreadable else {}),
                },
            )
        self.stdout.write(f"re-encrypted with key {report.key_id}:")
        for label, count in report.rows.items():
            self.stdout.write(f"  {label}: {count} rows")
        if not report.complete:
            listed = "; ".join(
                f"{label}: rows {', '.join(str(pk) for pk in pks[:20])}"
                + (f" and {len(pks) - 20} more" if len(pks) > 20 else "")
                for label, pks in report.unreadable.items()
            )
            raise CommandError(
                f"{sum(len(pks) for pks in report.unreadable.values())} stored values cannot be "
                f"decrypted with any configured key ({listed}); they were left unchanged. Keep "
                "the old keys until these rows are dealt with."
            )
