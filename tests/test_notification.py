"""Notification end to end: registrations made through the gateway reach the learners' inboxes and,
through a real SMTP server (aiosmtpd), their mailboxes — once each, even across an SMTP outage."""

import re
import uuid
from typing import Any

import httpx
import pytest

from testsupport.mailbox import Mail, MailServer
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-notify"


def manager(system: System) -> dict[str, str]:
    return system.auth(
        "notify-manager", name="Marie", roles=["training_manager"], organizations=[ORG]
    )


def learner(system: System, name: str, locale: str = "fr") -> tuple[str, dict[str, str]]:
    sub = f"{name}-{uuid.uuid4().hex[:6]}"
    email = f"{sub}@example.org"
    headers = system.auth(sub, name=name.capitalize(), email=email, locale=locale)
    return email, headers


async def create_session(system: System, **rules: Any) -> dict[str, Any]:
    training = await system.http.post(
        "/api/trainings",
        json={
            "code": f"NOTIF-{uuid.uuid4().hex[:8]}",
            "title": "Premiers secours",
            "organizations": [ORG],
            "public_registration": True,
            **rules,
        },
        headers=manager(system),
    )
    assert training.status_code == 201, training.text
    session = await system.http.post(
        f"/api/trainings/{training.json()['id']}/sessions",
        json={
            "title": "Session d'avril",
            "start_date": "2027-04-12",
            "end_date": "2027-04-13",
            "location": "Nantes",
        },
        headers=manager(system),
    )
    assert session.status_code == 201, session.text
    created: dict[str, Any] = session.json()
    return created


async def register(system: System, session_id: str, headers: dict[str, str]) -> dict[str, Any]:
    async def attempt() -> httpx.Response | None:
        response = await system.http.post(
            "/api/registrations", json={"session_id": session_id}, headers=headers
        )
        return None if response.status_code == 404 else response

    response = await eventually(attempt, within=20, what="the session to reach registration")
    assert response.status_code == 201, response.text
    registration: dict[str, Any] = response.json()
    return registration


async def mail(server: MailServer, to: str, subject: str) -> Mail:
    return await server.wait_for(
        lambda m: to in m.rcpt_tos and subject in m.subject,
        within=30,
        what=f"the email '{subject}' to {to}",
    )


async def test_the_confirmation_link_arrives_by_email_and_confirms(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, server = healthy_system, running_mail_server
    session = await create_session(system, user_validation=True)
    email, me = learner(system, "ines", locale="en")
    registration = await register(system, session["id"], me)
    assert registration["pending_validations"] == ["user"]

    request = await mail(server, email, "Please confirm your registration")
    assert '"Session d\'avril"' in request.subject
    link = r"(http\S+/confirm\?registration=([0-9a-f-]+)&token=([\w-]+))"
    found = re.search(link, request.text())
    assert found is not None, request.text()
    assert found.group(1).startswith(system.stack.config.public_url + "/confirm?")
    assert found.group(2) == registration["id"]
    assert found.group(1).replace("&", "&amp;") in request.text("text/html")

    confirmed = await system.http.post(
        f"/api/registrations/{registration['id']}/confirm",
        json={"token": found.group(3)},
        headers=me,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"

    invitation = await mail(server, email, "Registration confirmed")
    assert "from 12 April 2027 to 13 April 2027, Nantes" in invitation.text()
    assert invitation.part("text/calendar") is not None
    ics = invitation.raw("text/calendar")
    assert "METHOD:REQUEST\r\n" in ics
    assert "DTSTART;VALUE=DATE:20270412\r\n" in ics
    assert "DTEND;VALUE=DATE:20270414\r\n" in ics
    assert f"UID:registration-{registration['id']}@training\r\n" in ics

    inbox = (await system.http.get("/api/inbox", headers=me)).json()
    assert [m["kind"] for m in inbox["items"]] == [
        "registration.confirmed",
        "registration.confirmation_requested",
    ]
    assert len(server.to(email)) == 2  # once each


async def test_the_waitlist_the_promotion_and_the_cancellation_are_told(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, server = healthy_system, running_mail_server
    session = await create_session(system, max_users=1)
    first_email, first = learner(system, "jade")
    second_email, second = learner(system, "karl")
    seated = await register(system, session["id"], first)
    waiting = await register(system, session["id"], second)
    assert waiting["status"] == "waitlisted"

    waitlisted = await mail(server, second_email, "Liste d'attente")
    assert "en position 1" in waitlisted.text()
    await mail(server, first_email, "Inscription confirmée")

    cancelled = await system.http.post(
        f"/api/registrations/{seated['id']}/cancel",
        json={"reason": "Indisponible"},
        headers=manager(system),
    )
    assert cancelled.status_code == 200, cancelled.text
    told = await mail(server, first_email, "Inscription annulée")
    assert "Indisponible" in told.text()
    await mail(server, second_email, "Une place s'est libérée")
    promoted = await mail(server, second_email, "Inscription confirmée")
    assert "Une place s'est libérée" in promoted.text()


async def test_a_cancelled_session_is_told_once_to_each_learner(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, server = healthy_system, running_mail_server
    session = await create_session(system)
    email, me = learner(system, "lou")
    await register(system, session["id"], me)
    await mail(server, email, "Inscription confirmée")
    response = await system.http.post(
        f"/api/sessions/{session['id']}/cancel",
        json={"reason": "Formateur indisponible"},
        headers=manager(system),
    )
    assert response.status_code == 200, response.text
    told = await mail(server, email, "Session annulée")
    assert "Formateur indisponible" in told.text()

    async def both_facts_handled() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await system.http.get("/api/inbox", headers=me)).json()[
            "items"
        ]
        return items if items and items[0]["kind"] == "session.cancelled" else None

    inbox = await eventually(both_facts_handled, what="the cancellation in the inbox")
    assert [m["kind"] for m in inbox] == ["session.cancelled", "registration.confirmed"]
    assert len(server.matching(lambda m: email in m.rcpt_tos and "annulée" in m.subject)) == 1


async def test_a_managers_message_reaches_the_learners(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, server = healthy_system, running_mail_server
    session = await create_session(system)
    email, me = learner(system, "max")
    await register(system, session["id"], me)
    await mail(server, email, "Inscription confirmée")

    body = {
        "session_id": session["id"],
        "subject": "Apportez une blouse",
        "body": "Merci d'apporter une blouse <blanche>.",
        "channels": ["internal", "email"],
    }
    refused = await system.http.post("/api/messages", json=body, headers=me)
    assert refused.status_code == 403
    invalid = await system.http.post(
        "/api/messages", json={**body, "channels": ["fax"]}, headers=manager(system)
    )
    assert invalid.status_code == 422

    async def accepted() -> dict[str, Any] | None:
        # the roster is built from registration events: wait until the learner is on it
        response = await system.http.post("/api/messages", json=body, headers=manager(system))
        assert response.status_code == 202, response.text
        answer: dict[str, Any] = response.json()
        return answer if answer["recipients"] >= 1 else None

    sent = await eventually(accepted, what="a message with the learner on the roster")
    message = await mail(server, email, "Apportez une blouse")
    assert "blouse <blanche>" in message.text()
    assert "blouse &lt;blanche&gt;" in message.text("text/html")

    async def delivered() -> dict[str, Any] | None:
        report: dict[str, Any] = (
            await system.http.get(f"/api/messages/{sent['id']}", headers=manager(system))
        ).json()
        return report if report["deliveries"]["sent"] == sent["recipients"] else None

    report = await eventually(delivered, what="the message's emails sent")
    assert report["internal"] == sent["recipients"]
    inbox = (await system.http.get("/api/inbox", headers=me)).json()
    assert inbox["items"][0]["subject"] == "Apportez une blouse"


async def test_no_email_is_lost_while_the_smtp_server_is_down(
    healthy_system: System, running_mail_server: MailServer
) -> None:
    system, server = healthy_system, running_mail_server
    session = await create_session(system)
    email, me = learner(system, "noe")
    admin = system.auth("notify-admin", roles=["platform_admin"])
    await server.astop()
    try:
        await register(system, session["id"], me)
        sub = email.split("@")[0]

        async def failing() -> dict[str, Any] | None:
            page = (await system.http.get(f"/api/deliveries?user_id={sub}", headers=admin)).json()
            items = [i for i in page["items"] if i["attempts"] >= 1]
            return items[0] if items else None

        delivery = await eventually(failing, within=30, what="a failed attempt during the outage")
        assert delivery["status"] == "pending"
        assert delivery["last_error"]
    finally:
        await server.astart()
    arrived = await mail(server, email, "Inscription confirmée")
    assert arrived.part("text/calendar") is not None

    async def sent() -> dict[str, Any] | None:
        page = (
            await system.http.get(f"/api/deliveries?user_id={sub}&status=sent", headers=admin)
        ).json()
        return page if page["total"] == 1 else None

    await eventually(sent, what="the delivery marked sent")
    assert len(server.to(email)) == 1
