from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gfms_portal.encryption import Decrypted, EncryptedTextField


class OutboxMessage(models.Model):
    """An e-mail, written in the same transaction as the change it reports, and sent by a
    Celery task after commit (outbox.tasks). Rows left unsent are retried periodically."""

    kind = models.CharField(_("kind"), max_length=64)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbox_messages",
    )
    to = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    # Encrypted (it may hold a one-time code) and emptied once the message is sent.
    body = EncryptedTextField(_("body"))
    body_text = Decrypted("body", doc="The body in plain text.")
    created_at = models.DateTimeField(_("created"), db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"
