"""Catalog rules, free of I/O: who manages what, what a session inherits, valid dates, the tree."""

import uuid
from collections.abc import Hashable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TypeVar, cast

from pydantic import BaseModel

from catalog.fields import RuleChanges
from shared.auth import Principal
from shared.events import SessionRules, opens_before
from shared.refusals import Invalid

RULE_FIELDS: tuple[str, ...] = tuple(SessionRules.model_fields)

# A session's `tutors` and `organizations` are part of every event (séance) of it.
SESSION_FIELDS_EVENTS_CARRY = frozenset({"organizations", "tutors"})

H = TypeVar("H", bound=Hashable)
Changes = TypeVar("Changes", bound=Mapping[str, object])


class CatalogRuleError(Invalid):
    """A request breaks a catalog rule; `loc` names the offending field."""

    def __init__(self, loc: str, msg: str) -> None:
        super().__init__(loc, msg)

    @property
    def loc(self) -> str:
        return self.field


def may_manage(principal: Principal, organizations: Iterable[str]) -> bool:
    """A training's managers: training managers of one of its organizations, and platform admins."""
    return principal.manages_training_of(organizations)


def may_write_events(
    principal: Principal, organizations: Iterable[str], tutors: Iterable[str]
) -> bool:
    """Events (séances) and their comments, anyone's (docs/catalog.md: write = manager, tutor):
    the session's managers and its tutors. A comment keeps its author whoever edits it."""
    return may_manage(principal, organizations) or principal.sub in set(tutors)


def session_rules(training_rules: Mapping[str, object], requested: RuleChanges) -> RuleChanges:
    """A new session's rules: each one the request gives, else the training's."""
    return cast(
        RuleChanges, {name: requested.get(name, training_rules[name]) for name in RULE_FIELDS}
    )


def check_session_dates(start_date: date, end_date: date) -> None:
    if end_date < start_date:
        raise CatalogRuleError("end_date", "end_date must be on or after start_date")


def check_registration_window(
    opens: datetime | None, closes: datetime | None, unregistration_closes: datetime | None
) -> None:
    """As `RegistrationWindow` checks a body, for a session's window after a PATCH."""
    closings = (
        ("registration_closes_at", closes),
        ("unregistration_closes_at", unregistration_closes),
    )
    for name, closing in closings:
        if not opens_before(opens, closing):
            raise CatalogRuleError(name, f"{name} must be after registration_opens_at")


def check_event_times(start: datetime, end: datetime) -> None:
    if end <= start:
        raise CatalogRuleError("end", "end must be after start")


def changes(current: Mapping[str, object], requested: Changes) -> Changes:
    """The requested values that differ from the current ones: what a PATCH really changes (of
    the same shape: a part of the changes requested)."""
    return cast(
        Changes, {name: value for name, value in requested.items() if current.get(name) != value}
    )


def distinct(values: Iterable[H]) -> list[H]:
    """`values` without repeats, first occurrence kept."""
    return list(dict.fromkeys(values))


def like_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern (escape `\\`) matching `text` anywhere, wildcards literal."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_pattern(q: str | None) -> str | None:
    """The LIKE pattern of a list's `q` filter; none when `q` is absent or empty."""
    return like_pattern(q) if q else None


# Curricula: a tree of nodes, each listing trainings.
#
# - A root (no parent) is the platform's shelf: only a platform admin creates, edits or deletes one.
# - A *manager of a node* (not a root) is a training manager who manages every training it lists
#   (at least one); a node without trainings is managed by platform admins only.
# - A child may hang under a root by any training manager, under another node by its managers.
# - Creating, editing or deleting a node needs to manage it; an edit must leave a node the actor
#   still manages, and a new parent the actor may hang it under.


def manages_curriculum(
    principal: Principal, *, is_root: bool, training_organizations: Sequence[Iterable[str]]
) -> bool:
    if principal.is_platform_admin:
        return True
    if is_root or not principal.is_training_manager or not training_organizations:
        return False
    return all(may_manage(principal, orgs) for orgs in training_organizations)


def may_hang_under(
    principal: Principal,
    *,
    parent_is_root: bool,
    parent_training_organizations: Sequence[Iterable[str]],
) -> bool:
    if principal.is_platform_admin:
        return True
    if parent_is_root:
        return principal.is_training_manager
    return manages_curriculum(
        principal, is_root=False, training_organizations=parent_training_organizations
    )


def check_no_cycle(node_id: H, parent_lineage: Iterable[H]) -> None:
    """`parent_lineage` is the new parent and all its ancestors: the node may not be among them."""
    if node_id in set(parent_lineage):
        raise CatalogRuleError("parent_id", "a curriculum cannot be placed under itself")


def curriculum_organizations(training_organizations: Iterable[Iterable[str]]) -> list[str]:
    """A node's organizations: the union of its trainings' organizations, sorted."""
    return sorted({org for orgs in training_organizations for org in orgs})


class Comment(BaseModel):
    """A comment on an event (séance): read by every signed-in user, the learners included."""

    id: uuid.UUID
    event_id: uuid.UUID
    author_id: str
    author_name: str
    body: str
    version: int
    created_at: datetime
    updated_at: datetime
