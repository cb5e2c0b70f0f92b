"""The catalog through the gateway, as the platform and a subscriber see it: trainings, sessions
pre-filled from them, events (séances) and their comments, curricula — and every refusal."""

import uuid
from typing import Any

import pytest

from testsupport.subscriber import Subscriber, subscribed
from testsupport.system import System

pytestmark = pytest.mark.system

ORG = "org-catalog"
OTHER_ORG = "org-elsewhere"

Headers = dict[str, str]


def manager(system: System, sub: str = "cat-manager", org: str = ORG) -> Headers:
    return system.auth(sub, name="Marie Manager", roles=["training_manager"], organizations=[org])


def admin(system: System) -> Headers:
    return system.auth("cat-admin", name="Alice Admin", roles=["platform_admin"])


def learner(system: System, sub: str = "cat-learner") -> Headers:
    return system.auth(sub, name="Léa Martin", organizations=[ORG])


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def call(
    system: System,
    method: str,
    path: str,
    headers: Headers,
    body: dict[str, Any] | None = None,
    *,
    expect: int,
) -> Any:
    response = await system.http.request(method, path, json=body, headers=headers)
    assert response.status_code == expect, response.text
    if expect == 204 or not response.content:
        return None
    if expect >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    return response.json()


async def create_training(system: System, headers: Headers | None = None, **fields: Any) -> Any:
    body = {"code": unique("TR"), "title": "Sécurité au travail", "organizations": [ORG], **fields}
    return await call(
        system, "POST", "/api/trainings", headers or manager(system), body, expect=201
    )


async def create_session(
    system: System, training_id: str, headers: Headers | None = None, **fields: Any
) -> Any:
    body = {
        "title": "Session de mars",
        "start_date": "2027-03-01",
        "end_date": "2027-03-03",
        **fields,
    }
    return await call(
        system,
        "POST",
        f"/api/trainings/{training_id}/sessions",
        headers or manager(system),
        body,
        expect=201,
    )


async def create_event(
    system: System, session_id: str, headers: Headers | None = None, **fields: Any
) -> Any:
    body = {
        "title": "Séance 1",
        "start": "2027-03-01T09:00:00+01:00",
        "end": "2027-03-01T12:00:00+01:00",
        **fields,
    }
    return await call(
        system,
        "POST",
        f"/api/sessions/{session_id}/events",
        headers or manager(system),
        body,
        expect=201,
    )


async def announced(bus: Subscriber, type_: str, subject: str, version: int) -> dict[str, Any]:
    received = await bus.wait_for(
        lambda e: (
            e["type"] == type_ and e["subject"] == subject and e["data"]["version"] == version
        ),
        what=f"{type_} v{version} of {subject}",
    )
    data: dict[str, Any] = received.envelope["data"]
    return data


# Trainings and sessions


async def test_a_session_is_created_from_its_training_and_prefilled(
    healthy_system: System,
) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["catalog.#"]) as bus:
        training = await create_training(
            system,
            public_registration=True,
            max_users=12,
            user_validation=True,
            validators=["val-1"],
            event_registration_mode="manual",
            confirmation_hours=1.5,
        )
        assert training["version"] == 1
        session = await create_session(
            system, training["id"], max_users=5, tutors=["tutor-1"], location="Lyon"
        )
        assert session["training_id"] == training["id"]
        assert session["max_users"] == 5  # given
        assert session["public_registration"] is True  # copied
        assert session["user_validation"] is True
        assert session["validators"] == ["val-1"]
        assert session["event_registration_mode"] == "manual"
        assert session["confirmation_hours"] == 1.5
        assert session["organizations"] == [ORG]
        assert session["status"] == "scheduled"
        assert session["version"] == 1

        created = await announced(bus, "catalog.training.created", training["id"], 1)
        assert created["code"] == training["code"]
        data = await announced(bus, "catalog.session.created", session["id"], 1)
        assert data["max_users"] == 5
        assert data["tutors"] == ["tutor-1"]
        assert data["actor"] == "cat-manager"

    fetched = await call(
        system, "GET", f"/api/sessions/{session['id']}", learner(system), expect=200
    )
    assert fetched == session
    # organizations cannot be chosen for a session: they come from the training
    await call(
        system,
        "POST",
        f"/api/trainings/{training['id']}/sessions",
        manager(system),
        {
            "title": "x",
            "start_date": "2027-01-01",
            "end_date": "2027-01-01",
            "organizations": ["o"],
        },
        expect=422,
    )


async def test_session_rules_are_checked(healthy_system: System) -> None:
    system = healthy_system
    training = await create_training(system)
    path = f"/api/trainings/{training['id']}/sessions"
    refused = await call(
        system,
        "POST",
        path,
        manager(system),
        {"title": "t", "start_date": "2027-03-02", "end_date": "2027-03-01"},
        expect=422,
    )
    assert refused["errors"][0]["loc"] == ["body", "end_date"]
    refused = await call(
        system,
        "POST",
        path,
        manager(system),
        {"title": "t", "start_date": "2027-03-01", "end_date": "2027-03-01", "max_users": 0},
        expect=422,
    )
    assert refused["errors"][0]["loc"][-1] == "max_users"
    await call(
        system,
        "POST",
        path,
        manager(system),
        {
            "title": "t",
            "start_date": "2027-03-01",
            "end_date": "2027-03-01",
            "curriculum_id": str(uuid.uuid4()),
        },
        expect=422,
    )
    session = await create_session(
        system, training["id"], start_date="2027-03-01", end_date="2027-03-01"
    )
    refused = await call(
        system,
        "PATCH",
        f"/api/sessions/{session['id']}",
        manager(system),
        {"start_date": "2027-03-02"},
        expect=422,
    )
    assert refused["errors"][0]["loc"] == ["body", "end_date"]
    await call(
        system,
        "PATCH",
        f"/api/sessions/{session['id']}",
        manager(system),
        {"title": None},
        expect=422,
    )
    await call(
        system,
        "POST",
        "/api/trainings",
        manager(system),
        {"code": unique("C"), "title": "t", "organizations": [ORG], "max_users": 0},
        expect=422,
    )


async def test_training_codes_are_unique_whatever_their_case(healthy_system: System) -> None:
    system = healthy_system
    code = unique("Unique")
    first = await create_training(system, code=code)
    refused = await call(
        system,
        "POST",
        "/api/trainings",
        manager(system),
        {"code": code.upper(), "title": "t", "organizations": [ORG]},
        expect=409,
    )
    assert refused["id"] == first["id"]
    second = await create_training(system)
    refused = await call(
        system,
        "PATCH",
        f"/api/trainings/{second['id']}",
        manager(system),
        {"code": code.lower()},
        expect=409,
    )
    assert refused["id"] == first["id"]
    # its own code in another case is not a conflict
    renamed = await call(
        system,
        "PATCH",
        f"/api/trainings/{first['id']}",
        manager(system),
        {"code": code.lower(), "title": "Nouveau titre"},
        expect=200,
    )
    assert renamed["version"] == 2
    assert renamed["title"] == "Nouveau titre"


async def test_trainings_are_searched_by_title_or_code_and_organization(
    healthy_system: System,
) -> None:
    system = healthy_system
    marker = uuid.uuid4().hex[:8]
    by_title = await create_training(system, title=f"Gestes {marker} 100% sûrs")
    by_code = await create_training(system, code=f"CODE_{marker}", title="Autre chose")
    elsewhere = await create_training(
        system, manager(system, "m-other", OTHER_ORG), code=f"O-{marker}", organizations=[OTHER_ORG]
    )
    reader = learner(system)

    async def found(q: str, **filters: str) -> list[str]:
        response = await system.http.get(
            "/api/trainings", params={"q": q, **filters}, headers=reader
        )
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["items"]]

    assert set(await found(marker.upper())) == {by_title["id"], by_code["id"], elsewhere["id"]}
    assert await found(marker, organization=OTHER_ORG) == [elsewhere["id"]]
    assert await found(f"{marker} 100%") == [by_title["id"]]
    # wildcards are literal: `%` and `_` match only themselves
    assert await found(f"{marker} 1%") == []
    assert await found(f"code_{marker}") == [by_code["id"]]
    assert await found(f"code%{marker}") == []
    assert await found(f"code{marker}") == []
    assert await found("%' OR 1=1 --") == []

    page = await call(
        system, "GET", f"/api/trainings?q={marker}&sort=title&order=desc", reader, expect=200
    )
    assert [t["title"] for t in page["items"]] == sorted(
        (t["title"] for t in page["items"]), reverse=True
    )
    assert page["total"] == 3
    refused = await call(system, "GET", "/api/trainings?sort=description", reader, expect=422)
    assert refused["errors"][0]["loc"] == ["query", "sort"]
    await call(system, "GET", "/api/trainings?sort=title;DROP TABLE trainings", reader, expect=422)
    await call(system, "GET", "/api/trainings?limit=501", reader, expect=422)


async def test_the_session_table_is_sortable_and_filterable(healthy_system: System) -> None:
    system = healthy_system
    training = await create_training(system)
    march = await create_session(
        system, training["id"], title="B mars", start_date="2027-03-01", end_date="2027-04-20"
    )
    april = await create_session(
        system, training["id"], title="A avril", start_date="2027-04-01", end_date="2027-04-02"
    )
    may = await create_session(
        system, training["id"], title="C mai", start_date="2027-05-01", end_date="2027-05-09"
    )
    reader = learner(system)
    base = f"/api/sessions?training_id={training['id']}"

    async def ids(query: str) -> list[str]:
        page = await call(system, "GET", base + query, reader, expect=200)
        return [s["id"] for s in page["items"]]

    assert await ids("") == [march["id"], april["id"], may["id"]]  # created_at by default
    assert await ids("&sort=title") == [april["id"], march["id"], may["id"]]
    assert await ids("&sort=start_date&order=desc") == [may["id"], april["id"], march["id"]]
    assert await ids("&sort=end_date") == [april["id"], march["id"], may["id"]]
    assert await ids("&q=AVRIL") == [april["id"]]
    assert await ids("&starts_after=2027-04-01&starts_before=2027-04-30") == [april["id"]]
    assert await ids("&starts_after=2027-04-02&sort=start_date") == [may["id"]]
    page = await call(system, "GET", base + "&sort=start_date&limit=2&offset=1", reader, expect=200)
    assert [s["id"] for s in page["items"]] == [april["id"], may["id"]]
    assert page["total"] == 3

    await call(
        system,
        "POST",
        f"/api/sessions/{may['id']}/cancel",
        manager(system),
        {"reason": "formateur absent"},
        expect=200,
    )
    assert await ids("&status=cancelled") == [may["id"]]
    assert await ids("&status=scheduled&sort=start_date") == [march["id"], april["id"]]
    await call(system, "GET", base + "&status=done", reader, expect=422)
    await call(system, "GET", base + "&sort=status", reader, expect=422)
    await call(system, "GET", base + "&q=%25' OR 1=1 --", reader, expect=200)
    assert await ids("&q=%25' OR 1=1 --") == []


async def test_one_default_session_per_training(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["catalog.session.#"]) as bus:
        training = await create_training(system)
        first = await create_session(system, training["id"], default_session=True)
        second = await create_session(system, training["id"], default_session=True)
        assert second["default_session"] is True
        cleared = await announced(bus, "catalog.session.updated", first["id"], 2)
        assert cleared["default_session"] is False
        first_now = await call(
            system, "GET", f"/api/sessions/{first['id']}", learner(system), expect=200
        )
        assert first_now["default_session"] is False
        assert first_now["version"] == 2

        back = await call(
            system,
            "PATCH",
            f"/api/sessions/{first['id']}",
            manager(system),
            {"default_session": True},
            expect=200,
        )
        assert back["default_session"] is True
        assert back["version"] == 3
        cleared = await announced(bus, "catalog.session.updated", second["id"], 2)
        assert cleared["default_session"] is False


async def test_rules_change_is_announced_with_the_whole_session(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["catalog.#"]) as bus:
        training = await create_training(system, max_users=2)
        session = await create_session(system, training["id"], tutors=["tutor-r"])
        patched = await call(
            system,
            "PATCH",
            f"/api/sessions/{session['id']}",
            manager(system),
            {"max_users": 10, "public_registration": True},
            expect=200,
        )
        assert patched["max_users"] == 10
        assert patched["version"] == 2
        data = await announced(bus, "catalog.session.updated", session["id"], 2)
        assert data["max_users"] == 10
        assert data["public_registration"] is True
        assert data["title"] == session["title"]
        assert data["tutors"] == ["tutor-r"]
        assert data["organizations"] == [ORG]

        # nothing changed: no new version, no event
        same = await call(
            system,
            "PATCH",
            f"/api/sessions/{session['id']}",
            manager(system),
            {"max_users": 10},
            expect=200,
        )
        assert same["version"] == 2
        unlimited = await call(
            system,
            "PATCH",
            f"/api/sessions/{session['id']}",
            manager(system),
            {"max_users": None},
            expect=200,
        )
        assert unlimited["max_users"] is None
        assert unlimited["version"] == 3
        # the training's own rules are only defaults: sessions keep theirs
        await call(
            system,
            "PATCH",
            f"/api/trainings/{training['id']}",
            manager(system),
            {"max_users": 50},
            expect=200,
        )
        after = await call(
            system, "GET", f"/api/sessions/{session['id']}", manager(system), expect=200
        )
        assert after["max_users"] is None
        assert not bus.matching(
            lambda e: (
                e["type"] == "catalog.session.updated"
                and e["subject"] == session["id"]
                and e["data"]["version"] > 3
            )
        )


async def test_sessions_and_events_follow_their_training_organizations(
    healthy_system: System,
) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["catalog.#"]) as bus:
        training = await create_training(system)
        session = await create_session(system, training["id"])
        event = await create_event(system, session["id"])
        assert event["organizations"] == [ORG]
        patched = await call(
            system,
            "PATCH",
            f"/api/trainings/{training['id']}",
            manager(system),
            {"organizations": [ORG, "org-partner"]},
            expect=200,
        )
        assert patched["organizations"] == [ORG, "org-partner"]
        data = await announced(bus, "catalog.session.updated", session["id"], 2)
        assert data["organizations"] == [ORG, "org-partner"]
        data = await announced(bus, "catalog.event.updated", event["id"], 2)
        assert data["organizations"] == [ORG, "org-partner"]
        now = await call(
            system, "GET", f"/api/sessions/{session['id']}", learner(system), expect=200
        )
        assert now["organizations"] == [ORG, "org-partner"]
        # a manager of the new organization now manages the session
        partner = manager(system, "m-partner", "org-partner")
        await call(
            system,
            "PATCH",
            f"/api/sessions/{session['id']}",
            partner,
            {"title": "Partagée"},
            expect=200,
        )
        # a manager may not give a training away to organizations they do not manage
        await call(
            system,
            "PATCH",
            f"/api/trainings/{training['id']}",
            partner,
            {"organizations": ["org-unknown"]},
            expect=403,
        )


async def test_cancelling_and_deleting_a_session(healthy_system: System) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["catalog.#"]) as bus:
        training = await create_training(system)
        session = await create_session(system, training["id"])
        event = await create_event(system, session["id"])
        path = f"/api/sessions/{session['id']}"
        await call(
            system, "DELETE", f"/api/trainings/{training['id']}", manager(system), expect=409
        )

        await call(system, "POST", f"{path}/cancel", manager(system), {}, expect=422)
        cancelled = await call(
            system,
            "POST",
            f"{path}/cancel",
            manager(system),
            {"reason": "salle indisponible"},
            expect=200,
        )
        assert cancelled["status"] == "cancelled"
        assert cancelled["cancel_reason"] == "salle indisponible"
        assert cancelled["version"] == 2
        data = await announced(bus, "catalog.session.cancelled", session["id"], 2)
        assert data["status"] == "cancelled"
        assert data["previous_status"] == "scheduled"
        assert data["reason"] == "salle indisponible"
        again = await call(
            system, "POST", f"{path}/cancel", manager(system), {"reason": "encore"}, expect=409
        )
        assert again["id"] == session["id"]
        await call(
            system,
            "POST",
            f"{path}/events",
            manager(system),
            {"title": "t", "start": "2027-03-01T09:00:00Z", "end": "2027-03-01T10:00:00Z"},
            expect=409,
        )

        await call(system, "DELETE", path, manager(system), expect=204)
        gone = await announced(bus, "catalog.session.deleted", session["id"], 3)
        assert gone["status"] == "cancelled"
        gone_event = await announced(bus, "catalog.event.deleted", event["id"], 2)
        assert gone_event["session_id"] == session["id"]
        await call(system, "GET", path, learner(system), expect=404)
        await call(system, "GET", f"/api/events/{event['id']}", learner(system), expect=404)
        await call(system, "DELETE", path, manager(system), expect=404)

        await call(
            system, "DELETE", f"/api/trainings/{training['id']}", manager(system), expect=204
        )
        gone = await announced(bus, "catalog.training.deleted", training["id"], 2)
        assert gone["code"] == training["code"]
        await call(system, "GET", f"/api/trainings/{training['id']}", learner(system), expect=404)


# Events (séances) and comments


async def test_events_of_a_session_and_their_comments(healthy_system: System) -> None:
    system = healthy_system
    tutor = system.auth("cat-tutor", name="Théo Tuteur")
    async with subscribed(system.amqp_url, ["catalog.event.#"]) as bus:
        training = await create_training(system, event_registration_mode="public")
        session = await create_session(system, training["id"], tutors=["cat-tutor"])
        afternoon = await create_event(
            system,
            session["id"],
            tutor,
            title="Après-midi",
            start="2027-03-01T14:00:00+01:00",
            end="2027-03-01T17:00:00+01:00",
            max_users=8,
        )
        assert afternoon["registration_mode"] == "public"  # the session's mode
        assert afternoon["training_id"] == training["id"]
        assert afternoon["tutors"] == ["cat-tutor"]
        assert afternoon["organizations"] == [ORG]
        morning = await create_event(
            system, session["id"], title="Matin", registration_mode="manual"
        )
        assert morning["registration_mode"] == "manual"
        data = await announced(bus, "catalog.event.created", afternoon["id"], 1)
        assert data["session_id"] == session["id"]
        assert data["max_users"] == 8

        refused = await call(
            system,
            "POST",
            f"/api/sessions/{session['id']}/events",
            tutor,
            {"title": "t", "start": "2027-03-01T10:00:00Z", "end": "2027-03-01T10:00:00Z"},
            expect=422,
        )
        assert refused["errors"][0]["loc"] == ["body", "end"]
        await call(  # times need their offset
            system,
            "POST",
            f"/api/sessions/{session['id']}/events",
            tutor,
            {"title": "t", "start": "2027-03-01T10:00:00", "end": "2027-03-01T11:00:00"},
            expect=422,
        )

        reader = learner(system)
        listed = await call(
            system, "GET", f"/api/sessions/{session['id']}/events?sort=start", reader, expect=200
        )
        assert [e["id"] for e in listed["items"]] == [morning["id"], afternoon["id"]]
        listed = await call(
            system,
            "GET",
            f"/api/sessions/{session['id']}/events?sort=title&order=desc",
            reader,
            expect=200,
        )
        assert [e["title"] for e in listed["items"]] == ["Matin", "Après-midi"]
        await call(
            system, "GET", f"/api/sessions/{session['id']}/events?sort=end", reader, expect=422
        )
        await call(system, "GET", f"/api/sessions/{uuid.uuid4()}/events", reader, expect=404)

        moved = await call(
            system,
            "PATCH",
            f"/api/events/{afternoon['id']}",
            tutor,
            {"end": "2027-03-01T18:00:00+01:00", "location": "Salle 2"},
            expect=200,
        )
        assert moved["version"] == 2
        assert moved["location"] == "Salle 2"
        data = await announced(bus, "catalog.event.updated", afternoon["id"], 2)
        assert data["end"].startswith("2027-03-01T17:00:00")  # 18:00+01:00 in UTC
        await call(
            system,
            "PATCH",
            f"/api/events/{afternoon['id']}",
            tutor,
            {"start": "2027-03-01T19:00:00+01:00"},
            expect=422,
        )

        # comments: managers and tutors write, every signed-in user reads
        comments = f"/api/events/{afternoon['id']}/comments"
        by_manager = await call(
            system, "POST", comments, manager(system), {"body": "Apportez vos EPI."}, expect=201
        )
        assert by_manager["author_id"] == "cat-manager"
        assert by_manager["author_name"] == "Marie Manager"
        assert by_manager["event_id"] == afternoon["id"]
        assert by_manager["version"] == 1
        by_tutor = await call(
            system, "POST", comments, tutor, {"body": "Salle 2, 1er étage."}, expect=201
        )
        page = await call(system, "GET", comments, reader, expect=200)
        assert [c["body"] for c in page["items"]] == ["Apportez vos EPI.", "Salle 2, 1er étage."]
        assert page["total"] == 2

        await call(system, "POST", comments, reader, {"body": "Moi aussi"}, expect=403)
        await call(
            system, "PATCH", f"/api/comments/{by_tutor['id']}", reader, {"body": "x"}, expect=403
        )
        await call(system, "DELETE", f"/api/comments/{by_tutor['id']}", reader, expect=403)
        other = manager(system, "m-cat-other", OTHER_ORG)
        await call(system, "POST", comments, other, {"body": "x"}, expect=403)
        await call(
            system, "PATCH", f"/api/comments/{by_tutor['id']}", other, {"body": "x"}, expect=403
        )
        await call(system, "DELETE", f"/api/comments/{by_tutor['id']}", other, expect=403)
        # any writer edits any comment of the session's events; the author stays the author
        fixed = await call(
            system,
            "PATCH",
            f"/api/comments/{by_manager['id']}",
            tutor,
            {"body": "Apportez vos EPI et vos gants."},
            expect=200,
        )
        assert fixed["author_id"] == "cat-manager"
        assert fixed["author_name"] == "Marie Manager"
        edited = await call(
            system,
            "PATCH",
            f"/api/comments/{by_tutor['id']}",
            tutor,
            {"body": "Salle 3."},
            expect=200,
        )
        assert edited["body"] == "Salle 3."
        assert edited["version"] == 2
        await call(
            system, "PATCH", f"/api/comments/{by_tutor['id']}", tutor, {"body": " "}, expect=422
        )
        # a manager moderates
        await call(system, "DELETE", f"/api/comments/{by_tutor['id']}", manager(system), expect=204)
        page = await call(system, "GET", comments, reader, expect=200)
        assert [c["id"] for c in page["items"]] == [by_manager["id"]]
        await call(
            system, "PATCH", f"/api/comments/{by_tutor['id']}", tutor, {"body": "x"}, expect=404
        )

        # a tutor removed from the session loses the writing rights, and events carry it
        await call(
            system,
            "PATCH",
            f"/api/sessions/{session['id']}",
            manager(system),
            {"tutors": []},
            expect=200,
        )
        data = await announced(bus, "catalog.event.updated", afternoon["id"], 3)
        assert data["tutors"] == []
        await call(system, "POST", comments, tutor, {"body": "x"}, expect=403)
        await call(
            system, "PATCH", f"/api/events/{afternoon['id']}", tutor, {"title": "x"}, expect=403
        )

        await call(system, "DELETE", f"/api/events/{afternoon['id']}", manager(system), expect=204)
        gone = await announced(bus, "catalog.event.deleted", afternoon["id"], 4)
        assert gone["title"] == "Après-midi"
        await call(system, "GET", comments, reader, expect=404)


# Curricula


async def test_curricula_form_a_tree(healthy_system: System) -> None:
    system = healthy_system
    other = manager(system, "m-cur-other", OTHER_ORG)
    async with subscribed(system.amqp_url, ["catalog.curriculum.#"]) as bus:
        mine = await create_training(system)
        theirs = await create_training(system, other, organizations=[OTHER_ORG])

        root_body = {"code": unique("ROOT"), "title": "Parcours sécurité"}
        await call(system, "POST", "/api/curricula", manager(system), root_body, expect=403)
        root = await call(system, "POST", "/api/curricula", admin(system), root_body, expect=201)
        assert root["parent_id"] is None
        assert root["blocking"] is False
        assert root["training_ids"] == []
        assert root["version"] == 1

        child_body = {
            "code": unique("CHILD"),
            "title": "Module 1",
            "parent_id": root["id"],
            "training_ids": [mine["id"]],
            "blocking": True,
        }
        await call(
            system,
            "POST",
            "/api/curricula",
            manager(system),
            {**child_body, "training_ids": [mine["id"], theirs["id"]]},
            expect=403,
        )
        await call(system, "POST", "/api/curricula", learner(system), child_body, expect=403)
        child = await call(
            system, "POST", "/api/curricula", manager(system), child_body, expect=201
        )
        assert child["organizations"] == [ORG]
        data = await announced(bus, "catalog.curriculum.created", child["id"], 1)
        assert data["training_ids"] == [mine["id"]]
        assert data["blocking"] is True
        assert data["parent_id"] == root["id"]

        refused = await call(
            system,
            "POST",
            "/api/curricula",
            admin(system),
            {**child_body, "code": child_body["code"].lower()},
            expect=409,
        )
        assert refused["id"] == child["id"]
        await call(
            system,
            "POST",
            "/api/curricula",
            admin(system),
            {"code": unique("X"), "title": "t", "parent_id": str(uuid.uuid4())},
            expect=422,
        )
        await call(
            system,
            "POST",
            "/api/curricula",
            admin(system),
            {"code": unique("X"), "title": "t", "training_ids": [str(uuid.uuid4())]},
            expect=422,
        )
        # under a manager's node, only who manages its trainings may hang a child
        grandchild = await call(
            system,
            "POST",
            "/api/curricula",
            manager(system),
            {
                "code": unique("GC"),
                "title": "Module 1.1",
                "parent_id": child["id"],
                "training_ids": [mine["id"]],
            },
            expect=201,
        )
        await call(
            system,
            "POST",
            "/api/curricula",
            other,
            {
                "code": unique("GC"),
                "title": "t",
                "parent_id": child["id"],
                "training_ids": [theirs["id"]],
            },
            expect=403,
        )

        # no cycles
        refused = await call(
            system,
            "PATCH",
            f"/api/curricula/{child['id']}",
            manager(system),
            {"parent_id": grandchild["id"]},
            expect=422,
        )
        assert refused["errors"][0]["loc"] == ["body", "parent_id"]
        await call(
            system,
            "PATCH",
            f"/api/curricula/{root['id']}",
            admin(system),
            {"parent_id": root["id"]},
            expect=422,
        )
        await call(
            system,
            "PATCH",
            f"/api/curricula/{root['id']}",
            admin(system),
            {"parent_id": grandchild["id"]},
            expect=422,
        )
        # roots belong to platform admins; a manager cannot make a node a root
        await call(
            system,
            "PATCH",
            f"/api/curricula/{root['id']}",
            manager(system),
            {"title": "x"},
            expect=403,
        )
        await call(
            system,
            "PATCH",
            f"/api/curricula/{child['id']}",
            manager(system),
            {"parent_id": None},
            expect=403,
        )
        await call(
            system, "PATCH", f"/api/curricula/{child['id']}", other, {"title": "x"}, expect=403
        )
        renamed = await call(
            system,
            "PATCH",
            f"/api/curricula/{child['id']}",
            manager(system),
            {"title": "Module un", "blocking": False},
            expect=200,
        )
        assert renamed["version"] == 2
        data = await announced(bus, "catalog.curriculum.updated", child["id"], 2)
        assert data["title"] == "Module un"

        listed = await call(
            system, "GET", f"/api/curricula?parent_id={root['id']}", learner(system), expect=200
        )
        assert [c["id"] for c in listed["items"]] == [child["id"]]
        listed = await call(
            system,
            "GET",
            f"/api/curricula?training_id={mine['id']}&sort=code",
            learner(system),
            expect=200,
        )
        assert {c["id"] for c in listed["items"]} == {child["id"], grandchild["id"]}
        await call(system, "GET", "/api/curricula?sort=blocking", learner(system), expect=422)
        fetched = await call(
            system, "GET", f"/api/curricula/{child['id']}", learner(system), expect=200
        )
        assert fetched == renamed

        # a training follows into its curricula: organizations, and no delete while listed
        await call(
            system,
            "PATCH",
            f"/api/trainings/{mine['id']}",
            manager(system),
            {"organizations": [ORG, "org-partner"]},
            expect=200,
        )
        data = await announced(bus, "catalog.curriculum.updated", child["id"], 3)
        assert data["organizations"] == [ORG, "org-partner"]
        refused = await call(
            system, "DELETE", f"/api/trainings/{mine['id']}", manager(system), expect=409
        )
        assert refused["id"] in {child["id"], grandchild["id"]}

        refused = await call(
            system, "DELETE", f"/api/curricula/{child['id']}", manager(system), expect=409
        )
        assert refused["id"] == grandchild["id"]
        await call(system, "DELETE", f"/api/curricula/{grandchild['id']}", other, expect=403)
        await call(
            system, "DELETE", f"/api/curricula/{grandchild['id']}", manager(system), expect=204
        )
        gone = await announced(bus, "catalog.curriculum.deleted", grandchild["id"], 3)
        assert gone["code"] == grandchild["code"]
        await call(system, "GET", f"/api/curricula/{grandchild['id']}", learner(system), expect=404)
        await call(system, "DELETE", f"/api/curricula/{root['id']}", manager(system), expect=403)


# Refusals


async def test_every_call_needs_a_token(healthy_system: System) -> None:
    system = healthy_system
    some = str(uuid.uuid4())
    calls = [
        ("POST", "/api/trainings"),
        ("GET", "/api/trainings"),
        ("GET", f"/api/trainings/{some}"),
        ("PATCH", f"/api/trainings/{some}"),
        ("DELETE", f"/api/trainings/{some}"),
        ("POST", f"/api/trainings/{some}/sessions"),
        ("GET", "/api/sessions"),
        ("GET", f"/api/sessions/{some}"),
        ("PATCH", f"/api/sessions/{some}"),
        ("DELETE", f"/api/sessions/{some}"),
        ("POST", f"/api/sessions/{some}/cancel"),
        ("POST", f"/api/sessions/{some}/events"),
        ("GET", f"/api/sessions/{some}/events"),
        ("GET", f"/api/events/{some}"),
        ("PATCH", f"/api/events/{some}"),
        ("DELETE", f"/api/events/{some}"),
        ("GET", f"/api/events/{some}/comments"),
        ("POST", f"/api/events/{some}/comments"),
        ("PATCH", f"/api/comments/{some}"),
        ("DELETE", f"/api/comments/{some}"),
        ("POST", "/api/curricula"),
        ("GET", "/api/curricula"),
        ("GET", f"/api/curricula/{some}"),
        ("PATCH", f"/api/curricula/{some}"),
        ("DELETE", f"/api/curricula/{some}"),
    ]
    for method, path in calls:
        body: dict[str, object] | None = {} if method in {"POST", "PATCH"} else None
        response = await system.http.request(method, path, json=body)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        bad = await system.http.request(
            method, path, json=body, headers={"Authorization": "Bearer not-a-token"}
        )
        assert bad.status_code == 401, (method, path)


async def test_learners_and_managers_of_other_organizations_may_only_read(
    healthy_system: System,
) -> None:
    system = healthy_system
    training = await create_training(system)
    session = await create_session(system, training["id"], tutors=["cat-tutor-2"])
    event = await create_event(system, session["id"])
    tutor = system.auth("cat-tutor-2")
    writes = [
        ("POST", "/api/trainings", {"code": unique("N"), "title": "t", "organizations": [ORG]}),
        ("PATCH", f"/api/trainings/{training['id']}", {"title": "x"}),
        ("DELETE", f"/api/trainings/{training['id']}", None),
        (
            "POST",
            f"/api/trainings/{training['id']}/sessions",
            {"title": "t", "start_date": "2027-01-01", "end_date": "2027-01-02"},
        ),
        ("PATCH", f"/api/sessions/{session['id']}", {"title": "x"}),
        ("POST", f"/api/sessions/{session['id']}/cancel", {"reason": "x"}),
        ("DELETE", f"/api/sessions/{session['id']}", None),
        (
            "POST",
            f"/api/sessions/{session['id']}/events",
            {"title": "t", "start": "2027-03-01T09:00:00Z", "end": "2027-03-01T10:00:00Z"},
        ),
        ("PATCH", f"/api/events/{event['id']}", {"title": "x"}),
        ("DELETE", f"/api/events/{event['id']}", None),
        ("POST", f"/api/events/{event['id']}/comments", {"body": "x"}),
        ("POST", "/api/curricula", {"code": unique("CU"), "title": "t"}),
    ]
    tutor_may = {
        f"/api/sessions/{session['id']}/events",
        f"/api/events/{event['id']}",
        f"/api/events/{event['id']}/comments",
    }
    for who, headers in (
        ("learner", learner(system)),
        ("other manager", manager(system, "m-far", OTHER_ORG)),
        ("tutor", tutor),
    ):
        for method, path, body in writes:
            if who == "tutor" and path in tutor_may:
                continue
            response = await system.http.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (who, method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
    # all of them read
    for headers in (learner(system), manager(system, "m-far", OTHER_ORG), tutor):
        for path in (
            f"/api/trainings/{training['id']}",
            f"/api/sessions/{session['id']}",
            f"/api/sessions/{session['id']}/events",
            f"/api/events/{event['id']}",
            f"/api/events/{event['id']}/comments",
            "/api/trainings",
            "/api/sessions",
            "/api/curricula",
        ):
            assert (await system.http.get(path, headers=headers)).status_code == 200, path
    # nothing changed
    now = await call(system, "GET", f"/api/sessions/{session['id']}", learner(system), expect=200)
    assert now["version"] == 1
    # the tutor's rights on the session's events are real
    await call(
        system, "PATCH", f"/api/events/{event['id']}", tutor, {"title": "Par le tuteur"}, expect=200
    )
    await call(system, "DELETE", f"/api/events/{event['id']}", tutor, expect=204)


async def test_bad_requests_are_answered_cleanly(healthy_system: System) -> None:
    system = healthy_system
    headers = {**manager(system), "Content-Type": "application/json"}
    malformed = await system.http.post("/api/trainings", content=b'{"code": "x",', headers=headers)
    assert malformed.status_code == 400
    assert malformed.headers["content-type"] == "application/problem+json"
    huge = {
        "code": unique("BIG"),
        "title": "t",
        "organizations": [ORG],
        "description": "x" * (1024 * 1024 + 10),
    }
    too_big = await system.http.post("/api/trainings", json=huge, headers=headers)
    assert too_big.status_code == 413
    unknown_field = await system.http.post(
        "/api/trainings",
        json={"code": unique("U"), "title": "t", "organizations": [ORG], "tutors": ["x"]},
        headers=headers,
    )
    assert unknown_field.status_code == 422
    assert unknown_field.json()["errors"]
    no_orgs = await system.http.post(
        "/api/trainings",
        json={"code": unique("U"), "title": "t", "organizations": []},
        headers=headers,
    )
    assert no_orgs.status_code == 422
    bad_id = await system.http.get("/api/trainings/not-a-uuid", headers=headers)
    assert bad_id.status_code == 422
    missing = await system.http.get(f"/api/trainings/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_idempotency_key_on_creating_a_training(healthy_system: System) -> None:
    system = healthy_system
    key = {"Idempotency-Key": uuid.uuid4().hex}
    code = unique("IDEM")
    body = {"code": code, "title": "Une fois", "organizations": [ORG]}
    first = await system.http.post("/api/trainings", json=body, headers={**manager(system), **key})
    assert first.status_code == 201, first.text
    again = await system.http.post("/api/trainings", json=body, headers={**manager(system), **key})
    assert again.status_code == 201
    assert again.json() == first.json()
    page = await call(system, "GET", f"/api/trainings?q={code}", learner(system), expect=200)
    assert page["total"] == 1
    other = await system.http.post(
        "/api/trainings", json={**body, "title": "Autre"}, headers={**manager(system), **key}
    )
    assert other.status_code == 422


async def test_the_asyncapi_document_lists_every_catalog_event(healthy_system: System) -> None:
    document = (await healthy_system.http.get("/docs/catalog/asyncapi.json")).json()
    assert set(document["channels"]) == {
        f"catalog.{resource}.{change}"
        for resource in ("training", "session", "event", "curriculum")
        for change in ("created", "updated", "deleted")
    } | {"catalog.session.cancelled"}
    envelope = document["components"]["schemas"]["CatalogSessionCancelled"]
    assert {"specversion", "id", "type", "data"} <= set(envelope["properties"])
