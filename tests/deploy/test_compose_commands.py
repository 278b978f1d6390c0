"""The compose file's commands, run outside Docker with the same files and a production-like
environment (there is no Docker engine here): the web health check against real gunicorn,
and the `migrate` step's `check --deploy` with the documented values and with the
placeholders of .env.example."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

from gfms_portal.wsgi import apply_proxy_headers, trusted_networks
from tests.deploy.conftest import (
    PRODUCTION_ENV,
    ROOT,
    Postgres,
    app_env,
    gunicorn,
    manage,
)

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCUMENTED = {  # README, Production stack: what an operator fills in
    **PRODUCTION_ENV,
    "DATABASE_URL": "postgres://gfms:Xk29sLq0vN4mR8tB3wY7zAq@db.internal:5432/gfms",
    "GFMS_TRUSTED_PROXIES": "172.30.253.2",
}


def run_healthcheck(test: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    assert test[0] == "CMD"
    command = [sys.executable if test[1] == "python" else test[1], *test[2:]]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603


def test_web_healthcheck_passes_in_the_production_configuration(
    private_postgres: Postgres, tmp_path: Path
) -> None:
    web = COMPOSE["services"]["web"]
    assert "ports" not in web  # only the edge is published
    env = app_env(private_postgres, tmp_path, GFMS_TRUSTED_PROXIES="172.30.253.2")
    with gunicorn(env, tmp_path / "gunicorn.log") as port:
        # The container's environment, with gunicorn where this test put it.
        container_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        result = run_healthcheck(web["healthcheck"]["test"], container_env)
        assert result.returncode == 0, result.stderr
        # The command it replaced: 400 (Host 127.0.0.1 not allowed), so always unhealthy.
        old = [
            "CMD", "python", "-c",
            "import urllib.request; urllib.request.urlopen("
            f"'http://127.0.0.1:{port}/healthz', timeout=3)",
        ]  # fmt: skip
        failed = run_healthcheck(old, container_env)
        assert failed.returncode != 0 and "400" in failed.stderr
    # Nothing listens any more: the check fails (it tests something).
    assert run_healthcheck(web["healthcheck"]["test"], container_env).returncode != 0


def test_check_deploy_is_clean_with_the_documented_production_environment(
    tmp_path: Path,
) -> None:
    env = {"PATH": "/usr/bin:/bin", "GFMS_VAR_DIR": str(tmp_path), **DOCUMENTED}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def test_the_migrate_step_refuses_the_placeholders_of_env_example(tmp_path: Path) -> None:
    migrate = COMPOSE["services"]["migrate"]["command"][-1]
    check = re.match(r"python manage.py (check [^&]+?) &&", migrate)
    assert check is not None
    args = check.group(1).split()
    env = {"PATH": "/usr/bin:/bin", "GFMS_VAR_DIR": str(tmp_path), **env_example()}
    result = manage(*args, env=env, check=False)
    assert result.returncode != 0
    for error in ("gfms.E001", "gfms.E003", "gfms.E004"):
        assert error in result.stderr
    # Real keys, placeholder database password (the one in .env.example's DATABASE_URL).
    env.update(SECRET_KEY=DOCUMENTED["SECRET_KEY"])
    env.update(GFMS_ENCRYPTION_KEYS=DOCUMENTED["GFMS_ENCRYPTION_KEYS"])
    result = manage(*args, env=env, check=False)
    assert result.returncode != 0
    assert "gfms.E004" in result.stderr and "gfms.E003" not in result.stderr
    # The same step passes with the documented values.
    env.update(DOCUMENTED)
    assert manage(*args, env=env, check=False).returncode == 0


def test_every_template_variable_is_set_for_the_edge_container() -> None:
    template = (ROOT / "deploy" / "nginx" / "gfms.conf.template").read_text()
    needed = set(re.findall(r"\$\{(\w+)\}", template))
    edge = COMPOSE["services"]["edge"]
    assert needed == set(edge["environment"])
    assert next(v.split(":")[1] for v in edge["volumes"]) == (
        "/etc/nginx/templates/default.conf.template"
    )
    assert set(COMPOSE["services"]) >= {"edge", "web", "migrate", "worker", "beat"}
    published = [name for name, service in COMPOSE["services"].items() if "ports" in service]
    assert published == ["edge"]


def test_forwarding_headers_count_only_from_the_proxy() -> None:
    proxies = trusted_networks(["172.30.253.2"])
    spoofed = {
        "HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_FORWARDED": "for=1.2.3.4",
    }
    from_proxy = {"REMOTE_ADDR": "172.30.253.2", **spoofed}
    apply_proxy_headers(from_proxy, proxies)
    # The last entry is the one the proxy added; the header itself is gone.
    assert from_proxy["REMOTE_ADDR"] == "198.51.100.7"
    assert "HTTP_X_FORWARDED_FOR" not in from_proxy
    assert from_proxy["HTTP_X_FORWARDED_PROTO"] == "https"
    from_elsewhere = {"REMOTE_ADDR": "10.0.0.5", **spoofed}
    apply_proxy_headers(from_elsewhere, proxies)
    assert from_elsewhere == {"REMOTE_ADDR": "10.0.0.5"}
    garbled = {"REMOTE_ADDR": "172.30.253.2", "HTTP_X_FORWARDED_FOR": "not-an-ip"}
    apply_proxy_headers(garbled, proxies)
    assert garbled == {"REMOTE_ADDR": "172.30.253.2"}
    nothing_trusted = {"REMOTE_ADDR": "127.0.0.1", **spoofed}
    apply_proxy_headers(nothing_trusted, trusted_networks([]))
    assert nothing_trusted == {"REMOTE_ADDR": "127.0.0.1"}
