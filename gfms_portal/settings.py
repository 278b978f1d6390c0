"""Settings for the GFMS Soft Token Portal.

Every setting comes from the environment; production and development differ only by the
variables set (see README.md and .env.example). Without any variables the portal runs as a
local demo: SQLite under var/, Celery tasks run eagerly, e-mail goes to the console, and
development keys are generated into var/ on first use (never committed).
"""

import math
import os
from pathlib import Path

import dj_database_url
import fontpkg_sarabun
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from gfms_portal.devkeys import dev_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GFMS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

# Keys: from the environment in production. When unset, a development key is generated into
# var/ so a fresh clone runs; `manage.py check --deploy` refuses that (gfms_portal.checks).
SECRET_KEY = os.environ.get("SECRET_KEY") or dev_secret(VAR_DIR / "secret_key", kind="django")
GFMS_ENCRYPTION_KEYS = env_list("GFMS_ENCRYPTION_KEYS") or [
    dev_secret(VAR_DIR / "encryption_key", kind="fernet")
]
GFMS_USING_DEV_KEYS = not (os.environ.get("SECRET_KEY") and os.environ.get("GFMS_ENCRYPTION_KEYS"))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "gfms_portal",
    "audit",
    "outbox",
    "agencies",
    "schedule",
    "tokens",
    "registration",
    "auth_gateway",
    "passwords",
    "monitoring",
]

# gfms_portal.browser_middleware.X is Django's X for every path but the machine API
# (/api/v1/: a bearer key, no session, no messages).
MIDDLEWARE = [
    # First: latency per endpoint and requests in flight (a no-op without METRICS_ENABLED).
    "gfms_portal.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "gfms_portal.headers.PermissionsPolicy",
    "gfms_portal.browser_middleware.WhiteNoiseMiddleware",
    "gfms_portal.browser_middleware.SessionMiddleware",
    "gfms_portal.language.ThaiFirstLocaleMiddleware",  # Thai unless English was chosen
    "gfms_portal.browser_middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # as is: check --deploy looks for it, and DRF views are exempt
    "gfms_portal.browser_middleware.AuthenticationMiddleware",
    "gfms_portal.browser_middleware.SessionGuard",
    "gfms_portal.browser_middleware.PrivilegedSessionGuard",
    "gfms_portal.browser_middleware.MessageMiddleware",
    "gfms_portal.error_pages.FriendlyNotFound",  # DEBUG only: no technical 404 for officers
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gfms_portal.urls"
CSRF_FAILURE_VIEW = "gfms_portal.error_pages.csrf_failure"  # Thai, with the next step
WSGI_APPLICATION = "gfms_portal.wsgi.application"
ASGI_APPLICATION = "gfms_portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registration.context_processors.schedule",
                "auth_gateway.signin.step_up_context",
            ],
            "builtins": ["gfms_portal.templatetags.thaidate"],
        },
    },
]

# Database: DATABASE_URL, else a SQLite file under var/. Connections are persistent: opening a
# PostgreSQL connection per request is what made other TOTP servers slow. No health-check
# query before each request (it was one round trip in nine per login check): on PostgreSQL
# the client-side deadline and keepalives below already fail a dead connection fast, the
# request it fails answers 503 (closed), and Django drops the broken connection at the end of
# that request. DB_CONN_HEALTH_CHECKS=true brings the check back.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'gfms.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=os.environ.get("DB_CONN_HEALTH_CHECKS", "false") == "true",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer must become a 503 at the gateway within seconds, never
    # a stuck login (docs/security.md, production edge). Three layers, each for a failure the
    # others miss: statement_timeout (the server ends a slow query: a clean error, the
    # connection stays usable); a client-side deadline on every round trip (a server that
    # does not answer at all, e.g. frozen, never applies its own timeout: gfms_portal.dbclient);
    # TCP keepalives and tcp_user_timeout (a dead host or network while idle or sending).
    # The statement timeout stays below the client deadline so that a merely slow query gets
    # the server's error first (gfms.E005). JIT off: our aggregate queries are estimated
    # "expensive" and spent 130-290 ms compiling for a few ms of gain (docs/performance.md).
    DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "1000"))
    DB_CLIENT_TIMEOUT_MS = int(os.environ.get("DB_CLIENT_TIMEOUT_MS", "1500"))
    # 2 s: forking and authenticating a backend on a busy server can take more than 1 s, and
    # a refused connect makes the process fail fast for a second (gfms_portal.dbclient).
    DB_CONNECT_TIMEOUT = float(os.environ.get("DB_CONNECT_TIMEOUT", "2"))
    # A wait for a row lock (one account's checks, one after the other) gives up first: a
    # burst of guesses for one account is refused like a wrong password instead of queueing
    # into the statement timeout (auth_gateway.services.lock_officer_row).
    DB_LOCK_TIMEOUT_MS = int(os.environ.get("DB_LOCK_TIMEOUT_MS", "500"))
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS} -c lock_timeout={DB_LOCK_TIMEOUT_MS}"
        f" -c jit={'on' if os.environ.get('DB_JIT') == 'on' else 'off'}"
        # Django keeps its connections in UTC and, when the server reports another zone (even
        # "Etc/UTC"), runs one more SET on every new connection.
        " -c TimeZone=UTC"
    )
    DATABASES["default"]["OPTIONS"].update(
        # libpq's own connect timeout (whole seconds, at least 2) applies only when the
        # client deadline is off (DB_CLIENT_TIMEOUT_MS=0): in non-blocking mode we time it.
        connect_timeout=max(2, math.ceil(DB_CONNECT_TIMEOUT)),
        keepalives=1,
        keepalives_idle=int(os.environ.get("DB_KEEPALIVES_IDLE", "15")),
        keepalives_interval=5,
        keepalives_count=3,
        tcp_user_timeout=int(os.environ.get("DB_TCP_USER_TIMEOUT_MS", "10000")),
    )
    from gfms_portal import dbclient  # psycopg2 only when PostgreSQL is configured

    dbclient.install(connect_s=DB_CONNECT_TIMEOUT, query_s=DB_CLIENT_TIMEOUT_MS / 1000)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A local demo only: persistent connections are pointless, and the timeout lets the
    # eager Celery tasks and the request share the file without "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "agencies.Officer"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "home"

# Argon2id over the NFKC-normalised password first (passwords.hashers, algorithm
# "argon2nfkc"; it reads its own hashes whatever their parameters); the others verify hashes
# made before it or migrated from GFMS (import_officers accepts any of them: MD5 too, for the
# oldest exports) and are upgraded to it on the officer's next successful login.
PASSWORD_HASHERS = [
    "passwords.hashers.Argon2idNfkcHasher",
    # Hashes made before NFKC ("argon2$…"): read, and re-made with the first at the next login.
    "gfms_portal.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
# NIST SP 800-63B-4 (docs/passwords.md): length 15–128 after NFKC, the common list, the
# account's context words, patterns — each also typed on the other keyboard layout. Every
# place that sets a password applies it (our pages, the Django admin, bootstrap_admin).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "passwords.validators.PasswordRulesValidator",
        "OPTIONS": {"min_length": 15, "max_length": 128},
    },
]

LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The Thai web font comes from a package dependency, served by us (never a CDN).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("fonts/sarabun", Path(fontpkg_sarabun.__file__).parent / "files"),
]
# After `collectstatic` (the production image runs it) files are served hashed and compressed
# from STATIC_ROOT; before it (a fresh clone, the tests) WhiteNoise serves them from the apps.
STATIC_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_COLLECTED
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_COLLECTED

# Cache: Redis when CACHE_URL is set (production: shared by every web process), else local.
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery: with no broker configured, tasks run eagerly in-process (local demo and tests).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    "outbox-send-pending": {"task": "outbox.tasks.send_pending", "schedule": 60.0},
    "token-key-return-reminders": {
        "task": "tokens.tasks.token_key_return_reminders",
        "schedule": 6 * 60 * 60.0,  # a few times a day; each reminder goes out once
    },
    "registration-reminders": {
        "task": "registration.tasks.registration_reminders",
        "schedule": 3 * 60 * 60.0,  # each reminder and digest goes out once, whatever the runs
    },
    "deliver-registration-reminders": {
        "task": "registration.tasks.deliver_registration_reminders",
        "schedule": 60.0,
    },
    "discard-expired-pending-tokens": {
        "task": "registration.tasks.discard_expired_pending_tokens",
        "schedule": 60.0,
    },
    "discard-expired-reveals": {
        "task": "registration.tasks.discard_expired_reveals",
        "schedule": 60.0,  # a one-time display lives 10 minutes (REVEAL_LIFETIME)
    },
}

# E-mail: console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=bool(EMAIL_HOST))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "GFMS Soft Token <no-reply@localhost>")

# Security headers; HTTPS-only settings switch on with SECURE_SSL (set behind TLS).
SECURE_SSL = env_bool("SECURE_SSL")
SESSION_COOKIE_SECURE = SECURE_SSL
CSRF_COOKIE_SECURE = SECURE_SSL
SECURE_SSL_REDIRECT = SECURE_SSL
SECURE_HSTS_SECONDS = 31536000 if SECURE_SSL else 0
# The portal has no other service on its host names, so subdomains are covered too. The
# preload flag only consents to the browsers' preload list: nothing happens until the
# registrable domain's owner submits it (hstspreload.org), and leaving the list takes months,
# so a .go.th agency decides that with its domain, not here (README, Production stack).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
# The health checks of compose and load balancers call gunicorn over plain HTTP from inside
# the network; they answer only {"status": ...}, so they need no redirect to HTTPS.
# /metrics likewise, for a Prometheus that scrapes gunicorn directly (docs/monitoring.md); it is
# answered only to METRICS_ALLOW whatever the scheme.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^api/v1/health$", r"^metrics$"]
# The reverse proxy (deploy/nginx) sets X-Forwarded-For/Proto/Host, overwriting whatever the
# client sent. Only the addresses listed here are believed (gfms_portal.wsgi and gunicorn's
# forwarded_allow_ips); from anyone else those headers are dropped before Django sees them.
GFMS_TRUSTED_PROXIES = env_list("GFMS_TRUSTED_PROXIES")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if GFMS_TRUSTED_PROXIES else None
SESSION_COOKIE_HTTPONLY = True
# Shared office PCs: 30 minutes idle (renewed on every request), 12 hours at most from
# sign-in (gfms_portal.middleware), and gone when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): our own origin only, no inline script or style, no
# framing. A page that needs more (the API docs) widens it for itself with csp_update.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page of the portal uses (gfms_portal.headers).
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), "
    "bluetooth=(), interest-cohort=()"
)

REST_FRAMEWORK = {
    # The gateway accepts service keys only (auth_gateway.api); never a browser session.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "auth_gateway.api.errors.fail_closed",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "GFMS Soft Token auth gateway",
    "DESCRIPTION": (
        "The login decisions the GFMS front-end asks for. Every call carries "
        "`Authorization: Bearer <service key>` (`manage.py create_service_client`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "auth_gateway.api.schema.require_request_bodies",
        "auth_gateway.api.schema.forbid_nul_characters",
    ],
    "ENUM_NAME_OVERRIDES": {
        "MethodEnum": "auth_gateway.policy.Method",
        "PhaseEnum": "schedule.policy.Phase",
        "ReasonEnum": "auth_gateway.policy.Reason",
        "DecisionEnum": "auth_gateway.policy.Decision",
    },
}

# Product settings.
GFMS_TOTP_ISSUER = os.environ.get("GFMS_TOTP_ISSUER", "GFMS Thai")
# Where officers register (quoted in the gateway's guidance messages).
# Every printed or e-mailed link is built from it; `make run` derives it from HOST and PORT.
GFMS_PORTAL_URL = os.environ.get("GFMS_PORTAL_URL", "http://127.0.0.1:8000/").rstrip("/") + "/"
# The demo GFMS login page (/demo/gfms-login/): on in DEBUG, else only when asked for.
GFMS_DEMO_FRONTEND = env_bool("GFMS_DEMO_FRONTEND", default=DEBUG)
# A refused password check (unknown user id, locked account, wrong password) answers no
# sooner than this after it began, so that its time does not tell which user ids exist or how
# their hash was imported (auth_gateway.passwords). Well above the slowest stored hash: PBKDF2
# with 1,000,000 iterations measured 295 ms on a quiet 2-core server and 580 ms on the same
# machine when its host was busy; 800 ms keeps the margin (docs/security.md).
GFMS_PASSWORD_FLOOR_MS = int(os.environ.get("GFMS_PASSWORD_FLOOR_MS", "800"))
# The threads of a process that compute its password hashes (auth_gateway.passwords): one per
# process, with gunicorn's cores + 1 processes (gunicorn.conf.py). 0 hashes in the request's
# own thread: the switch for comparing the two (make bench, scenario a-inline).
GFMS_PASSWORD_HASH_THREADS = int(os.environ.get("GFMS_PASSWORD_HASH_THREADS", "1"))
# An allowed soft-token check in one statement on PostgreSQL (auth_gateway.hot_path) rather
# than the five round trips of the transaction path, which decides everything else either
# way. On by default; false is a switch for comparing the two (make bench, the tests).
GFMS_GATEWAY_ONE_STATEMENT = env_bool("GFMS_GATEWAY_ONE_STATEMENT", default=True)
# The plain soft-token check answered without DRF's request cycle (auth_gateway.api.lean),
# everything else by the DRF view. Same answers either way; false is the switch for comparing.
GFMS_GATEWAY_LEAN_VIEW = env_bool("GFMS_GATEWAY_LEAN_VIEW", default=True)

# Prometheus metrics (docs/monitoring.md). METRICS_ENABLED=false makes every recording a no-op
# and /metrics a 404 (to measure their cost: docs/performance.md). /metrics answers only
# clients in METRICS_ALLOW (comma-separated addresses or CIDRs; nothing: nobody) — the same
# variable nginx allows on its /metrics location — and, when METRICS_TOKEN is set, only with
# `Authorization: Bearer <METRICS_TOKEN>`. METRICS_CELERY_QUEUES: the queues whose length is
# reported (default: the Celery app's own queues).
METRICS_ENABLED = env_bool("METRICS_ENABLED", default=True)
METRICS_ALLOW = env_list("METRICS_ALLOW")
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_CELERY_QUEUES = env_list("METRICS_CELERY_QUEUES")
# Longest wait for the broker during a scrape (connect, then each answer), seconds.
METRICS_BROKER_TIMEOUT = float(os.environ.get("METRICS_BROKER_TIMEOUT", "2"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
