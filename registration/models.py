import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gfms_portal.encryption import Decrypted, EncryptedTextField


class IdentityCheck(models.Model):
    """Proof that the person at the keyboard is the officer: the citizen ID matched the agency
    record, then a code sent to the official e-mail on record was typed back. The code is
    stored only as a keyed hash; it is valid 10 minutes, usable once, and dies after 5 wrong
    tries."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="identity_checks"
    )
    created_at = models.DateTimeField()
    email_code_hash = models.CharField(max_length=80)
    email_code_expires_at = models.DateTimeField()
    email_code_attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("identity check")
        verbose_name_plural = _("identity checks")

    def __str__(self) -> str:
        return f"{self.officer_id} {self.created_at:%Y-%m-%d %H:%M}"


class RegistrationCodeKind(models.TextChoices):
    LATE = "late", _("Late registration")
    RESET = "reset", _("Re-registration after a reset")


class Delivery(models.TextChoices):
    """How an administrator hands a registration code to the officer."""

    EMAIL = "email", _("Send it to the officer's official e-mail")
    IN_PERSON = "in_person", _("Show it to me once, to hand over in person")


class RegistrationCodeQuerySet(models.QuerySet["RegistrationCode"]):
    def usable(self, at: dt.datetime) -> "RegistrationCodeQuerySet":
        """The codes an officer could still type at `at`: not used, not revoked, not expired."""
        return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=at)


class RegistrationCode(models.Model):
    """A one-time code an administrator issues so that one officer may register outside the
    window (late registration, up to 7 days) or again after a token reset (24 hours). Stored
    only as a keyed hash; the officer still needs their password and the identity check."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registration_codes"
    )
    kind = models.CharField(max_length=8, choices=RegistrationCodeKind.choices)
    code_hash = models.CharField(max_length=80)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = RegistrationCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration code")
        verbose_name_plural = _("registration codes")

    def __str__(self) -> str:
        return f"{self.kind} for {self.officer_id}"


class Reveal(models.Model):
    """Something shown once — recovery codes, a code to hand over in person — sealed
    (encrypted) until the one page view that shows it, then deleted. Its id travels in the
    URL, not the session, so parallel requests cannot lose or repeat it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    sealed = EncryptedTextField()
    text = Decrypted("sealed", doc="What is shown once, in plain text.")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("one-time display")
        verbose_name_plural = _("one-time displays")

    def __str__(self) -> str:
        return f"{self.kind} for {self.owner_id}"


class ReminderKind(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled reminder")
    ON_DEMAND = "on_demand", _("Reminder sent by an administrator")
    DIGEST = "digest", _("Weekly digest to an administrator")


class RegistrationReminder(models.Model):
    """One reminder e-mail to one person, claimed before it is written so that it can never
    go out twice: the unique (recipient, key) row decides, whoever asks and however often.

    Keys: "before-14-2025-04-11" (14 days before that closing day), "on-demand-2025-03-20",
    "digest-2025-03-17". A second constraint allows one reminder per officer per Bangkok day,
    scheduled or on demand, however the requests race.
    The e-mail itself is written to the outbox by registration.reminders.deliver_reminders,
    which skips an officer who registered in between."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registration_reminders"
    )
    key = models.CharField(max_length=40)
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)
    requested_at = models.DateTimeField()
    day = models.DateField(help_text=_("The Bangkok day it was asked for."))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(
        default=False, help_text=_("The officer had registered by the time it was written.")
    )

    class Meta:
        verbose_name = _("registration reminder")
        verbose_name_plural = _("registration reminders")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="one_registration_reminder"),
            # Whoever asks, in whatever race: one reminder per officer per Bangkok day.
            models.UniqueConstraint(
                fields=["recipient", "day"],
                condition=~models.Q(kind="digest"),
                name="one_reminder_per_officer_per_day",
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(delivered_at__isnull=True),
                name="reminder_undelivered",
            ),
            models.Index(fields=["recipient", "requested_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.key}"
