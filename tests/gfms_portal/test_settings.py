import subprocess
import sys
from pathlib import Path

from django.core.checks import run_checks

from gfms_portal.checks import check_keys_from_environment, check_mail_goes_out

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_check_refuses_generated_development_keys(settings) -> None:
    settings.GFMS_USING_DEV_KEYS = True
    errors = check_keys_from_environment(None)
    assert [error.id for error in errors] == ["gfms.E001"]
    assert "gfms.E001" in [e.id for e in run_checks(include_deployment_checks=True)]


def test_deploy_check_passes_with_keys_from_environment(settings) -> None:
    settings.GFMS_USING_DEV_KEYS = False
    assert check_keys_from_environment(None) == []


def test_deploy_check_refuses_console_email(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert [e.id for e in check_mail_goes_out(None)] == ["gfms.E002"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert check_mail_goes_out(None) == []


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    # A fresh interpreter: production values from the environment, nothing from var/.
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='gfms_portal.settings'; "
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['CONN_MAX_AGE'], "
        "s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE, s.GFMS_USING_DEV_KEYS, s.ALLOWED_HOSTS, "
        "s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1], s.EMAIL_BACKEND.rsplit('.', 2)[-2])"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "GFMS_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 50,
        "GFMS_ENCRYPTION_KEYS": "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=",
        "DATABASE_URL": "postgres://u:p@db.example:5432/gfms",
        "CELERY_BROKER_URL": "redis://redis.example:6379/0",
        "CACHE_URL": "redis://redis.example:6379/1",
        "EMAIL_HOST": "smtp.example",
        "ALLOWED_HOSTS": "portal.example,other.example",
    }
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert output == [
        "django.db.backends.postgresql", "60", "False", "Asia/Bangkok", "False",
        "['portal.example',", "'other.example']", "RedisCache", "smtp",
    ]  # fmt: skip
    assert list(tmp_path.iterdir()) == []  # no development key was generated


def test_development_defaults_generate_keys_into_var(tmp_path: Path) -> None:
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='gfms_portal.settings'; "
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.GFMS_USING_DEV_KEYS)"
    )
    env = {"PATH": "/usr/bin:/bin", "GFMS_VAR_DIR": str(tmp_path)}
    run = lambda: subprocess.run(  # noqa: E731, S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert run() == ["django.db.backends.sqlite3", "True", "True"]
    key = (tmp_path / "encryption_key").read_text()
    assert (tmp_path / "encryption_key").stat().st_mode & 0o777 == 0o600
    run()
    assert (tmp_path / "encryption_key").read_text() == key  # stable across restarts
