from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gfms_portal.encryption import Decrypted, EncryptedTextField


class SoftTokenStatus(models.TextChoices):
    PENDING = "pending", _("Pending confirmation")
    ACTIVE = "active", _("Active")
    REVOKED = "revoked", _("Revoked")


class SoftToken(models.Model):
    """A TOTP authenticator bound to an officer. The secret is encrypted at rest
    (gfms_portal.crypto) and never logged. An officer with an active token is "registered"."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        related_name="soft_tokens",
    )
    secret_encrypted = EncryptedTextField(editable=False)
    secret = Decrypted("secret_encrypted", doc="The TOTP seed (base32); emptied when revoked.")
    status = models.CharField(
        _("status"), max_length=16, choices=SoftTokenStatus.choices, default=SoftTokenStatus.PENDING
    )
    created_at = models.DateTimeField(_("created"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # A pending token made by "replace my phone" (after a fresh code or a recovery code): only
    # such a token may revoke an active one when confirmed.
    is_replacement = models.BooleanField(default=False, editable=False)
    # The last TOTP time step accepted: a code is accepted only for a later step (no replay).
    last_used_step = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("soft token")
        verbose_name_plural = _("soft tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["officer"],
                condition=models.Q(status="active"),
                name="one_active_soft_token_per_officer",
            )
        ]
        indexes = [models.Index(fields=["officer", "status"])]

    def __str__(self) -> str:
        return f"{self.officer_id} {self.status}"


class TokenKeyState(models.TextChoices):
    IN_USE = "in_use", _("In use")
    DUE_FOR_RETURN = "due_for_return", _("Due for return")
    HANDED_OVER = "handed_over", _("Handed to parent agency")
    IN_SHIPMENT = "in_shipment", _("In shipment")
    RECEIVED = "received", _("Received by CGD")
    LOST = "lost", _("Reported lost")
    DAMAGED = "damaged", _("Damaged")


class TokenKey(models.Model):
    """A hardware GFMS Token Key: an inventory item with the public key of its key pair."""

    serial = models.CharField(_("serial"), max_length=64, unique=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="token_keys",
    )
    unit = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="token_keys",
    )
    public_key_pem = models.TextField(_("public key (PEM)"))
    state = models.CharField(
        _("state"), max_length=20, choices=TokenKeyState.choices, default=TokenKeyState.IN_USE
    )
    updated_at = models.DateTimeField(_("last changed"))
    lost_statement = models.TextField(_("statement on the loss"), blank=True)

    class Meta:
        verbose_name = _("Token Key")
        verbose_name_plural = _("Token Keys")
        ordering = ["serial"]
        indexes = [models.Index(fields=["unit", "state"])]

    def __str__(self) -> str:
        return self.serial


class RecoveryCode(models.Model):
    """One of ten single-use recovery codes (20 digits, 66 bits), stored only as a hash."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        indexes = [models.Index(fields=["officer", "used_at"])]

    def __str__(self) -> str:
        return f"recovery code of {self.officer_id}"


class ShipmentStatus(models.TextChoices):
    DRAFT = "draft", _("Being packed")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received by CGD")


class Shipment(models.Model):
    """A parcel of Token Keys sent by a parent agency to CGD, with a printed manifest."""

    sender = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("sending agency"),
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ShipmentStatus.choices, default=ShipmentStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    courier = models.CharField(_("courier"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.sender_id} #{self.pk}"


class ShipmentItemOutcome(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    RECEIVED = "received", _("Received")
    MISSING = "missing", _("Missing from the parcel")
    UNEXPECTED = "unexpected", _("In the parcel but not on the manifest")


class ShipmentItem(models.Model):
    """A line of a manifest, or — after reception — a discrepancy found at CGD."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="items")
    token_key = models.ForeignKey(
        TokenKey, null=True, blank=True, on_delete=models.PROTECT, related_name="shipment_items"
    )
    serial = models.CharField(_("serial"), max_length=64)
    holder_name = models.CharField(_("holder"), max_length=255, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=ShipmentItemOutcome.choices,
        default=ShipmentItemOutcome.EXPECTED,
    )
    resolved_at = models.DateTimeField(_("discrepancy resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment item")
        verbose_name_plural = _("shipment items")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "serial"], name="one_line_per_serial"),
            # A device is expected in at most one open shipment, however requests race.
            models.UniqueConstraint(
                fields=["token_key"],
                condition=models.Q(outcome="expected"),
                name="one_open_shipment_per_device",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.serial} ({self.outcome})"


class ReturnReminder(models.Model):
    """A reminder to a parent agency about its Token Keys, recorded so that none is sent twice
    (the unique key is e.g. "before-14" or "overdue-2025-06-02")."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=32)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("return reminder")
        verbose_name_plural = _("return reminders")
        constraints = [
            models.UniqueConstraint(fields=["agency", "key"], name="one_reminder_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.key}"
