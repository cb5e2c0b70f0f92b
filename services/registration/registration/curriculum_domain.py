"""Curriculum rules, free of I/O: which trainings registering to a node of the tree covers."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class CurriculumNode:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    blocking: bool
    training_ids: tuple[uuid.UUID, ...]


def curriculum_trainings(root: uuid.UUID, nodes: Sequence[CurriculumNode]) -> list[uuid.UUID]:
    """The trainings of `root` and its descendants, depth first in the order `nodes` come,
    each once. A `blocking` descendant and everything below it are left out; `root` itself
    counts even when it is blocking."""
    children: dict[uuid.UUID | None, list[CurriculumNode]] = {}
    by_id = {node.id: node for node in nodes}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    found: list[uuid.UUID] = []
    seen: set[uuid.UUID] = set()
    stack = [by_id[root]] if root in by_id else []
    while stack:
        node = stack.pop()
        if node.id in seen:  # a cycle cannot happen in the catalog; never loop on one anyway
            continue
        seen.add(node.id)
        found.extend(node.training_ids)
        below = [child for child in children.get(node.id, []) if not child.blocking]
        stack.extend(reversed(below))
    return list(dict.fromkeys(found))
