"""Issue 13 end to end through the gateway: a session's questions answered at registration, a
freed seat offered to the head of the line (its email in the learner's locale, with the deadline
and both links), accepted or declined, the seats and the answers as a catalog page and a manager
read them, the export's question columns, and the registration window — watched on the bus."""

import csv
import html
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.events import Locale
from shared.locales import format_moment
from testsupport.cloudevents import checked_event
from testsupport.mailbox import Mail, MailServer
from testsupport.subscriber import Subscriber, subscribed
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-offers"
OFFER_HOURS = 2
QUESTIONS = [
    {"id": "level", "label": "Votre niveau", "kind": "choice", "required": True,
     "choices": ["debutant", "confirme"]},
    {"id": "diets", "label": "Régimes alimentaires", "kind": "multiple", "required": False,
     "choices": ["vegetarien", "sans-gluten", "halal"]},
]  # fmt: skip
SUBJECTS: dict[Locale, str] = {
    "fr": "Une place vous est proposée",
    "en": "A seat is offered to you",
}
UNTIL: dict[Locale, str] = {"fr": "jusqu'au", "en": "until"}
LEARNERS: list[tuple[str, Locale]] = [("ofr-holder", "en"), ("ofr-lea", "fr"), ("ofr-john", "en")]


def manager(system: System) -> dict[str, str]:
    return system.auth(
        "offers-manager", name="Marc", roles=["training_manager"], organizations=[ORG]
    )


def learner(system: System, sub: str, locale: Locale) -> dict[str, str]:
    return system.auth(sub, name=f"Learner {sub}", email=f"{sub}@example.org", locale=locale)


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status
    return response.json() if response.content else None


def at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


async def create_session(system: System, **fields: Any) -> dict[str, Any]:
    training = expect(
        await system.http.post(
            "/api/trainings",
            json={
                "code": f"OFR-{uuid.uuid4().hex[:8]}",
                "title": "Habilitation électrique",
                "organizations": [ORG],
                "public_registration": True,
                "public_unregistration": True,
            },
            headers=manager(system),
        ),
        201,
    )
    session: dict[str, Any] = expect(
        await system.http.post(
            f"/api/trainings/{training['id']}/sessions",
            json={"title": "Juin", "start_date": "2027-06-01", "end_date": "2027-06-02", **fields},
            headers=manager(system),
        ),
        201,
    )
    await eventually(lambda: seats(system, session), within=20, what="the session in registration")
    return session


async def seats(system: System, session: dict[str, Any]) -> dict[str, Any] | None:
    response = await system.http.get(
        "/api/seats", params={"session_id": session["id"]}, headers=learner(system, "any", "en")
    )
    items: list[dict[str, Any]] = expect(response, 200)["items"]
    return items[0] if items else None


async def register(
    system: System, session: dict[str, Any], headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await system.http.post(
        "/api/registrations", json={"session_id": session["id"], **body}, headers=headers
    )


async def act(
    system: System, registration: dict[str, Any], action: str, headers: dict[str, str]
) -> Any:
    path = f"/api/registrations/{registration['id']}/{action}"
    return expect(await system.http.post(path, json={}, headers=headers), 200)


async def fact(bus: Subscriber, type_: str, registration: dict[str, Any]) -> dict[str, Any]:
    received = await bus.wait_for(
        lambda e: e["type"] == type_ and e["subject"] == registration["id"], what=type_
    )
    return checked_event(received, type_, source="registration")


async def offer_mail(
    system: System, mail_server: MailServer, registration: dict[str, Any], locale: Locale
) -> None:
    """The offer's email: the deadline in the learner's locale, a link to accept, one to decline."""
    email = registration["user"]["email"]
    mail: Mail = await mail_server.wait_for(
        lambda m: email in m.rcpt_tos and m.subject.startswith(SUBJECTS[locale]),
        what=f"the offer's email to {email}",
    )
    deadline = datetime.fromisoformat(registration["offer_expires_at"]).astimezone(UTC)
    text = mail.text()
    assert f"{UNTIL[locale]} {format_moment(deadline, locale)}" in text, text
    base = f"{system.stack.config.public_url}/offer?registration={registration['id']}&answer="
    for answer in ("accept", "decline"):
        assert base + answer in text
        assert base + answer in html.unescape(mail.text("text/html"))


async def test_a_freed_seat_is_offered_to_the_head_of_the_line_who_answers(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system = healthy_system
    async with subscribed(system.amqp_url, ["registration.#"]) as bus:
        session = await create_session(
            system,
            max_users=1,
            waitlist_offer_hours=OFFER_HOURS,
            questions=QUESTIONS,
            registration_opens_at=at(-timedelta(hours=1)),
            registration_closes_at=at(timedelta(days=7)),
            unregistration_closes_at=at(timedelta(days=7)),
        )
        assert session["questions"] == QUESTIONS
        holder_h, fr_h, en_h = (learner(system, s, lo) for s, lo in LEARNERS)
        missing = expect(await register(system, session, holder_h, answers={}), 422)
        assert missing["errors"][0]["loc"] == ["body", "answers.level"]
        assert "level" in missing["detail"]
        not_offered = await register(system, session, holder_h, answers={"level": "expert"})
        assert expect(not_offered, 422)["errors"][0]["loc"] == ["body", "answers.level"]
        holder = expect(
            await register(
                system, session, holder_h, answers={"level": "debutant", "diets": ["vegetarien"]}
            ),
            201,
        )
        assert holder["status"] == "confirmed"
        assert holder["answers"] == {"level": "debutant", "diets": ["vegetarien"]}
        assert holder["offer_expires_at"] is None
        lea = expect(await register(system, session, fr_h, answers={"level": "confirme"}), 201)
        john = expect(
            await register(
                system,
                session,
                en_h,
                answers={"level": "debutant", "diets": ["halal", "sans-gluten"]},
            ),
            201,
        )
        in_line = [(r["status"], r["waitlist_position"]) for r in (lea, john)]
        assert in_line == [("waitlisted", 1), ("waitlisted", 2)]
        seen = await seats(system, session)
        assert seen == {"session_id": session["id"], "max_users": 1, "taken": 1,
                        "waitlisted": 2, "free": 0, "open": True}  # fmt: skip

        # the seat holder leaves: the seat is offered to the head of the line, not given
        asked = datetime.now(UTC)
        assert (await act(system, holder, "cancel", holder_h))["status"] == "cancelled"
        lea = expect(await system.http.get(f"/api/registrations/{lea['id']}", headers=fr_h), 200)
        assert lea["status"] == "offered"
        assert lea["waitlist_position"] is None
        deadline = datetime.fromisoformat(lea["offer_expires_at"])
        expected = asked + timedelta(hours=OFFER_HOURS)
        assert abs(deadline - expected) < timedelta(seconds=30)
        john = expect(await system.http.get(f"/api/registrations/{john['id']}", headers=en_h), 200)
        assert (john["status"], john["waitlist_position"]) == ("waitlisted", 1)
        offered = await fact(bus, "registration.offered", lea)
        assert datetime.fromisoformat(offered["offer_expires_at"]) == deadline
        assert offered["previous_status"] == "waitlisted"
        assert (await seats(system, session)) == {**seen, "waitlisted": 1}
        await offer_mail(system, running_mail_server, lea, "fr")

        accepted = await act(system, lea, "accept", fr_h)
        assert (accepted["status"], accepted["offer_expires_at"]) == ("confirmed", None)
        promoted = await fact(bus, "registration.promoted", lea)
        assert promoted["previous_status"] == "offered"
        assert expect(
            await system.http.post(f"/api/registrations/{lea['id']}/accept", headers=fr_h), 409
        )

        # the next offer goes to the English learner, who declines it
        await act(system, lea, "cancel", fr_h)
        john = await eventually(
            lambda: offered_now(system, john, en_h), what="the seat offered to the next in line"
        )
        await offer_mail(system, running_mail_server, john, "en")
        declined = await act(system, john, "decline", en_h)
        assert declined["status"] == "cancelled"
        cancelled = await fact(bus, "registration.cancelled", john)
        assert cancelled["reason"] == "offer_declined"
        for received in bus.received:
            checked_event(received, received.envelope["type"], source="registration")
    assert (await seats(system, session)) == {**seen, "taken": 0, "waitlisted": 0, "free": 1}


async def offered_now(
    system: System, registration: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any] | None:
    path = f"/api/registrations/{registration['id']}"
    current: dict[str, Any] = expect(await system.http.get(path, headers=headers), 200)
    return current if current["status"] == "offered" else None


async def test_the_answers_are_counted_and_exported(healthy_system: System) -> None:
    system = healthy_system
    session = await create_session(system, max_users=1, questions=QUESTIONS)
    given = {
        "ans-1": {"level": "debutant", "diets": ["vegetarien"]},
        "ans-2": {"level": "confirme"},
        "ans-3": {"level": "debutant", "diets": ["halal", "sans-gluten"]},
    }
    ids = {}
    for sub, answers in given.items():
        created = expect(
            await register(system, session, learner(system, sub, "en"), answers=answers), 201
        )
        ids[sub] = created["id"]

    counted = await system.http.get(
        f"/api/sessions/{session['id']}/answers", headers=manager(system)
    )
    assert expect(counted, 200) == {"questions": [
        {"id": "level", "label": "Votre niveau", "kind": "choice", "answered": 3,
         "counts": {"debutant": 2, "confirme": 1}},
        {"id": "diets", "label": "Régimes alimentaires", "kind": "multiple", "answered": 2,
         "counts": {"vegetarien": 1, "sans-gluten": 1, "halal": 1}},
    ]}  # fmt: skip
    refused = await system.http.get(
        f"/api/sessions/{session['id']}/answers", headers=learner(system, "ans-1", "en")
    )
    expect(refused, 403)

    exported = await system.http.get(
        "/api/registrations/export", params={"session_id": session["id"]}, headers=manager(system)
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8"))))
    assert (
        ",".join(header) == "id,user_id,email,name,status,waitlist_position,created_at,level,diets"
    )
    cells = {row[1]: (row[0], row[4], row[7], row[8]) for row in rows}
    assert cells == {
        "ans-1": (ids["ans-1"], "confirmed", "debutant", "vegetarien"),
        "ans-2": (ids["ans-2"], "waitlisted", "confirme", ""),
        "ans-3": (ids["ans-3"], "waitlisted", "debutant", "halal;sans-gluten"),
    }


async def test_before_the_window_opens_only_a_manager_registers_a_learner(
    healthy_system: System,
) -> None:
    system = healthy_system
    opens = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    session = await create_session(
        system, registration_opens_at=opens.isoformat(), questions=QUESTIONS
    )
    seen = await seats(system, session)
    assert seen is not None
    assert seen["open"] is False
    early = learner(system, "win-early", "fr")

    refused = expect(await register(system, session, early, answers={"level": "debutant"}), 409)
    said = re.fullmatch(r"Registration to this session opens at (\S+)\.", refused["detail"])
    assert said is not None, refused["detail"]
    assert datetime.fromisoformat(said.group(1)) == opens

    user = {"id": "win-early", "email": "win-early@example.org", "name": "Early", "locale": "fr"}
    by_manager = expect(await register(system, session, manager(system), user=user), 201)
    assert by_manager["user"]["id"] == "win-early"
    assert by_manager["status"] == "confirmed"
    assert by_manager["answers"] == {}  # a manager may leave a required question unanswered
    wrong = await register(
        system, session, manager(system), user={**user, "id": "win-2"}, answers={"level": "x"}
    )
    assert expect(wrong, 422)["errors"][0]["loc"] == ["body", "answers.level"]
