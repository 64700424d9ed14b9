"""deploy/k8s/monitoring: alert rules checked and unit-tested by promtool, every metric they and
the dashboard use exported by the services, every alert explained in the runbook."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.kustomize import K8S, Manifest, find, of_kind, rendered
from tests.support.ops_tools import REPO, run_ops_tool

MONITORING = K8S / "monitoring"
RULE_TESTS = Path(__file__).parent / "prometheus_rules" / "rules-test.yaml"
RUNBOOK = REPO / "docs" / "operations.md"
METRIC_SOURCES = (
    REPO / "services" / "queue_gate" / "adapters" / "prometheus_metrics.py",
    REPO / "services" / "siak_monitor" / "entrypoints" / "metrics.py",
)
PROMETHEUS_OWN = {"up"}
_METRIC = re.compile(r"\b(?:queue_gate|siak_monitor)_[a-z0-9_]+\b|\bup(?=\{)")
_DECLARED = re.compile(r"\b(Counter|Gauge|Histogram|GaugeMetricFamily)\(\s*\"([a-z_]+)\"")


def _rules() -> Manifest:
    return find(rendered(MONITORING), "PrometheusRule", "siak-gate")


def _alerts() -> list[dict[str, Any]]:
    return [rule for group in _rules()["spec"]["groups"] for rule in group["rules"]]


def _dashboard() -> dict[str, Any]:
    configmap = find(rendered(MONITORING), "ConfigMap", "siak-gate-dashboard")
    (text,) = configmap["data"].values()
    dashboard: dict[str, Any] = json.loads(text)
    return dashboard


def _exported_series() -> set[str]:
    """Every series name the two services export, as Prometheus stores it."""
    names: set[str] = set()
    for source in METRIC_SOURCES:
        for kind, name in _DECLARED.findall(source.read_text()):
            if kind == "Counter":
                names.add(name.removesuffix("_total") + "_total")
            elif kind == "Histogram":
                names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
            else:
                names.add(name)
    return names


def _used_series(expression: str) -> set[str]:
    return set(_METRIC.findall(expression))


@pytest.fixture
def rule_files(tmp_path: Path) -> Path:
    """The PrometheusRule's groups as a Prometheus rule file, beside the rule unit tests."""
    (tmp_path / "siak-gate.rules.yaml").write_text(
        yaml.safe_dump({"groups": _rules()["spec"]["groups"]})
    )
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    return tmp_path


def test_promtool_accepts_the_rules(rule_files: Path) -> None:
    output = run_ops_tool("promtool", "check", "rules", rule_files / "siak-gate.rules.yaml")
    assert f"SUCCESS: {len(_alerts())} rules found" in output


def test_the_alerts_pass_their_unit_tests(rule_files: Path) -> None:
    output = run_ops_tool("promtool", "test", "rules", rule_files / RULE_TESTS.name)
    assert "SUCCESS" in output


def test_every_alert_has_a_unit_test() -> None:
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    tested = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert tested == {alert["alert"] for alert in _alerts()}


def test_the_metric_scanner_sees_what_the_services_export() -> None:
    exported = _exported_series()
    assert {
        "queue_gate_task_restarts_total",
        "queue_gate_backlog",
        "queue_gate_outbox_depth",
        "queue_gate_intake_seconds_bucket",
        "siak_monitor_events_published_total",
        "siak_monitor_region_status",
    } <= exported
    assert _used_series('sum(rate(queue_gate_siak_answers_total{outcome="x"}[5m])) > 0') == {
        "queue_gate_siak_answers_total"
    }


def test_alerts_use_only_metrics_the_services_export() -> None:
    known = _exported_series() | PROMETHEUS_OWN
    for alert in _alerts():
        used = _used_series(alert["expr"])
        assert used, alert["alert"]
        assert used <= known, (alert["alert"], used - known)


def test_every_alert_is_labelled_and_links_its_runbook_section() -> None:
    headings = re.findall(r"^#{2,4} (\w+)$", RUNBOOK.read_text(), flags=re.MULTILINE)
    for alert in _alerts():
        name = alert["alert"]
        assert alert["labels"]["severity"] in {"warning", "critical"}, name
        assert alert["annotations"]["runbook_url"] == f"docs/operations.md#{name.lower()}"
        assert name in headings, f"docs/operations.md has no section `{name}`"


def test_the_dashboard_charts_only_exported_metrics_from_a_chosen_prometheus() -> None:
    dashboard = _dashboard()
    known = _exported_series()
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        for target in panel["targets"]:
            used = _used_series(target["expr"])
            assert used and used <= known, (panel["title"], used - known)


def test_the_dashboard_reaches_grafana_through_its_sidecar_label() -> None:
    configmap = find(rendered(MONITORING), "ConfigMap", "siak-gate-dashboard")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["name"] == "siak-gate-dashboard"  # no hash: a stable name


def test_the_service_monitor_scrapes_both_services_on_their_http_port() -> None:
    (monitor,) = of_kind(rendered(MONITORING), "ServiceMonitor")
    selector = monitor["spec"]["selector"]["matchLabels"]
    (endpoint,) = monitor["spec"]["endpoints"]
    services = of_kind(rendered(K8S / "base"), "Service")
    scraped = [
        service["metadata"]["name"]
        for service in services
        if all(service["metadata"]["labels"].get(k) == v for k, v in selector.items())
    ]
    assert sorted(scraped) == ["queue-gate", "siak-monitor"]
    for service in services:
        assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics"
