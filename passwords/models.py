from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ResetCode(models.Model):
    """The code e-mailed for a forgotten password. Stored only as a keyed hash; it works for
    10 minutes, and dies after 5 wrong tries (wrong e-mail codes and wrong codes from the app
    alike). Once the e-mail code and a code from the soft token (or a recovery code) have
    been typed together (`verified_at`), the new password may be set, once (`used_at`)."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="password_reset_codes"
    )
    created_at = models.DateTimeField()
    code_hash = models.CharField(max_length=80)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("password reset code")
        verbose_name_plural = _("password reset codes")
        indexes = [models.Index(fields=["officer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.officer_id} {self.created_at:%Y-%m-%d %H:%M}"


class ResetLink(models.Model):
    """A one-time link an administrator has e-mailed to an officer so that they set a new
    password. Stored only as a keyed hash; it works for one hour, once. The administrator
    never sees the link or the password."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="password_reset_links"
    )
    token_hash = models.CharField(max_length=80, unique=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("password reset link")
        verbose_name_plural = _("password reset links")

    def __str__(self) -> str:
        return f"link for {self.officer_id} {self.issued_at:%Y-%m-%d %H:%M}"
