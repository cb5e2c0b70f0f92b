"""Reading a scraped `/metrics` exposition in tests."""

from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families


def sample(exposition: str, name: str, labels: Mapping[str, str] | None = None) -> float:
    """The value of sample `name` whose labels include `labels`; 0 when there is none (a
    counter that never moved has no child yet)."""
    wanted = dict(labels or {})
    found = 0.0
    for family in text_string_to_metric_families(exposition):
        for point in family.samples:
            if point.name == name and wanted.items() <= point.labels.items():
                found += point.value
    return found
