"""Where a broken catalog rule becomes the caller's answer: a 422 naming the field."""

from collections.abc import Iterator
from contextlib import contextmanager

from catalog.domain import CatalogRuleError
from shared.problems import invalid


@contextmanager
def rule_refusals() -> Iterator[None]:
    try:
        yield
    except CatalogRuleError as exc:
        raise invalid(exc.loc, exc.msg) from exc
