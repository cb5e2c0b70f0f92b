"""deploy/grafana/peak-enrollment.json: a Grafana dashboard whose every panel queries the
provisioned Prometheus, each query parsed by Prometheus' own parser (promtool) and reading only
metrics the platform exposes, with the peak-enrollment view of docs/operations.md ("During a
peak"): decisions/s, queue depth, outbox lag, latency percentiles, replicas."""

import json
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from testsupport.promql import check_expressions, known_metrics, metric_names

ROOT = Path(__file__).resolve().parents[1]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD = GRAFANA / "peak-enrollment.json"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "datasources.yaml"
PANEL_TYPES = {"timeseries", "stat", "gauge", "bargauge", "table"}
# Grafana's interval variables, as Prometheus would see them once Grafana has substituted them
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "30m"}


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def panels() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = dashboard()["panels"]
    return found


def exprs() -> list[str]:
    return [target["expr"] for panel in panels() for target in panel["targets"]]


def as_prometheus_sees_it(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def test_the_dashboard_has_the_shape_grafana_loads() -> None:
    board = dashboard()
    assert board["uid"]
    assert board["title"]
    assert isinstance(board["schemaVersion"], int)
    ids = [panel["id"] for panel in panels()]
    assert len(ids) == len(set(ids))
    for panel in panels():
        assert panel["type"] in PANEL_TYPES, panel["title"]
        assert panel["title"]
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys()
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        assert panel["targets"], panel["title"]
        refs = [target["refId"] for target in panel["targets"]]
        assert len(refs) == len(set(refs)), panel["title"]


def test_every_panel_queries_the_provisioned_prometheus() -> None:
    sources = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    prometheus = {(s["type"], s["uid"]) for s in sources if s["type"] == "prometheus"}
    for panel in panels():
        for owner in (panel, *panel["targets"]):
            source = owner["datasource"]
            assert (source["type"], source["uid"]) in prometheus, panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]


def test_prometheus_parses_every_query() -> None:
    result = check_expressions(as_prometheus_sees_it(expr) for expr in exprs())
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_query_reads_metrics_the_platform_exposes() -> None:
    known = known_metrics()
    for expr in exprs():
        used = metric_names(as_prometheus_sees_it(expr))
        assert used, expr
        assert used <= known, f"{expr}: {sorted(used - known)} not declared"


def test_it_shows_the_peak_enrollment_view() -> None:
    used = set().union(*(metric_names(as_prometheus_sees_it(expr)) for expr in exprs()))
    assert {
        "registration_decisions_total",  # decisions/s
        "rabbitmq_queue_messages",  # queue depth
        "outbox_oldest_row_age_seconds",  # outbox lag
        "http_request_duration_seconds_bucket",  # latency percentiles
        "up",  # replicas
    } <= used
    quantiles = [e for e in exprs() if "http_request_duration_seconds_bucket" in e]
    assert {q.split(",", 1)[0] for q in quantiles} >= {
        "histogram_quantile(0.5",
        "histogram_quantile(0.95",
        "histogram_quantile(0.99",
    }
