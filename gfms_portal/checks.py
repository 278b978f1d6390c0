"""System checks that keep a development configuration out of production."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def check_keys_from_environment(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    if settings.GFMS_USING_DEV_KEYS:
        return [
            Error(
                "SECRET_KEY and GFMS_ENCRYPTION_KEYS must come from the environment in "
                "production; the generated development keys in var/ are in use.",
                id="gfms.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_mail_goes_out(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    # E-mails carry one-time codes: printed to the console they would end up in logs.
    if settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend")):
        return [
            Error(
                "EMAIL_HOST must be set in production: e-mail (with one-time codes) would be "
                "printed to the console and end up in logs.",
                id="gfms.E002",
            )
        ]
    return []
