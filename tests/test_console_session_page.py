"""A session's page in the console, on the real stack: the training, sessions and registrations
are made through the API with tokens, then a manager, a tutor and a learner drive the console
(in this process, calling the real gateway) and the API's state shows what their clicks did."""

import csv
import html
import io
import re
import uuid
from typing import Any

import httpx
import pytest

from testsupport.console import console_client
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-console-page"
MANAGER = "page-manager"
TUTOR = "page-tutor"


def manager_token(system: System) -> str:
    return system.token(
        MANAGER, name="Marie Gestion", roles=["training_manager"], organizations=[ORG], locale="en"
    )


def manager(system: System) -> dict[str, str]:
    return {"Authorization": f"Bearer {manager_token(system)}"}


def learner_token(system: System, sub: str) -> str:
    return system.token(sub, name=f"Learner {sub}", email=f"{sub}@example.org", locale="en")


def learner(system: System, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {learner_token(system, sub)}"}


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def text_of(page: httpx.Response) -> str:
    """The page's words, tags dropped and spaces collapsed: what a reader reads."""
    words = re.sub(r"<[^>]+>", " ", page.text)
    return re.sub(r"\s+", " ", html.unescape(words))


async def training(system: System, **rules: Any) -> dict[str, Any]:
    body = {
        "code": f"PAGE-{uuid.uuid4().hex[:8]}",
        "title": "Premiers secours",
        "organizations": [ORG],
        "public_registration": True,
        "registration_validation": True,
        "max_users": 10,
        **rules,
    }
    created: dict[str, Any] = expect(
        await system.http.post("/api/trainings", json=body, headers=manager(system)), 201
    )
    return created


async def session(system: System, training_id: str, title: str, **fields: Any) -> dict[str, Any]:
    created: dict[str, Any] = expect(
        await system.http.post(
            f"/api/trainings/{training_id}/sessions",
            json={"title": title, "start_date": "2027-05-03", "end_date": "2027-05-04", **fields},
            headers=manager(system),
        ),
        201,
    )

    async def known() -> bool:
        response = await system.http.get(
            "/api/seats", params={"session_id": created["id"]}, headers=manager(system)
        )
        return bool(expect(response, 200)["items"])

    await eventually(known, within=20, what="the session known to registration")
    return created


async def register(system: System, session_id: str, sub: str) -> dict[str, Any]:
    registration: dict[str, Any] = expect(
        await system.http.post(
            "/api/registrations", json={"session_id": session_id}, headers=learner(system, sub)
        ),
        201,
    )
    return registration


async def registration(system: System, registration_id: str) -> dict[str, Any]:
    found: dict[str, Any] = expect(
        await system.http.get(f"/api/registrations/{registration_id}", headers=manager(system)),
        200,
    )
    return found


async def registrations_of(system: System, session_id: str) -> list[dict[str, Any]]:
    page = expect(
        await system.http.get(
            "/api/registrations",
            params={"session_id": session_id, "limit": 500},
            headers=manager(system),
        ),
        200,
    )
    items: list[dict[str, Any]] = page["items"]
    return items


async def followed(console: httpx.AsyncClient, answer: httpx.Response, done: str) -> str:
    """An action's answer: a redirect to the page with its notice; the page's words."""
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert f"done={done}" in location, location
    page = await console.get(location)
    assert page.status_code == 200, page.text
    return text_of(page)


async def test_a_manager_validates_refuses_cancels_moves_bulk_adds_and_exports(
    system: System,
) -> None:
    course = await training(system)
    june = await session(system, course["id"], "June group", location="Room 4")
    july = await session(system, course["id"], "July group")
    subs = [f"page-{name}-{uuid.uuid4().hex[:6]}" for name in ("ann", "bob", "cid", "dee")]
    ann, bob, cid, dee = [await register(system, june["id"], sub) for sub in subs]
    assert ann["status"] == "pending"
    assert ann["pending_validations"] == ["registration"]

    async with console_client(system.stack.gateway_url, manager_token(system)) as console:
        page = await console.get(f"/sessions/{june['id']}")
        assert page.status_code == 200, page.text
        words = text_of(page)
        assert "June group" in words
        assert "Premiers secours" in words
        assert "Room 4" in words
        assert "Learners may register themselves." in words
        assert "A registration request awaits: a manager's validation." in words
        assert "10 seats; beyond them, requests join the waitlist." in words
        assert "Seats taken 4" in words
        assert "Seats free 6" in words
        assert words.count("Validate the registration") == 4
        assert f'href="/sessions/{june["id"]}/message"' in page.text
        assert f'href="/sessions/{june["id"]}/registrations.csv"' in page.text
        assert 'id="new-event"' in page.text
        assert f'<option value="{july["id"]}">July group' in page.text  # where to move

        base = f"/sessions/{june['id']}/registrations"
        answer = await console.post(f"{base}/{ann['id']}/validate", data={"step": "registration"})
        assert "The registration is validated." in await followed(
            console, answer, "registration_validated"
        )
        assert (await registration(system, ann["id"]))["status"] == "confirmed"

        answer = await console.post(f"{base}/{bob['id']}/refuse", data={"reason": "No slot"})
        await followed(console, answer, "registration_refused")
        assert (await registration(system, bob["id"]))["status"] == "refused"

        answer = await console.post(f"{base}/{cid['id']}/cancel", data={"reason": ""})
        await followed(console, answer, "registration_cancelled")
        assert (await registration(system, cid["id"]))["status"] == "cancelled"

        answer = await console.post(
            f"{base}/{dee['id']}/move", data={"target_session_id": july["id"]}
        )
        await followed(console, answer, "registration_moved")
        assert (await registration(system, dee["id"]))["status"] == "cancelled"
        moved = [
            r for r in await registrations_of(system, july["id"]) if r["user"]["id"] == subs[3]
        ]
        assert len(moved) == 1
        assert moved[0]["status"] == "pending"

        tag = uuid.uuid4().hex[:6]
        lines = "\n".join(
            [
                f"bulk1-{tag},bulk1-{tag}@example.org,Bulk One,en",
                f"bulk2-{tag},bulk2-{tag}@example.org,Bulk Two",
                "only-an-id-and,a-name",
                f"bulk3-{tag},bulk3-{tag}@example.org,Bulk Three,fr",
            ]
        )
        page = await console.post(
            f"{base}/bulk",
            data={"lines": lines, "organizations": ORG, "idempotency_key": str(uuid.uuid4())},
        )
        assert page.status_code == 200, page.text
        words = text_of(page)
        assert words.count("Registered: confirmed.") == 3, words
        assert (
            "3 only-an-id-and,a-name Not sent: 3 or 4 values separated by commas are needed"
            in words
        )
        added = {r["user"]["id"]: r for r in await registrations_of(system, june["id"])}
        for n, locale in ((1, "en"), (2, "fr"), (3, "fr")):
            assert added[f"bulk{n}-{tag}"]["status"] == "confirmed"
            assert added[f"bulk{n}-{tag}"]["user"]["locale"] == locale
            assert added[f"bulk{n}-{tag}"]["user"]["organizations"] == [ORG]

        export = await console.get(f"/sessions/{june['id']}/registrations.csv")
        assert export.status_code == 200, export.text
        assert export.headers["content-type"].startswith("text/csv")
        assert "attachment" in export.headers["content-disposition"]
        assert f"registrations-{june['id']}.csv" in export.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8"))))
        assert rows[0] == [
            "id", "user_id", "email", "name", "status", "waitlist_position", "created_at"
        ]  # fmt: skip
        assert {row[1] for row in rows[1:]} >= {subs[0], f"bulk1-{tag}"}

        cancelled = await console.get(f"/sessions/{june['id']}", params={"status": "cancelled"})
        words = text_of(cancelled)
        assert f"Learner {subs[2]}" in words
        assert f"Learner {subs[3]}" in words
        assert f"Learner {subs[0]}" not in words.split("Registrations", 1)[1].split("Register a")[0]


async def test_a_manager_creates_edits_and_deletes_an_event_and_its_comments(
    system: System,
) -> None:
    course = await training(system, registration_validation=False)
    june = await session(system, course["id"], "Events group")
    sub = f"page-att-{uuid.uuid4().hex[:6]}"
    attendee = await register(system, june["id"], sub)
    assert attendee["status"] == "confirmed"

    async with console_client(system.stack.gateway_url, manager_token(system)) as console:
        answer = await console.post(
            f"/sessions/{june['id']}/events",
            data={
                "title": "Morning",
                "start": "2027-05-03T09:00",
                "end": "2027-05-03T12:30",
                "location": "Room 2",
                "max_users": "",
                "registration_mode": "",
                "description": "",
                "idempotency_key": str(uuid.uuid4()),
            },
        )
        words = await followed(console, answer, "event_created")
        assert "The event is created." in words
        assert "Morning" in words
        events = expect(
            await system.http.get(f"/api/sessions/{june['id']}/events", headers=manager(system)),
            200,
        )["items"]
        assert len(events) == 1
        event = events[0]
        assert event["start"].startswith("2027-05-03T07:00") or "+02:00" in event["start"]
        assert event["registration_mode"] == "auto"

        edit = await console.get(f"/events/{event['id']}/edit")
        assert edit.status_code == 200, edit.text
        assert 'value="2027-05-03T09:00"' in edit.text
        answer = await console.post(
            f"/events/{event['id']}/edit",
            data={
                "title": "Long morning",
                "start": "2027-05-03T09:00",
                "end": "2027-05-03T13:00",
                "location": "Room 2",
                "max_users": "8",
                "registration_mode": "auto",
                "description": "Bring a pen",
            },
        )
        await followed(console, answer, "event_saved")
        saved = expect(
            await system.http.get(f"/api/events/{event['id']}", headers=manager(system)), 200
        )
        assert saved["title"] == "Long morning"
        assert saved["max_users"] == 8
        assert saved["description"] == "Bring a pen"

        bad = await console.post(
            f"/events/{event['id']}/edit",
            data={"title": "Back to front", "start": "2027-05-03T13:00", "end": "2027-05-03T09:00"},
        )
        assert bad.status_code == 422, bad.text
        assert "Some values are not acceptable." in text_of(bad)

        answer = await console.post(
            f"/events/{event['id']}/comments", data={"body": "Room changed to 2"}
        )
        words = await followed(console, answer, "comment_added")
        assert "Room changed to 2" in words
        assert "Marie Gestion" in words
        comments = expect(
            await system.http.get(f"/api/events/{event['id']}/comments", headers=manager(system)),
            200,
        )["items"]
        assert [c["body"] for c in comments] == ["Room changed to 2"]
        comment = comments[0]
        answer = await console.post(
            f"/events/{event['id']}/comments/{comment['id']}/edit", data={"body": "Room 3 now"}
        )
        await followed(console, answer, "comment_saved")
        comments = expect(
            await system.http.get(f"/api/events/{event['id']}/comments", headers=manager(system)),
            200,
        )["items"]
        assert [c["body"] for c in comments] == ["Room 3 now"]
        answer = await console.post(f"/events/{event['id']}/comments/{comment['id']}/delete")
        await followed(console, answer, "comment_deleted")
        comments = expect(
            await system.http.get(f"/api/events/{event['id']}/comments", headers=manager(system)),
            200,
        )["items"]
        assert comments == []

        async def listed() -> httpx.Response | None:
            page = await console.get(f"/events/{event['id']}/attendance")
            return page if f"Learner {sub}" in page.text else None

        page = await eventually(listed, within=20, what="the confirmed learner at the event")
        assert "Check-in code" in text_of(page)
        answer = await console.post(
            f"/events/{event['id']}/attendance",
            data={"rows": "1", "user-0": sub, "status-0": "absent_justified", "note-0": "Ill"},
        )
        await followed(console, answer, "attendance_saved")
        marked = expect(
            await system.http.get(f"/api/events/{event['id']}/attendance", headers=manager(system)),
            200,
        )
        assert [(p["user_id"], p["status"], p["note"]) for p in marked["items"]] == [
            (sub, "absent_justified", "Ill")
        ]
        answer = await console.post(f"/events/{event['id']}/attendance/validate")
        await followed(console, answer, "attendance_validated")
        sheet = await console.get(f"/events/{event['id']}/attendance-sheet.pdf?filled=true")
        assert sheet.status_code == 200
        assert sheet.headers["content-type"].startswith("application/pdf")
        assert sheet.content.startswith(b"%PDF")

        confirm = await console.get(f"/events/{event['id']}/delete")
        assert confirm.status_code == 200
        assert "Delete the event" in confirm.text
        answer = await console.post(f"/events/{event['id']}/delete")
        await followed(console, answer, "event_deleted")
        gone = await system.http.get(f"/api/events/{event['id']}", headers=manager(system))
        assert gone.status_code == 404


async def test_a_tutor_adds_an_event_but_validates_nothing(system: System) -> None:
    course = await training(system)
    june = await session(system, course["id"], "Tutored group", tutors=[TUTOR])
    pending = await register(system, june["id"], f"page-tut-{uuid.uuid4().hex[:6]}")
    assert pending["status"] == "pending"
    tutor = system.token(TUTOR, name="Tom Tutor", locale="fr")  # the page in French

    async with console_client(system.stack.gateway_url, tutor) as console:
        page = await console.get(f"/sessions/{june['id']}")
        assert page.status_code == 200, page.text
        words = text_of(page)
        assert "Les apprenants peuvent s\u2019inscrire eux-mêmes." in words
        assert "Valider l\u2019inscription" not in words
        assert "Inscrire plusieurs apprenants" not in words  # bulk: managers only
        assert "registrations.csv" not in page.text
        assert 'name="force"' not in page.text
        assert 'id="new-event"' in page.text
        assert "Inscrire un apprenant" in words

        answer = await console.post(
            f"/sessions/{june['id']}/events",
            data={"title": "Practice", "start": "2027-05-04T14:00", "end": "2027-05-04T17:00"},
        )
        assert "La séance est créée." in await followed(console, answer, "event_created")
    events = expect(
        await system.http.get(f"/api/sessions/{june['id']}/events", headers=manager(system)), 200
    )["items"]
    assert [event["title"] for event in events] == ["Practice"]


async def test_a_learner_sees_no_actions_and_the_apis_refusal_in_words(system: System) -> None:
    course = await training(system)
    june = await session(system, course["id"], "Learners' group")
    sub = f"page-lrn-{uuid.uuid4().hex[:6]}"
    own = await register(system, june["id"], sub)
    other = await register(system, june["id"], f"page-oth-{uuid.uuid4().hex[:6]}")

    async with console_client(system.stack.gateway_url, learner_token(system, sub)) as console:
        page = await console.get(f"/sessions/{june['id']}")
        assert page.status_code == 200, page.text
        words = text_of(page)
        assert f"Learner {sub}" in words  # their own registration only
        assert "Validate the registration" not in words
        assert "Refuse…" not in words
        assert 'id="new-event"' not in page.text
        assert "Register a learner" not in words

        refused = await console.post(
            f"/sessions/{june['id']}/registrations/{other['id']}/validate",
            data={"step": "registration"},
        )
        assert refused.status_code == 403, refused.text
        assert "You are not allowed to do that." in text_of(refused)

        export = await console.get(f"/sessions/{june['id']}/registrations.csv")
        assert export.status_code == 403
        assert "You are not allowed to do that." in text_of(export)
    assert (await registration(system, own["id"]))["status"] == "pending"
    assert (await registration(system, other["id"]))["status"] == "pending"


async def test_the_waitlist_in_line_order_and_the_sign_up_answers(system: System) -> None:
    question = {
        "id": "level",
        "label": "Your level",
        "kind": "choice",
        "required": True,
        "choices": ["beginner", "expert"],
    }
    course = await training(system, registration_validation=False, max_users=1)
    june = await session(system, course["id"], "Full group", questions=[question])
    subs = [f"page-line{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    for sub, level in zip(subs, ("expert", "beginner", "expert"), strict=True):
        expect(
            await system.http.post(
                "/api/registrations",
                json={"session_id": june["id"], "answers": {"level": level}},
                headers=learner(system, sub),
            ),
            201,
        )

    async with console_client(system.stack.gateway_url, manager_token(system)) as console:
        page = await console.get(f"/sessions/{june['id']}")
        assert page.status_code == 200, page.text
        words = text_of(page)
        line = words.split("Waitlist", 1)[1].split("Registrations", 1)[0]
        assert line.index(f"Learner {subs[1]}") < line.index(f"Learner {subs[2]}")
        assert f"Learner {subs[0]}" not in line
        assert "Seats taken 1" in words
        assert "Seats free 0" in words
        assert "On the waitlist 2" in words
        assert "a seat (position 2)" in words
        answers = words.split("Sign-up answers", 1)[1]
        assert "Your level 3 answer(s)." in answers
        assert "Choice Count beginner 1 expert 2" in answers
