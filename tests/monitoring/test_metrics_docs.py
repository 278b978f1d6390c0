"""The sample Grafana dashboard and the Prometheus alert rules in docs/ use only metrics that
/metrics really exposes (with labels they really have), every exposed metric is explained in
docs/monitoring.md, and every alert has its section there — so none of them can drift from
the code. With promtool installed, the rules are also checked and unit-tested
(docs/prometheus/alerts.test.yml) and the dashboard's queries parsed."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine
import yaml
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from gfms_portal import metrics
from tests.auth_gateway.conftest import IN_WINDOW
from tests.conftest import PASSWORD
from tests.monitoring.test_metrics import closed_port

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "docs" / "grafana" / "gfms-gateway.json"
ALERTS = ROOT / "docs" / "prometheus" / "alerts.yml"
ALERT_TESTS = ROOT / "docs" / "prometheus" / "alerts.test.yml"
MONITORING_DOC = ROOT / "docs" / "monitoring.md"
NAME = re.compile(r"\bgfms_[a-z0-9_]+")
# A selector: a metric name followed by {label op "value", ...}.
SELECTOR = re.compile(r"\b(gfms_[a-z0-9_]+)\{([^}]*)\}")
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"job", "instance"}
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}

pytestmark = pytest.mark.django_db


def dashboard_queries() -> list[str]:
    document = json.loads(DASHBOARD.read_text())
    panels = [p for p in document["panels"] if p["type"] != "row"]
    assert panels, "the dashboard has panels"
    queries = []
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"], panel["title"]
        queries += [target["expr"] for target in panel["targets"]]
    variables = {v["name"] for v in document["templating"]["list"]}
    assert {"datasource", "job"} <= variables
    return queries


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


@pytest.fixture
def exposed(client: Client, settings, real_broker: str, api, dave) -> dict[str, set[str]]:
    """Every sample name /metrics exposes, with its labels, once everything has happened at
    least once (a labelled metric has no sample before its first count): a check, a cache that
    fails for real, a database error (counted through the recorder: the real failures are in
    test_metrics.py, PostgreSQL only), the real Redis broker."""
    settings.METRICS_ALLOW = ["127.0.0.1"]
    body = {"username": "dave", "password": PASSWORD, "method": "password"}
    with time_machine.travel(IN_WINDOW, tick=False):
        assert api("/api/v1/auth/check", body).status_code == 200
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            }
        }
        assert api("/api/v1/auth/check", body).status_code == 200
    metrics.database_error("metrics_scrape")
    response = client.get("/metrics")
    assert response.status_code == 200
    names: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        labels = {label for sample in family.samples for label in sample.labels} - {"le"}
        for suffix in SUFFIXES.get(family.type, ("",)):
            names[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return names


def check_names(expressions: list[str], exposed: dict[str, set[str]], where: str) -> set[str]:
    used = set()
    for expression in expressions:
        for name in NAME.findall(expression):
            assert name in exposed, f"{where}: {name} is not exposed by /metrics"
            used.add(name)
        for name, matchers in SELECTOR.findall(expression):
            for label in re.findall(r"([a-z_]+)\s*(?:=~|!~|!=|=)", matchers):
                allowed = exposed[name] | TARGET_LABELS
                assert label in allowed, f"{where}: {name} has no label {label!r}"
    return used


def test_the_dashboard_uses_only_exposed_metrics(exposed: dict[str, set[str]]) -> None:
    used = check_names(dashboard_queries(), exposed, "docs/grafana/gfms-gateway.json")
    # What the issue asks the dashboard to show.
    assert {
        "gfms_gateway_checks_total",
        "gfms_http_request_duration_seconds_bucket",
        "gfms_http_request_duration_seconds_count",
        "gfms_database_errors_total",
        "gfms_cache_errors_total",
        "gfms_outbox_unsent_messages",
        "gfms_outbox_oldest_unsent_age_seconds",
        "gfms_celery_queue_length",
    } <= used


def test_the_alert_rules_use_only_exposed_metrics(exposed: dict[str, set[str]]) -> None:
    rules = alert_rules()
    used = check_names([rule["expr"] for rule in rules], exposed, "docs/prometheus/alerts.yml")
    assert {
        "gfms_http_request_duration_seconds_count",
        "gfms_http_request_duration_seconds_bucket",
        "gfms_outbox_oldest_unsent_age_seconds",
        "gfms_celery_queue_length",
        "gfms_scrape_source_up",
    } <= used
    assert any(re.search(r"\bup\{", rule["expr"]) for rule in rules)  # the scrape itself


def test_every_alert_is_explained_and_every_metric_documented(
    exposed: dict[str, set[str]],
) -> None:
    doc = MONITORING_DOC.read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", doc, re.MULTILINE)
    }
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        assert rule["for"], rule["alert"]
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/monitoring.md" and anchor in anchors, rule["alert"]
        assert rule["alert"] in doc, f"{rule['alert']} is not explained in docs/monitoring.md"
    families = {re.sub(r"_(total|bucket|count|sum)$", "", name) for name in exposed}
    for family in sorted(f for f in families if f.startswith("gfms_")):
        assert f"`{family}" in doc, f"{family} is not described in docs/monitoring.md"


def promtool() -> str:
    """PROMTOOL, the one `make promtool` puts in .venv/bin, or one on PATH."""
    local = ROOT / ".venv" / "bin" / "promtool"
    found = os.environ.get("PROMTOOL") or (str(local) if local.exists() else None)
    found = found or shutil.which("promtool")
    if not found:
        pytest.skip("promtool is not installed (make promtool)")
    return found


def test_promtool_checks_the_rules_and_their_unit_tests() -> None:
    tool = promtool()
    checked = subprocess.run(  # noqa: S603
        [tool, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(  # noqa: S603
        [tool, "test", "rules", str(ALERT_TESTS)], capture_output=True, text=True, check=False
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_promtool_parses_every_dashboard_query(tmp_path: Path) -> None:
    tool = promtool()
    # Grafana's variables, as Grafana fills them in, then each query as a recording rule.
    rules = [
        {
            "record": f"dashboard:query_{index}",
            "expr": query.replace("$__rate_interval", "5m").replace("$job", ".+"),
        }
        for index, query in enumerate(dashboard_queries())
    ]
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    checked = subprocess.run(  # noqa: S603
        [tool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
