"""What the alert rules and dashboards query: the metric names in a PromQL expression, the names
a scrape of the platform can hold, and promtool (Prometheus' own parser and rule engine)."""

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import yaml  # type: ignore[import-untyped]
from prometheus_client.metrics import MetricWrapperBase

import shared.metrics

_SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum"),
}
SCRAPE_METRICS = frozenset({"up"})
"""What Prometheus adds to every target."""
RABBITMQ_METRICS = frozenset({"rabbitmq_queue_messages", "rabbitmq_queue_messages_ready"})
"""The rabbitmq_prometheus plugin's per-queue metrics we query (its /metrics/per-object)."""

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_LABEL_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_LABEL_LISTS = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", re.IGNORECASE
)
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan"})


def declared_metrics() -> frozenset[str]:
    """The sample names shared/metrics.py's metrics expose (a counter's `_total`, a histogram's
    `_bucket`, `_count` and `_sum`)."""
    names: set[str] = set()
    for metric in vars(shared.metrics).values():
        if isinstance(metric, MetricWrapperBase):
            for family in metric.describe():
                names.update(family.name + suffix for suffix in _SAMPLE_SUFFIXES[family.type])
    return frozenset(names)


def known_metrics() -> frozenset[str]:
    return declared_metrics() | SCRAPE_METRICS | RABBITMQ_METRICS


def metric_names(expr: str) -> set[str]:
    """The metric names `expr` selects: identifiers that are not a function or aggregation
    (followed by `(`), a keyword, a label (in `{...}`, `by (...)`) or inside a string."""
    bare = _STRINGS.sub('""', expr)
    bare = _LABEL_MATCHERS.sub("", bare)
    bare = _RANGES.sub("", bare)
    bare = _LABEL_LISTS.sub("", bare)
    return {
        m.group(1)
        for m in _IDENTIFIER.finditer(bare)
        if m.group(2) is None and m.group(1).lower() not in _KEYWORDS
    }


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        raise AssertionError("promtool is needed (Debian's prometheus package: `make setup`)")
    return found


def run_promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], capture_output=True, text=True, timeout=120, check=False
    )


def check_expressions(exprs: Iterable[str]) -> subprocess.CompletedProcess[str]:
    """`promtool check rules` on a file with `exprs` as recording rules: each is parsed by
    Prometheus' own PromQL parser."""
    rules = [{"record": f"check:expr_{i}", "expr": expr} for i, expr in enumerate(exprs)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "exprs.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": "exprs", "rules": rules}]}))
        return run_promtool("check", "rules", str(path))
