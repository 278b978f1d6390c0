import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from auth_gateway.policy import LEGACY_METHODS, REFUSED_UNREGISTERED, Decision, Method, Reason
from schedule.policy import Phase


def hash_key(key: str) -> str:
    """How a service client's key is stored and looked up."""
    return hashlib.sha256(key.encode()).hexdigest()


class ServiceClient(models.Model):
    """A system allowed to call the gateway (the GFMS front-end). Its key is shown once and
    stored only as a SHA-256 hash (the key holds 256 random bits, so a slow hash buys
    nothing)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_prefix = models.CharField(_("key prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    requests_per_minute = models.PositiveIntegerField(
        _("quota (requests per minute)"), default=30_000
    )
    created_at = models.DateTimeField(_("created"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("service client")
        verbose_name_plural = _("service clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_authenticated(self) -> bool:  # lets DRF treat the client as request.user
        return True


class LoginDecision(models.Model):
    """Every answer the gateway gave, written in the same transaction as the counters it
    changed. No password, code, signature or citizen ID is ever stored here."""

    at = models.DateTimeField(_("when"), db_index=True)
    username = models.CharField(_("user id as given"), max_length=150)
    # Written on every login check, so it carries only the indexes its readers need:
    # (officer, -at) and (unit, method, -at) below serve the officer and unit lookups as well
    # as a single-column index would. The unit and the service client are not database
    # foreign keys: every decision of a unit (or of the one GFMS client) would take a share
    # lock on the same row at commit, and concurrent share locks on one row cost PostgreSQL a
    # multixact each. Units are retired and clients revoked, never deleted; Django's PROTECT
    # still refuses to delete one that decisions name.
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="login_decisions",
        db_index=False,
    )
    unit = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason.choices)
    client = models.ForeignKey(
        ServiceClient,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    client_ip = models.GenericIPAddressField(_("officer's IP"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=100, blank=True)
    # When a soft-token code was refused, how many time steps (30 s each) away from now it
    # would have matched, within a few minutes either way: the officer's phone clock is that
    # far off. Kept for the help desk and for the officer once signed in; never part of the
    # gateway's answer (a code that matches a future step must not become a hint), and never
    # a reason to accept the code.
    clock_offset_steps = models.SmallIntegerField(
        _("phone clock offset (steps)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("login decision")
        verbose_name_plural = _("login decisions")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["officer", "-at"]),
            models.Index(fields=["unit", "method", "-at"]),
            # For the forecast of refusals (monitoring.forecast), over the whole country: the
            # old-way logins that were let in, and the refusals for want of a soft token.
            # Partial, so a soft-token check — nearly every row — never touches them.
            models.Index(
                fields=["at", "officer"],
                name="decision_legacy_allow_at",
                condition=models.Q(decision=Decision.ALLOW, method__in=LEGACY_METHODS),
            ),
            models.Index(
                fields=["at", "officer"],
                name="decision_refused_unreg_at",
                condition=models.Q(decision=Decision.DENY, reason__in=REFUSED_UNREGISTERED),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.method} {self.decision}"


class TokenKeyChallenge(models.Model):
    """A one-time challenge for a Token Key signature: bound to the user id and serial it was
    asked for, valid 120 seconds, usable once. Issued for any user id (known or not) so that
    asking for one reveals nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(max_length=150)
    serial = models.CharField(max_length=64)
    challenge = models.BinaryField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Token Key challenge")
        verbose_name_plural = _("Token Key challenges")

    def __str__(self) -> str:
        return f"{self.serial} for {self.username}"
