"""The console's learner screens against the real system: a learner registers from the catalog
answering a required question (the empty answer read in words first), follows the confirmation
link of the real email, gets a seat offered from the waiting list and accepts it through the
offer's link, reads and marks their inbox, saves their email preferences and rotates their
calendar URL; a manager messages a session and reads what became of it; the email log is the
platform admin's only."""

import html
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from testsupport.console import console_client
from testsupport.mailbox import Mail, MailServer
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-console-learner"
QUESTIONS = [
    {"id": "level", "label": "Your level", "kind": "choice", "required": True,
     "choices": ["beginner", "advanced"]},
    {"id": "diets", "label": "Diets", "kind": "multiple", "required": False,
     "choices": ["vegetarian", "halal"]},
    {"id": "car", "label": "Coming by car", "kind": "boolean", "required": False},
    {"id": "why", "label": "Why this training", "kind": "text", "required": False},
]  # fmt: skip


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def words(page: httpx.Response) -> str:
    """The page's text as a reader reads it: no tags, entities decoded, spaces collapsed."""
    text = re.sub(r"<[^>]+>", " ", page.text)
    return re.sub(r"\s+", " ", html.unescape(text))


def manager_token(system: System) -> str:
    return system.token(
        "console-learner-manager",
        name="Marc Manager",
        roles=["training_manager"],
        organizations=[ORG],
        locale="en",
    )


def learner_token(system: System, sub: str, *, locale: str = "en") -> str:
    return system.token(
        sub, name=f"Learner {sub}", email=f"{sub}@example.org", locale=locale, organizations=[]
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def as_viewer(system: System, token: str | None) -> AsyncIterator[httpx.AsyncClient]:
    async with console_client(system.stack.gateway_url, token) as console:
        yield console


def expect(response: httpx.Response, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def create_session(system: System, title: str, **rules: Any) -> dict[str, Any]:
    """A session open to learners, once registration knows it."""
    headers = bearer(manager_token(system))
    training = expect(
        await system.http.post(
            "/api/trainings",
            json={
                "code": unique("CL"),
                "title": f"Training {title}",
                "organizations": [ORG],
                "public_registration": True,
                "public_unregistration": True,
            },
            headers=headers,
        ),
        201,
    )
    session: dict[str, Any] = expect(
        await system.http.post(
            f"/api/trainings/{training['id']}/sessions",
            json={
                "title": title,
                "start_date": "2027-06-01",
                "end_date": "2027-06-02",
                "location": "Nantes",
                **rules,
            },
            headers=headers,
        ),
        201,
    )

    async def known() -> bool:
        seats = await system.http.get(
            "/api/seats", params={"session_id": session["id"]}, headers=headers
        )
        return bool(expect(seats, 200)["items"])

    await eventually(known, within=20, what="the session in registration")
    return session


async def api_register(system: System, session: dict[str, Any], token: str) -> dict[str, Any]:
    registration: dict[str, Any] = expect(
        await system.http.post(
            "/api/registrations", json={"session_id": session["id"]}, headers=bearer(token)
        ),
        201,
    )
    return registration


async def api_get(system: System, token: str, path: str, **params: Any) -> Any:
    return expect(await system.http.get(path, params=params, headers=bearer(token)), 200)


def link_in(mail: Mail, pattern: str) -> str:
    """The path and query of the email's link matching `pattern` (the console serves them)."""
    found = re.search(pattern, mail.text())
    assert found is not None, mail.text()
    url = urlsplit(found.group(0))
    return f"{url.path}?{url.query}"


async def test_a_learner_registers_answering_a_question_and_confirms_from_the_email(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, server = healthy_system, running_mail_server
    title = unique("Session with questions")
    session = await create_session(system, title, user_validation=True, questions=QUESTIONS)
    sub = unique("cl-ines")
    token = learner_token(system, sub)
    async with as_viewer(system, token) as console:
        catalog = await console.get("/catalog", params={"q": title})
        assert catalog.status_code == 200
        assert f'href="/catalog/{session["id"]}"' in catalog.text
        assert "open" in words(catalog)

        form = await console.get(f"/catalog/{session['id']}")
        assert form.status_code == 200
        page = words(form)
        assert "Your level (required)" in page
        assert re.search(r"<legend>\s*Your level", form.text)  # a radio group in a fieldset
        assert 'type="radio" id="q-level-1" name="answer.level" value="beginner"' in form.text
        assert 'type="checkbox" id="q-diets-2" name="answer.diets" value="halal"' in form.text
        assert '<label for="q-why">' in form.text

        # the required question left empty: the API's 422, told by the question's label
        empty = await console.post(
            f"/catalog/{session['id']}", data={"answer.why": "", "answer.diets": "halal"}
        )
        assert empty.status_code == 422
        page = words(empty)
        assert "Some values are not acceptable." in page
        assert "Your level: an answer is required" in page
        assert 'aria-describedby="q-level-error"' in empty.text
        assert re.search(r'value="halal"\s+checked', empty.text)  # what was ticked stays ticked
        assert not (await api_get(system, token, "/api/registrations", user_id=sub))["items"]

        done = await console.post(
            f"/catalog/{session['id']}",
            data={
                "answer.level": "advanced",
                "answer.diets": "halal",
                "answer.car": "false",
                "answer.why": "To learn",
            },
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"].startswith("/my/registrations?done=learner_registered")
        [registration] = (await api_get(system, token, "/api/registrations", user_id=sub))["items"]
        assert registration["answers"] == {
            "level": "advanced",
            "diets": ["halal"],
            "car": False,
            "why": "To learn",
        }
        assert registration["pending_validations"] == ["user"]

        mine = await console.get(done.headers["location"])
        page = words(mine)
        assert "Your registration request is recorded." in page
        assert title in page
        assert "Status awaiting validation" in page
        assert "Waiting for your email confirmation" in page

        # already registered: the catalog's page says so and links to it
        again = await console.get(f"/catalog/{session['id']}")
        assert "You are already registered for this session." in words(again)
        assert f"/my/registrations#registration-{registration['id']}" in again.text

        mail = await server.wait_for(
            lambda m: f"{sub}@example.org" in m.rcpt_tos and "confirm" in m.subject.lower(),
            within=30,
            what="the confirmation email",
        )
        confirm_link = link_in(mail, r"http\S+/confirm\?registration=[0-9a-f-]+&token=[\w-]+")

    # a learner arriving signed out is sent to sign in, then back to the same link
    async with as_viewer(system, None) as signed_out:
        bounced = await signed_out.get(confirm_link)
        assert bounced.status_code == 303
        assert bounced.headers["location"].startswith("/sign-in?next=%2Fconfirm%3Fregistration")

    async with as_viewer(system, token) as console:
        wrong = await console.get(confirm_link.rsplit("=", 1)[0] + "=wrong-token")
        assert wrong.status_code == 422
        assert "This confirmation link is not valid." in words(wrong)
        confirmed = await console.get(confirm_link)
        assert confirmed.status_code == 200, confirmed.text
        page = words(confirmed)
        assert "Thank you: your registration is confirmed." in page
        assert 'href="/my/registrations#registration-' in confirmed.text
        state = await api_get(system, token, f"/api/registrations/{registration['id']}")
        assert (state["status"], state["pending_validations"]) == ("confirmed", [])

        twice = await console.get(confirm_link)
        assert "Your registration was already confirmed" in words(twice)
        for bad in ("/confirm", "/confirm?registration=nope&token=x", "/offer?registration="):
            page_of_bad = await console.get(bad)
            assert page_of_bad.status_code == 400, bad
            assert "This link is incomplete" in words(page_of_bad)

        mine = await console.get("/my/registrations")
        assert "Status confirmed" in words(mine)


async def test_a_waitlisted_learner_accepts_the_seat_offered_through_the_offers_link(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, server = healthy_system, running_mail_server
    title = unique("Small session")
    session = await create_session(system, title, max_users=1, waitlist_offer_hours=2)
    holder_sub, waiter_sub = unique("cl-holder"), unique("cl-waiter")
    holder, waiter = learner_token(system, holder_sub), learner_token(system, waiter_sub)
    held = await api_register(system, session, holder)
    waiting = await api_register(system, session, waiter)
    assert (held["status"], waiting["status"]) == ("confirmed", "waitlisted")

    async with as_viewer(system, waiter) as console:
        full = words(await console.get(f"/catalog/{session['id']}"))
        assert "You are already registered for this session." in full
        page = words(await console.get("/my/registrations"))
        assert "Status on the waiting list" in page
        assert "Place on the waiting list number 1" in page

    async with as_viewer(system, holder) as console:
        mine = await console.get("/my/registrations")
        assert f'action="/my/registrations/{held["id"]}/cancel"' in mine.text
        cancelled = await console.post(f"/my/registrations/{held['id']}/cancel")
        assert cancelled.status_code == 303
        page = words(await console.get(cancelled.headers["location"]))
        assert "Your registration is cancelled." in page
        assert "Status cancelled" in page

    offered = await api_get(system, waiter, f"/api/registrations/{waiting['id']}")
    assert offered["status"] == "offered"
    mail = await server.wait_for(
        lambda m: (
            f"{waiter_sub}@example.org" in m.rcpt_tos
            and m.subject.startswith("A seat is offered to you")
        ),
        within=30,
        what="the offer's email",
    )
    accept_link = link_in(mail, r"http\S+/offer\?registration=[0-9a-f-]+&answer=accept")

    async with as_viewer(system, waiter) as console:
        offer_shown = words(await console.get("/my/registrations"))
        assert "A seat is offered to you until" in offer_shown

        shown = await console.get(accept_link)
        assert shown.status_code == 200, shown.text
        page = words(shown)
        assert title in page
        assert "A seat is offered to you until" in page
        assert shown.text.count('<button type="submit"') == 2  # sign-out, and the one answer
        assert "Accept the seat" in page
        assert "Decline the seat" not in page
        # showing the offer answered nothing
        still = await api_get(system, waiter, f"/api/registrations/{waiting['id']}")
        assert still["status"] == "offered"

        answered = await console.post(
            "/offer", data={"registration": waiting["id"], "answer": "accept"}
        )
        assert answered.status_code == 303
        result = await console.get(answered.headers["location"])
        page = words(result)
        assert "You have accepted the seat offered." in page
        assert "The seat is yours." in page
        assert "Status confirmed" in page
        state = await api_get(system, waiter, f"/api/registrations/{waiting['id']}")
        assert state["status"] == "confirmed"

        # the link again, now that the offer is answered: said in words, no button
        later = await console.get(accept_link)
        assert "This offer is no longer open" in words(later)
        assert 'action="/offer"' not in later.text


async def test_inbox_preferences_and_calendar_feed(healthy_system: System) -> None:
    system = healthy_system
    session = await create_session(system, unique("Inbox session"))
    sub = unique("cl-reader")
    token = learner_token(system, sub)
    await api_register(system, session, token)

    async def written() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await api_get(system, token, "/api/inbox"))["items"]
        return items or None

    [message, *_] = await eventually(written, within=30, what="an inbox message")
    unread = (await api_get(system, token, "/api/inbox"))["unread"]
    assert unread >= 1
    async with as_viewer(system, token) as console:
        inbox = await console.get("/inbox")
        assert inbox.status_code == 200
        page = words(inbox)
        assert message["subject"] in page
        assert f"Unread: {unread}" in page
        assert f'action="/inbox/{message["id"]}/read"' in inbox.text

        read = await console.post(f"/inbox/{message['id']}/read", data={"back": "/inbox?unread=1"})
        assert read.status_code == 303
        assert read.headers["location"].startswith("/inbox?unread=1&done=inbox_read")
        unread_only = await console.get(read.headers["location"])
        page = words(unread_only)
        assert "The message is marked as read." in page
        assert f'id="message-{message["id"]}"' not in unread_only.text
        assert f"Unread: {unread - 1}" in page
        items = (await api_get(system, token, "/api/inbox"))["items"]
        assert next(m for m in items if m["id"] == message["id"])["read_at"] is not None
        all_messages = await console.get("/inbox")
        assert f'id="message-{message["id"]}"' in all_messages.text
        assert f'action="/inbox/{message["id"]}/read"' not in all_messages.text

        # email preferences
        account = await console.get("/account")
        assert account.status_code == 200
        assert 'id="pref-reminders" name="reminders" value="1" checked' in account.text
        saved = await console.post("/account/preferences", data={"reminders": "1"})
        assert saved.status_code == 303
        preferences = await api_get(system, token, "/api/preferences")
        assert preferences == {"email": {"reminders": True, "messages": False, "changes": False}}
        account = await console.get(saved.headers["location"])
        assert "Your choices are saved." in words(account)
        assert 'id="pref-messages" name="messages" value="1" >' in account.text

        # the calendar feed's URL, shown to copy, then rotated
        first = (await api_get(system, token, "/api/calendar"))["url"]
        assert f'value="{first}"' in account.text
        rotated = await console.post("/account/calendar/rotate")
        assert rotated.status_code == 303
        second = (await api_get(system, token, "/api/calendar"))["url"]
        assert second != first
        account = await console.get(rotated.headers["location"])
        assert f'value="{second}"' in account.text
        assert first not in account.text
        assert "The calendar has a new address" in words(account)


async def test_a_manager_messages_the_session_and_reads_the_report(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system = healthy_system
    title = unique("Messaged session")
    session = await create_session(system, title)
    sub = unique("cl-recipient")
    learner = learner_token(system, sub)
    await api_register(system, session, learner)

    async def told() -> bool:
        # the session can reach notification before the registration does: a message posted in
        # between has no recipient, so wait until the learner has been told of their registration
        return bool((await api_get(system, learner, "/api/inbox"))["items"])

    await eventually(told, within=30, what="the learner told of the registration")
    subject = unique("Room changed")

    async with as_viewer(system, manager_token(system)) as console:
        dialog = await console.get(f"/sessions/{session['id']}/message")
        assert dialog.status_code == 200
        assert "<legend>Send by</legend>" in dialog.text
        assert 'type="radio" id="channels-both" name="channels" value="both" checked' in dialog.text
        assert 'id="audience-confirmed" name="audience" value="confirmed" checked' in dialog.text
        key = re.search(r'name="key" value="(\w+)"', dialog.text)
        assert key is not None

        async def sent() -> httpx.Response | None:
            # notification learns the session from the bus: until then, 404
            answer = await console.post(
                f"/sessions/{session['id']}/message",
                data={
                    "key": uuid.uuid4().hex,
                    "subject": subject,
                    "body": "Room 4 tomorrow.",
                    "channels": "both",
                    "audience": "confirmed",
                },
            )
            return answer if answer.status_code == 303 else None

        posted = await eventually(sent, within=30, what="the message accepted")
        report_url = posted.headers["location"]
        assert re.fullmatch(r"/messages/[0-9a-f-]+\?done=message_sent", report_url)

        async def delivered() -> str | None:
            page = words(await console.get(report_url))
            return page if "waiting to be sent 0 sent 1 " in page else None

        page = await eventually(delivered, within=30, what="the email sent")
        assert "The message is on its way" in page
        assert subject in page
        assert "Recipients 1" in page
        assert "Inbox messages written 1" in page
        assert "waiting to be sent 0" in page
        assert "failed 0" in page
        report = await console.get(report_url)
        assert re.search(r'<a href="/messages/[0-9a-f-]+">Refresh</a>', report.text)

    inbox = (await api_get(system, learner, "/api/inbox"))["items"]
    assert subject in [m["subject"] for m in inbox]

    async with as_viewer(system, learner) as console:
        refused = await console.get(f"/sessions/{session['id']}/message")
        assert refused.status_code == 403
        assert "You are not allowed to do that." in words(refused)


async def test_only_a_platform_admin_sees_the_email_log(healthy_system: System) -> None:
    system = healthy_system
    async with as_viewer(system, learner_token(system, unique("cl-curious"))) as console:
        home = await console.get("/")
        assert home.status_code == 200
        assert 'href="/deliveries"' not in home.text
        typed = await console.get("/deliveries")
        assert typed.status_code == 403
        assert "Access refused" in words(typed)
        assert "You are not allowed to do that." in words(typed)

    admin = system.token("cl-admin", name="Ada Admin", roles=["platform_admin"], locale="en")
    async with as_viewer(system, admin) as console:
        home = await console.get("/")
        assert 'href="/deliveries"' in home.text
        log = await console.get("/deliveries", params={"status": "sent", "kind": "nonsense"})
        assert log.status_code == 200
        assert '<option value="sent" selected>' in log.text
        assert "<h1>Email log</h1>" in log.text


async def test_a_named_validator_validates_from_what_awaits_them_and_the_learner_reads_the_events(
    healthy_system: System,
) -> None:
    system = healthy_system
    validator = unique("cl-vera")
    session = await create_session(system, unique("Validated session"), validators=[validator])
    manager = bearer(manager_token(system))
    event = expect(
        await system.http.post(
            f"/api/sessions/{session['id']}/events",
            json={"title": "Opening day", "start": "2027-06-01T07:00:00+00:00",
                  "end": "2027-06-01T11:00:00+00:00", "location": "Room B"},
            headers=manager,
        ),
        201,
    )  # fmt: skip
    expect(
        await system.http.post(
            f"/api/events/{event['id']}/comments", json={"body": "Bring water."}, headers=manager
        ),
        201,
    )
    learner = learner_token(system, unique("cl-lou"))
    registration = await api_register(system, session, learner)
    assert registration["pending_validations"] == ["validator"]
    validator_token = system.token(validator, name="Vera Validator", locale="en")

    async with as_viewer(system, learner) as console:
        shown = words(await console.get(f"/catalog/{session['id']}"))
    assert "Opening day" in shown
    assert "Room B" in shown
    assert "Bring water." in shown

    async with as_viewer(system, validator_token) as console:
        awaiting = await console.get("/awaiting")
        assert awaiting.status_code == 200
        action = f"/sessions/{session['id']}/registrations/{registration['id']}/validate"
        assert f'action="{action}"' in awaiting.text
        assert f'<li><a href="/sessions/{session["id"]}">' in awaiting.text

        async def told() -> bool:
            inbox = await console.get("/inbox")
            link = f'href="/sessions/{session["id"]}#registration-{registration["id"]}"'
            return link in inbox.text

        await eventually(told, within=20, what="the validator's message linking the session")
        validated = await console.post(action, data={"step": "validator"})
        assert validated.status_code == 303, validated.text
    now = await api_get(system, learner, f"/api/registrations/{registration['id']}")
    assert now["status"] == "confirmed"
