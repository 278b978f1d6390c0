"""python manage.py rotate_encryption_key

Put the new key first in GFMS_ENCRYPTION_KEYS (keep the old ones after it), restart, then run
this: every TOTP seed and citizen ID is re-encrypted with the new key while the system runs.
When it reports everything done, the old keys can be removed.
"""

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from audit.services import record_event
from gfms_portal import crypto
from gfms_portal.clock import now
from tokens.services import rotate_encryption_key


class Command(BaseCommand):
    help = "Re-encrypt every secret at rest with the newest key in GFMS_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: object, **options: object) -> None:
        report = rotate_encryption_key(batch_size=int(str(options["batch_size"])))
        with transaction.atomic():
            record_event(
                "encryption_key.rotated",
                at=now(),
                actor_label="rotate_encryption_key",
                data={
                    "key_id": crypto.newest_key_id(),
                    "soft_tokens": report.soft_tokens,
                    "citizen_ids": report.citizen_ids,
                },
            )
        self.stdout.write(
            f"re-encrypted with key {crypto.newest_key_id()}: {report.soft_tokens} soft-token "
            f"seeds, {report.citizen_ids} citizen IDs"
        )
