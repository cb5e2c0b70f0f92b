"""deploy/prometheus/rules.yaml: Prometheus accepts it, each alert fires and stays quiet as
rules.test.yaml says (`promtool test rules`: Prometheus' own rule engine on input series), the
Kubernetes PrometheusRule carries the same groups, every metric a rule reads is one the platform
exposes, and docs/operations.md says what each alert means."""

import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from testsupport.promql import known_metrics, metric_names, run_promtool

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = PROMETHEUS / "rules.yaml"
RULES_TESTS = PROMETHEUS / "rules.test.yaml"
PROMETHEUS_RULE = ROOT / "deploy" / "kubernetes" / "base" / "alerts.yaml"
OPERATIONS = ROOT / "docs" / "operations.md"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def alerting_rules() -> list[dict[str, Any]]:
    return [rule for group in load(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


def test_prometheus_accepts_the_rules() -> None:
    result = run_promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_fires_and_stays_quiet_as_its_tests_say() -> None:
    result = run_promtool("test", "rules", str(RULES_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for case in load(RULES_TESTS)["tests"]:
        for check in case["alert_rule_test"]:
            (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in alerting_rules()}
    assert firing == names
    assert quiet == names


def test_the_prometheus_rule_carries_the_same_groups() -> None:
    rule = load(PROMETHEUS_RULE)
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["kind"] == "PrometheusRule"
    assert rule["spec"]["groups"] == load(RULES)["groups"], (
        "deploy/kubernetes/base/alerts.yaml's spec.groups must be rules.yaml's groups"
    )


def test_every_metric_a_rule_reads_is_exposed() -> None:
    known = known_metrics()
    for rule in alerting_rules():
        used = metric_names(rule["expr"])
        assert used, rule["alert"]
        assert used <= known, f"{rule['alert']}: {sorted(used - known)} not declared"


def test_the_metric_names_of_an_expression() -> None:
    """The extraction the check above relies on."""
    expr = (
        'sum by (service) (rate(http_requests_total{status=~"5..", route="up"}[5m])) / '
        "sum without (le) (rate(x_bucket[$__rate_interval] offset 1m)) > bool 0.5 "
        "and on (job) up == 0"
    )
    assert metric_names(expr) == {"http_requests_total", "x_bucket", "up"}


def test_each_alert_has_a_runbook_in_the_operations_guide() -> None:
    operations = OPERATIONS.read_text()
    alerts_section = operations.split("\n## Alerts\n", 1)[1].split("\n## ", 1)[0]
    headings = set(re.findall(r"^### (\S+)$", alerts_section, re.MULTILINE))
    for rule in alerting_rules():
        assert rule["alert"] in headings, f"docs/operations.md, Alerts: no ### {rule['alert']}"
        assert rule["annotations"]["runbook"] == f"docs/operations.md#{rule['alert'].lower()}"
        assert {"summary", "description"} <= rule["annotations"].keys()
        assert rule["labels"]["severity"] in {"critical", "warning"}
