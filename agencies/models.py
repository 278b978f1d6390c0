from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from agencies.permissions import Actor, Subject
from agencies.policy import (
    PRIVILEGED_ROLES,
    USERNAME_PATTERN,
    Kind,
    Region,
    Role,
    Viewer,
    mask_citizen_id,
)
from gfms_portal.encryption import Decrypted, EncryptedTextField

CITIZEN_ID_PURPOSE = "citizen-id"


class Agency(models.Model):
    """A node of the organisation tree: ministry → department → disbursement unit.

    `path` is the materialised path of GFMIS codes ("03/03004/0300400001/"), so "this node and
    everything below" is one indexed prefix match (see agencies.scope).
    """

    code = models.CharField(_("GFMIS code"), max_length=10, unique=True)
    kind = models.CharField(_("level"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=40, unique=True, editable=False)
    name_th = models.CharField(_("name (Thai)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    region = models.CharField(_("region"), max_length=16, choices=Region.choices, blank=True)
    province = models.CharField(_("province"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["path"]
        # `path` is unique, so PostgreSQL also gets a varchar_pattern_ops index from Django:
        # the prefix match (LIKE '03/03004/%') of a subtree is an index range scan.

    def __str__(self) -> str:
        return f"{self.code} {self.name_th}"

    def display_name(self, lang: str = "th") -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_th


class OfficerManager(BaseUserManager["Officer"]):
    def by_username(self, username: str) -> models.QuerySet["Officer"]:
        """GFMS user ids match case-insensitively, surrounding spaces ignored. LOWER(username)
        = … uses the unique functional index; `username__iexact` (UPPER) would scan."""
        return self.annotate(username_lower=Lower("username")).filter(
            username_lower=username.strip().lower()
        )

    def get_by_natural_key(self, username: str | None) -> "Officer":
        return self.by_username(username or "").get()

    def create_user(self, username: str, password: str | None = None, **fields: Any) -> "Officer":
        officer = self.model(username=username, **fields)
        officer.set_password(password)
        officer.full_clean(exclude=["password"])
        officer.save(using=self._db)
        return officer

    def create_superuser(
        self, username: str, password: str | None = None, **fields: Any
    ) -> "Officer":
        fields.setdefault("role", Role.CENTRAL_ADMIN)
        return self.create_user(username, password, **fields)


class Officer(AbstractBaseUser):
    """A GFMS user: an officer of a disbursement unit or an administrator.

    The citizen ID is stored encrypted (gfms_portal.crypto) with a keyed hash for matching; it
    is only ever shown masked.
    """

    username = models.CharField(
        _("GFMS user id"),
        max_length=64,
        unique=True,
        help_text=_("3–64 characters: letters, digits, dot, underscore or dash."),
    )
    name_th = models.CharField(_("name (Thai)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    email = models.EmailField(_("official e-mail"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    unit = models.ForeignKey(
        Agency,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
    )
    citizen_id_encrypted = EncryptedTextField(
        editable=False,
        blank=True,
        lookup_hash_field="citizen_id_hash",
        lookup_purpose=CITIZEN_ID_PURPOSE,
    )
    citizen_id_hash = models.CharField(max_length=80, editable=False, blank=True, db_index=True)
    citizen_id = Decrypted("citizen_id_encrypted", doc="The citizen ID (sets the hash too).")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICER)
    admin_scope = models.ForeignKey(
        Agency,
        verbose_name=_("administers"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="administrators",
        help_text=_(
            "Agency administrators and an agency's help desk see this node and everything below it."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Lockout (auth_gateway.policy): consecutive failed logins, and until when the account is
    # locked. Changed only with atomic UPDATEs (auth_gateway.services).
    failed_logins = models.PositiveIntegerField(_("consecutive failed logins"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    date_joined = models.DateTimeField(_("created"), auto_now_add=True)

    objects = OfficerManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name_th", "email"]

    class Meta:
        verbose_name = _("officer")
        verbose_name_plural = _("officers")
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="officer_username_ci_unique",
                violation_error_message=_("An officer with this GFMS user id already exists."),
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.AGENCY_ADMIN) | models.Q(admin_scope__isnull=False),
                name="agency_admin_has_scope",
            ),
            # An agency's help desk without a node would see nothing (agencies.scope fails
            # closed): refused here, so that the account cannot be made by mistake.
            models.CheckConstraint(
                condition=~models.Q(role=Role.HELPDESK) | models.Q(admin_scope__isnull=False),
                name="helpdesk_has_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.name_th})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        if self.username and not USERNAME_PATTERN.match(self.username):
            errors["username"] = _("Use 3–64 characters: letters, digits, dot, underscore or dash.")
        if self.role == Role.AGENCY_ADMIN and self.admin_scope_id is None:
            errors["admin_scope"] = _("An agency administrator needs an agency to administer.")
        if self.role == Role.HELPDESK and self.admin_scope_id is None:
            errors["admin_scope"] = _(
                "An agency's help desk needs the agency whose calls it takes."
            )
        if self.role == Role.OFFICER and self.unit_id is None:
            errors["unit"] = _("An officer belongs to a disbursement unit.")
        if errors:
            raise ValidationError(errors)

    # Citizen ID -------------------------------------------------------------------------

    def set_citizen_id(self, citizen_id: str) -> None:
        """Store an already validated 13-digit citizen ID (encrypted + keyed hash)."""
        self.citizen_id = citizen_id

    def has_citizen_id(self, citizen_id: str) -> bool:
        """Does `citizen_id` match the record? (Compared by keyed hash, under any key.)"""
        return bool(self.citizen_id_hash) and self.citizen_id_hash in (
            Officer.citizen_id.lookup_hash_candidates(citizen_id)
        )

    @property
    def masked_citizen_id(self) -> str:
        if not self.citizen_id_encrypted:
            return ""
        return mask_citizen_id(self.citizen_id)

    # Roles and Django admin ---------------------------------------------------------------

    @property
    def viewer(self) -> Viewer:
        return Viewer(
            role=Role(self.role),
            scope_path=self.admin_scope.path if self.admin_scope else None,
        )

    @property
    def actor(self) -> Actor:
        """This account as agencies.permissions sees whoever acts."""
        scope = self.admin_scope if self.admin_scope_id else None
        return Actor(
            pk=self.pk,
            role=Role(self.role),
            scope_path=scope.path if scope else None,
            scope_kind=Kind(scope.kind) if scope else None,
            is_active=self.is_active,
        )

    @property
    def subject(self) -> Subject:
        """This account as agencies.permissions sees whoever is acted on."""
        return Subject(
            pk=self.pk, role=Role(self.role), unit_path=self.unit.path if self.unit else None
        )

    @property
    def is_administrator(self) -> bool:
        """Reaches the administrators' pages: administrators, auditors and the help desk
        (what each may do there is agencies.permissions)."""
        return self.role in PRIVILEGED_ROLES

    @property
    def is_helpdesk(self) -> bool:
        return self.role in (Role.HELPDESK, Role.CENTRAL_HELPDESK)

    @property
    def is_staff(self) -> bool:
        """Only central administrators use the Django admin."""
        return self.is_active and self.role == Role.CENTRAL_ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Iterable[str], obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff

    def display_name(self, lang: str = "th") -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_th
