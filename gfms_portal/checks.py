"""System checks that keep a development configuration out of production."""

import ipaddress
from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.checks import Warning as CheckWarning


@register(Tags.security, deploy=True)
def check_keys_from_environment(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[CheckMessage]:
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
def check_mail_goes_out(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[CheckMessage]:
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


# The values .env.example ships with, and others often left in place. A key that is short,
# repetitive or one of these is guessable: SECRET_KEY signs sessions and password-reset links.
PLACEHOLDER_SECRET_KEYS = {"change-me-to-a-long-random-string", "build", "secret", "changeme"}
PLACEHOLDER_DB_PASSWORDS = {"", "password", "postgres", "gfms", "changeme", "change-me", "secret"}


@register(Tags.security, deploy=True)
def check_no_placeholder_secrets(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    key = settings.SECRET_KEY
    if (
        key in PLACEHOLDER_SECRET_KEYS
        or key.startswith(("change-me", "django-insecure-"))
        or len(key) < 50
        or len(set(key)) < 5
    ):
        errors.append(
            Error(
                "SECRET_KEY is a placeholder or too weak: use 50 or more random characters, "
                'e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".',
                id="gfms.E003",
            )
        )
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" and (
        (database.get("PASSWORD") or "").lower() in PLACEHOLDER_DB_PASSWORDS
    ):
        errors.append(
            Error(
                "The database password (DATABASE_URL, POSTGRES_PASSWORD in docker compose) is "
                "empty or a placeholder; set a long random one.",
                id="gfms.E004",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_proxy_configured(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[CheckMessage]:
    # Behind TLS, Django learns that a request came over HTTPS only from the proxy's
    # X-Forwarded-Proto, which it believes only from GFMS_TRUSTED_PROXIES: without them every
    # request would be redirected to HTTPS again, for ever.
    if settings.SECURE_SSL and not settings.GFMS_TRUSTED_PROXIES:
        return [
            CheckWarning(
                "SECURE_SSL is on but GFMS_TRUSTED_PROXIES is empty: requests forwarded by the "
                "TLS-terminating proxy will not be seen as HTTPS (redirect loop).",
                id="gfms.W001",
            )
        ]
    return []


@register(Tags.database)
def check_database_timeouts(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[CheckMessage]:
    # A slow query should end with the server's clean error (statement_timeout), which leaves
    # the connection usable; the client-side deadline is for a server that does not answer.
    statement = getattr(settings, "DB_STATEMENT_TIMEOUT_MS", None)
    client = getattr(settings, "DB_CLIENT_TIMEOUT_MS", None)
    if statement is None or client is None or client == 0:
        return []
    if statement == 0 or statement >= client:
        return [
            Error(
                f"DB_STATEMENT_TIMEOUT_MS ({statement}) must be set and below "
                f"DB_CLIENT_TIMEOUT_MS ({client}); or set DB_CLIENT_TIMEOUT_MS=0 to turn the "
                "client-side deadline off.",
                id="gfms.E005",
            )
        ]
    return []


@register(Tags.security)
def check_metrics_allow(
    app_configs: Sequence[AppConfig] | None, **kwargs: object
) -> list[CheckMessage]:
    # /metrics answers only the monitoring network (gfms_portal.metrics.may_scrape): an entry
    # that is not an address or a network would shut every scrape out (or, unnoticed, let a
    # typo decide who reads the gateway's figures).
    messages: list[CheckMessage] = []
    for entry in settings.METRICS_ALLOW:
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            messages.append(
                Error(
                    f"METRICS_ALLOW: {entry!r} is not an address or a network (CIDR).",
                    id="gfms.E006",
                )
            )
            continue
        if network.prefixlen == 0:
            messages.append(
                CheckWarning(
                    f"METRICS_ALLOW contains {entry}: /metrics is open to every address; "
                    "list the monitoring network only.",
                    id="gfms.W002",
                )
            )
    return messages
