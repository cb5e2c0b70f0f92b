"""Catalog rules, free of I/O: who manages a training, what a session inherits, valid dates."""

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from shared.auth import Principal
from shared.events import SessionRules

RULE_FIELDS: tuple[str, ...] = tuple(SessionRules.model_fields)


class CatalogRuleError(ValueError):
    """A request breaks a catalog rule; `loc` names the offending field."""

    def __init__(self, loc: str, msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


def may_manage(principal: Principal, organizations: Iterable[str]) -> bool:
    """A training's managers: training managers of one of its organizations, and platform admins."""
    return principal.manages_training_of(organizations)


def session_rules(
    training_rules: Mapping[str, Any], requested: Mapping[str, Any]
) -> dict[str, Any]:
    """A new session's rules: each one the request gives, else the training's."""
    return {name: requested.get(name, training_rules[name]) for name in RULE_FIELDS}


def check_session_dates(start_date: date, end_date: date) -> None:
    if end_date < start_date:
        raise CatalogRuleError("end_date", "end_date must be on or after start_date")
