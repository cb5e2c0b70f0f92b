"""The curricula page's tree and who may change a node of it."""

from console.routes.curricula import manages_curriculum, may_add_under, tree_of
from console.viewer import Viewer


def viewer(*roles: str, organizations: tuple[str, ...] = ("org-1",)) -> Viewer:
    return Viewer(
        token="t",
        id="someone",
        name="Someone",
        email="someone@example.org",
        locale="en",
        roles=frozenset(roles),
        organizations=frozenset(organizations),
        managed_organizations=frozenset(),
        expires_at=None,
    )


ROOT: dict[str, object] = {"id": "r", "parent_id": None, "code": "R", "training_ids": []}
CHILD = {"id": "c", "parent_id": "r", "code": "C", "training_ids": ["t1"]}
MIXED = {"id": "m", "parent_id": "c", "code": "M", "training_ids": ["t1", "t2"]}
TRAININGS = {
    "t1": {"id": "t1", "organizations": ["org-1"]},
    "t2": {"id": "t2", "organizations": ["org-2"]},
}


def test_the_tree_nests_children_under_their_parent() -> None:
    orphan = {"id": "o", "parent_id": "gone", "code": "O", "training_ids": []}
    roots = tree_of([ROOT, CHILD, MIXED, orphan])
    assert [node.curriculum["id"] for node in roots] == ["r", "o"]
    assert [node.curriculum["id"] for node in roots[0].children] == ["c"]
    assert [node.curriculum["id"] for node in roots[0].children[0].children] == ["m"]


def test_a_manager_changes_the_nodes_whose_every_training_they_manage() -> None:
    manager = viewer("training_manager")
    assert not manages_curriculum(manager, ROOT, TRAININGS)  # roots are the admin's
    assert manages_curriculum(manager, CHILD, TRAININGS)
    assert not manages_curriculum(manager, MIXED, TRAININGS)  # t2 is org-2's
    assert manages_curriculum(viewer("platform_admin"), MIXED, TRAININGS)
    assert not manages_curriculum(viewer(), CHILD, TRAININGS)


def test_a_manager_adds_under_a_root_or_a_node_they_manage() -> None:
    manager = viewer("training_manager")
    assert may_add_under(manager, ROOT, TRAININGS)
    assert may_add_under(manager, CHILD, TRAININGS)
    assert not may_add_under(manager, MIXED, TRAININGS)
    assert not may_add_under(viewer(), ROOT, TRAININGS)
