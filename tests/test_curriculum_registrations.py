"""Curriculum registrations end to end through the gateway: a curriculum built with catalog's
real API, default sessions of every training of the node and its descendants, a blocking
subtree left out, what is skipped and why, a manager registering someone, and every refusal
(docs/reference/http.md)."""

import uuid
from typing import Any

import httpx
import pytest

from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG, OTHER_ORG = "org-cur-reg", "org-cur-other"


def manager(system: System, sub: str = "cr-manager", org: str = ORG) -> dict[str, str]:
    return system.auth(sub, name="Marc", roles=["training_manager"], organizations=[org])


def admin(system: System) -> dict[str, str]:
    return system.auth("cr-admin", roles=["platform_admin"])


def learner(system: System, sub: str) -> dict[str, str]:
    return system.auth(sub, name=f"Learner {sub}", email=f"{sub}@example.org")


async def call(
    system: System, method: str, path: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    return await system.http.request(method, path, json=body, headers=headers)


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    return response.json()


async def training_with_session(
    system: System, *, default: bool = True, org: str = ORG, public: bool = True
) -> tuple[str, str]:
    """A training and one session of it; the ids once registration knows the session."""
    headers = manager(system, f"cr-manager-{org}", org)
    training = expect(
        await call(
            system,
            "POST",
            "/api/trainings",
            headers,
            {
                "code": f"CR-{uuid.uuid4().hex[:8]}",
                "title": "Formation",
                "organizations": [org],
                "public_registration": public,
            },
        ),
        201,
    )
    session = expect(
        await call(
            system,
            "POST",
            f"/api/trainings/{training['id']}/sessions",
            headers,
            {
                "title": "Mai",
                "start_date": "2027-05-01",
                "end_date": "2027-05-02",
                "default_session": default,
            },
        ),
        201,
    )

    async def known() -> bool:
        seats = await system.http.get(
            "/api/seats", params={"session_id": session["id"]}, headers=headers
        )
        return bool(seats.json()["items"])

    await eventually(known, within=20, what="the session to reach registration")
    return training["id"], session["id"]


async def curriculum(
    system: System, headers: dict[str, str], trainings: list[str], **fields: Any
) -> str:
    body = {"code": f"CUR-{uuid.uuid4().hex[:8]}", "title": "Parcours", "training_ids": trainings}
    node = expect(await call(system, "POST", "/api/curricula", headers, {**body, **fields}), 201)
    ident: str = node["id"]
    return ident


async def register(
    system: System, headers: dict[str, str], curriculum_id: str, **body: Any
) -> httpx.Response:
    return await call(
        system,
        "POST",
        "/api/curriculum-registrations",
        headers,
        {"curriculum_id": curriculum_id, **body},
    )


def skipped(answer: dict[str, Any]) -> list[tuple[str | None, str | None, str]]:
    return [(s["session_id"], s.get("training_id"), s["reason"]) for s in answer["skipped"]]


async def test_a_curriculum_registers_to_the_default_sessions_of_its_tree(
    healthy_system: System,
) -> None:
    system = healthy_system
    a, a_session = await training_with_session(system)
    e, e_session = await training_with_session(system, public=False)
    b, b_session = await training_with_session(system)
    d, _ = await training_with_session(system, default=False)
    c, c_session = await training_with_session(system)
    f, f_session = await training_with_session(system, org=OTHER_ORG)

    root = await curriculum(system, admin(system), [a, e])
    await curriculum(system, manager(system), [b, d], parent_id=root)
    blocking = await curriculum(system, manager(system), [c], parent_id=root, blocking=True)
    await curriculum(
        system, manager(system, f"cr-manager-{OTHER_ORG}", OTHER_ORG), [f], parent_id=root
    )

    async def replicated() -> bool:  # a probe learner, until registration has the whole tree
        response = await register(system, learner(system, "cr-probe"), root)
        if response.status_code != 201:
            return False
        answer = response.json()
        return len(answer["registrations"]) + len(answer["skipped"]) == 5

    await eventually(replicated, within=30, what="the curriculum tree to reach registration")

    mine = expect(await register(system, learner(system, "cr-1"), root), 201)
    assert [r["session_id"] for r in mine["registrations"]] == [a_session, b_session, f_session]
    assert {r["user"]["id"] for r in mine["registrations"]} == {"cr-1"}
    assert {r["status"] for r in mine["registrations"]} == {"confirmed"}
    assert skipped(mine) == [(e_session, e, "not_public"), (None, d, "no_default_session")]
    again = expect(await register(system, learner(system, "cr-1"), root), 201)
    assert again["registrations"] == []
    assert [s["reason"] for s in again["skipped"]] == [
        "already_registered",
        "not_public",
        "already_registered",
        "no_default_session",
        "already_registered",
    ]
    listed = expect(
        await system.http.get(
            "/api/registrations", params={"user_id": "cr-1"}, headers=learner(system, "cr-1")
        ),
        200,
    )
    assert listed["total"] == 3

    # a manager registers someone to the sessions of the trainings they manage
    someone = {"id": "cr-2", "email": "cr-2@example.org", "name": "Learner cr-2"}
    theirs = expect(await register(system, manager(system), root, user=someone), 201)
    assert [r["session_id"] for r in theirs["registrations"]] == [a_session, e_session, b_session]
    assert skipped(theirs) == [(None, d, "no_default_session"), (f_session, f, "forbidden")]
    # registering to a blocking node itself is allowed
    blocked = expect(await register(system, learner(system, "cr-3"), blocking), 201)
    assert [r["session_id"] for r in blocked["registrations"]] == [c_session]

    # refusals
    expect(await register(system, {}, root), 401)
    expect(await register(system, {"Authorization": "Bearer nope"}, root), 401)
    expect(await register(system, learner(system, "cr-4"), root, user=someone), 403)
    expect(await register(system, learner(system, "cr-4"), str(uuid.uuid4())), 404)
    for body in ({}, {"curriculum_id": "x"}, {"curriculum_id": root, "user": {"id": "u"}}):
        invalid = expect(
            await call(system, "POST", "/api/curriculum-registrations", manager(system), body),
            422,
        )
        assert invalid["errors"]
