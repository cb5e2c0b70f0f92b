"""The console in real Chromium (Debian's, driven by Playwright) on the real stack, through the
real gateway, as its users meet it: a manager signs in by pasting a token, creates a training and
a session in the forms; learners register through the catalog; one confirms through the link in
the email the system really sent; the manager validates from /awaiting (and is sent back there),
reads an event's pages, messages the session and reads the delivery stats; the learner reads her
inbox, her account and an offer's page; an admin reads the deliveries and the curricula tree.
Every one of those screens passes axe-core (no serious or critical violation) in French and in
English, and the sign-in form works with the keyboard alone.

The labels the test looks for are the console's own texts (console.texts), so it reads like a
user's steps in either language. With CONSOLE_SCREENSHOTS=1 the English run saves the main
screens into docs/console/ (docs/console.md shows them)."""

import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import pytest
from console.texts import translate
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from testsupport.browser import axe_check, chromium, screenshot
from testsupport.mailbox import Mail, MailServer
from testsupport.system import System
from testsupport.waiting import eventually

pytestmark = pytest.mark.system

ORG = "org-browser"
CONFIRM_LINK = re.compile(r"https?://[^\s<>\"]+/confirm\?registration=[^\s<>\"]+")
BROWSER_LOCALES = {"fr": "fr-FR", "en": "en-GB"}
expect.set_options(timeout=15_000)  # two cores shared with other runs: pages may come slowly


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as running:
        yield running


def texts(locale: str) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        return translate(key, "fr" if locale == "fr" else "en", **values)

    return t


async def new_page(browser: Browser, locale: str) -> tuple[BrowserContext, Page]:
    """A browser of its own (its own cookies), speaking `locale`."""
    context = await browser.new_context(locale=BROWSER_LOCALES[locale])
    context.set_default_timeout(20_000)
    return context, await context.new_page()


async def sign_in_with_the_form(page: Page, token: str, locale: str) -> None:
    """On the sign-in page the console sent the browser to: paste the token, send the form."""
    t = texts(locale)
    await expect(page.get_by_role("heading", level=1, name=t("sign_in.title"))).to_be_visible()
    await page.get_by_label(t("sign_in.token")).fill(token)
    await page.get_by_role("button", name=t("sign_in.submit")).click()
    await expect(page.get_by_role("heading", level=1, name=t("sign_in.title"))).to_have_count(0)


def api(system: System, token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def visit(page: Page, url: str, heading: str, what: str) -> None:
    """Open `url`, see its title, check it with axe-core."""
    await page.goto(url)
    await expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    await axe_check(page, what=what)


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_a_session_from_creation_to_the_delivery_stats(
    system: System, mail_server: MailServer, browser: Browser, locale: str
) -> None:
    await mail_server.astart()
    t = texts(locale)
    site = system.stack.gateway_url
    run = uuid.uuid4().hex[:6]
    manager_token = system.token(
        f"manager-{run}",
        name="Marie Curie",
        email=f"marie-{run}@example.org",
        roles=["training_manager"],
        organizations=[ORG],
        locale=locale,
    )
    learners = {
        name: (
            f"{sub}-{run}",
            f"{sub}-{run}@example.org",
            system.token(
                f"{sub}-{run}",
                name=name,
                email=f"{sub}-{run}@example.org",
                organizations=[ORG],
                locale=locale,
            ),
        )
        for name, sub in (("Léa Martin", "lea"), ("Noé Petit", "noe"))
    }
    code = f"SEC-{run}".upper()
    training_title = f"Sécurité au travail {run}"
    session_title = f"Session de printemps {run}"
    start = date.today() + timedelta(days=30)

    # --- the manager signs in: the console sends the browser to its form, then back -----------
    manager_context, manager = await new_page(browser, locale)
    await manager.goto(f"{site}/trainings")
    await expect(manager).to_have_url(re.compile(r"/sign-in\?next=%2Ftrainings$"))
    await axe_check(manager, what=f"sign-in ({locale})")
    if locale == "en":
        await screenshot(manager, "sign-in")
    await sign_in_with_the_form(manager, manager_token, locale)
    await expect(manager).to_have_url(f"{site}/trainings")
    await expect(manager.get_by_text(t("sign_in.signed_in_as", name="Marie Curie"))).to_be_visible()
    await axe_check(manager, what=f"trainings ({locale})")

    # --- a training, its default rules, a sign-up question ------------------------------------
    await manager.get_by_role("link", name=t("trainings.new"), exact=True).click()
    await expect(manager.get_by_role("heading", level=1, name=t("trainings.new"))).to_be_visible()
    await axe_check(manager, what=f"new training form ({locale})")
    await manager.get_by_label(t("field.code"), exact=True).fill(code)
    await manager.get_by_label(t("field.title"), exact=True).fill(training_title)
    await manager.get_by_label(t("field.organizations"), exact=True).fill(ORG)
    await manager.get_by_label(t("field.public_registration"), exact=True).check()
    await manager.get_by_label(t("field.public_unregistration"), exact=True).check()
    await manager.get_by_label(t("field.max_users"), exact=True).fill("12")
    await manager.get_by_label(t("field.user_validation"), exact=True).check()
    await manager.get_by_label(t("field.registration_validation"), exact=True).check()
    question = manager.get_by_role("group", name=t("sessions.rules.question", number=1))
    await question.get_by_label(t("field.id"), exact=True).fill("level")
    await question.get_by_label(t("field.label"), exact=True).fill("Votre niveau")
    await question.get_by_label(t("field.kind"), exact=True).select_option("choice")
    await question.get_by_label(t("field.required"), exact=True).check()
    await question.get_by_label(t("field.choices"), exact=True).fill("débutant\nconfirmé")
    await manager.get_by_role("button", name=t("trainings.create")).click()
    await expect(manager.get_by_role("status")).to_contain_text(t("done.training_created"))
    await expect(manager.get_by_role("heading", level=1)).to_contain_text(training_title)
    await axe_check(manager, what=f"a training's page ({locale})")

    # --- a session of it: the form starts from the training's rules ---------------------------
    await manager.get_by_role("link", name=t("trainings.new_session")).click()
    await expect(
        manager.get_by_role("heading", level=1, name=t("sessions.new_of", title=training_title))
    ).to_be_visible()
    await expect(manager.get_by_label(t("field.public_registration"), exact=True)).to_be_checked()
    await expect(manager.get_by_label(t("field.max_users"), exact=True)).to_have_value("12")
    await axe_check(manager, what=f"new session form ({locale})")
    await manager.get_by_label(t("field.title"), exact=True).fill(session_title)
    await manager.get_by_label(t("field.start_date"), exact=True).fill(start.isoformat())
    await manager.get_by_label(t("field.end_date"), exact=True).fill(
        (start + timedelta(days=1)).isoformat()
    )
    await manager.get_by_label(t("field.location"), exact=True).fill("Lyon, salle 2")
    await manager.get_by_role("button", name=t("sessions.create")).click()
    await expect(manager.get_by_role("heading", level=1, name=session_title)).to_be_visible()
    session_id = manager.url.split("/sessions/")[1].split("?")[0]
    session = (
        await system.http.get(f"/api/sessions/{session_id}", headers=api(system, manager_token))
    ).json()
    assert session["public_registration"] is True
    assert session["user_validation"] is True
    assert session["questions"][0]["id"] == "level"
    event = await system.http.post(
        f"/api/sessions/{session_id}/events",
        json={
            "title": f"Accueil {run}",
            "start": f"{start.isoformat()}T07:00:00+00:00",
            "end": f"{start.isoformat()}T10:00:00+00:00",
            "location": "Salle 2",
        },
        headers=api(system, manager_token),
    )
    assert event.status_code == 201, event.text
    event_id = event.json()["id"]

    # --- the sessions table -----------------------------------------------------------------
    # a second session, made through the API, so that the table has rows to sort
    autumn = await system.http.post(
        f"/api/trainings/{session['training_id']}/sessions",
        json={
            "title": f"Session d'automne {run}",
            "start_date": (start + timedelta(days=120)).isoformat(),
            "end_date": (start + timedelta(days=121)).isoformat(),
            "location": "Nantes",
        },
        headers=api(system, manager_token),
    )
    assert autumn.status_code == 201, autumn.text
    await manager.get_by_role("link", name=t("nav.sessions"), exact=True).click()
    await manager.get_by_label(t("sessions.training"), exact=True).select_option(
        label=f"{code} — {training_title}"
    )
    await manager.get_by_role("button", name=t("action.filter")).click()
    await expect(manager.get_by_role("link", name=session_title, exact=True)).to_be_visible()
    await expect(
        manager.get_by_role("link", name=f"Session d'automne {run}", exact=True)
    ).to_be_visible()
    await axe_check(manager, what=f"sessions table ({locale})")
    if locale == "en":
        await screenshot(manager, "sessions")

    # --- learners register through the catalog -----------------------------------------------
    learner_pages: dict[str, Page] = {}
    for name, (_, _, token) in learners.items():
        _, page = await new_page(browser, locale)
        await page.goto(f"{site}/")
        await sign_in_with_the_form(page, token, locale)
        await page.get_by_role("link", name=t("nav.catalog"), exact=True).click()
        await page.get_by_label(t("learner.catalog.search")).fill(session_title)
        await page.get_by_role("button", name=t("action.search")).click()
        await expect(page.get_by_role("link", name=session_title, exact=True)).to_be_visible()
        await axe_check(page, what=f"catalog ({locale})")
        if locale == "en" and name == "Léa Martin":
            await screenshot(page, "catalog")
        await page.get_by_role("link", name=session_title, exact=True).click()
        await expect(page.get_by_role("heading", level=1, name=session_title)).to_be_visible()
        await axe_check(page, what=f"a session in the catalog ({locale})")
        await page.get_by_label("confirmé", exact=True).check()
        await page.get_by_role("button", name=t("learner.register.submit")).click()
        await expect(page.get_by_role("status")).to_contain_text(t("done.learner_registered"))
        await expect(
            page.get_by_role("heading", level=1, name=t("learner.mine.title"))
        ).to_be_visible()
        await expect(page.get_by_role("heading", level=2, name=session_title)).to_be_visible()
        await expect(page.get_by_text(t("learner.awaits.user"))).to_be_visible()
        await axe_check(page, what=f"my registrations ({locale})")
        learner_pages[name] = page

    # --- Léa confirms through the link of the email she got ------------------------------------
    lea_id, lea_email, lea_token = learners["Léa Martin"]

    def her_confirmation(mail: Mail) -> bool:
        return lea_email in mail.rcpt_tos and CONFIRM_LINK.search(mail.text()) is not None

    mail = await mail_server.wait_for(her_confirmation, within=30, what="Léa's confirmation email")
    link = CONFIRM_LINK.search(mail.text())
    assert link is not None
    assert link.group(0).startswith(site)  # PUBLIC_URL: the gateway, which serves the console
    # she opens it in a browser that is not signed in yet: sign in, then on to the link
    mail_context, from_mail = await new_page(browser, locale)
    await from_mail.goto(link.group(0))
    await expect(from_mail).to_have_url(re.compile(r"/sign-in\?next=%2Fconfirm"))
    await sign_in_with_the_form(from_mail, lea_token, locale)
    await expect(
        from_mail.get_by_role("heading", level=1, name=t("email_links.confirm.title"))
    ).to_be_visible()
    await expect(from_mail.get_by_role("status")).to_contain_text(t("email_links.confirm.pending"))
    await axe_check(from_mail, what=f"the confirmation link's page ({locale})")
    await mail_context.close()

    # her page of registrations says it now awaits the manager only
    lea_page = learner_pages["Léa Martin"]
    await lea_page.reload()
    await expect(lea_page.get_by_text(t("learner.awaits.registration"))).to_be_visible()
    await expect(lea_page.get_by_text(t("learner.awaits.user"))).to_have_count(0)
    if locale == "en":
        await screenshot(lea_page, "my-registrations")

    # --- the manager validates her registration from /awaiting, and is sent back there ---------
    await visit(manager, f"{site}/awaiting", t("awaiting.title"), f"awaiting ({locale})")
    lea_request = (
        manager.get_by_role("row").filter(has_text=session_title).filter(has_text="Léa Martin")
    )
    validate = lea_request.get_by_role(
        "button", name=f"{t('registrations.validate.registration')} — Léa Martin"
    )
    await expect(validate).to_be_visible()
    await validate.click()
    await expect(manager).to_have_url(re.compile(r"/awaiting\?done=registration_validated$"))
    await expect(manager.get_by_role("status")).to_contain_text(t("done.registration_validated"))
    await expect(lea_request).to_have_count(0)

    async def lea_told_confirmed() -> bool:
        # notification learns the roster from the bus: a message posted before her confirmation
        # reached it would have no recipient
        inbox = await system.http.get("/api/inbox", headers=api(system, lea_token))
        return "registration.confirmed" in [item["kind"] for item in inbox.json()["items"]]

    await eventually(lea_told_confirmed, within=30, what="Léa told her registration is confirmed")
    await manager.goto(f"{site}/sessions/{session_id}")
    # Noé has not confirmed: nothing to validate for him yet
    await expect(
        manager.get_by_role(
            "button", name=f"{t('registrations.validate.registration')} — Noé Petit"
        )
    ).to_have_count(0)
    lea_row = manager.get_by_role("row").filter(has_text="Léa Martin")
    await expect(lea_row).to_contain_text(t("registrations.status.confirmed"))
    await axe_check(manager, what=f"the session's page ({locale})")
    if locale == "en":
        await screenshot(manager, "session-page")

    registrations = (
        await system.http.get(
            "/api/registrations",
            params={"session_id": session_id},
            headers=api(system, manager_token),
        )
    ).json()["items"]
    status_of = {r["user"]["id"]: (r["status"], r["pending_validations"]) for r in registrations}
    assert status_of[lea_id] == ("confirmed", [])
    assert status_of[learners["Noé Petit"][0]] == ("pending", ["user", "registration"])
    assert {r["answers"]["level"] for r in registrations} == {"confirmé"}
    (lea_registration,) = (r["id"] for r in registrations if r["user"]["id"] == lea_id)

    # --- the event's pages ------------------------------------------------------------------
    event_title = f"Accueil {run}"
    await visit(
        manager,
        f"{site}/events/{event_id}/edit",
        t("events.edit", title=event_title),
        f"an event's edit page ({locale})",
    )
    await visit(
        manager,
        f"{site}/events/{event_id}/attendance",
        t("attendance.title", title=event_title),
        f"an event's attendance page ({locale})",
    )
    await manager.goto(f"{site}/sessions/{session_id}")

    # --- the manager messages the session and reads the delivery stats -----------------------
    await manager.get_by_role("link", name=t("session_page.message")).click()
    await expect(
        manager.get_by_role(
            "heading", level=1, name=t("messages.dialog.title", session=session_title)
        )
    ).to_be_visible()
    await axe_check(manager, what=f"the message dialog ({locale})")
    await manager.get_by_label(t("messages.subject"), exact=True).fill(f"Salle changée {run}")
    await manager.get_by_label(t("messages.body"), exact=True).fill("Rendez-vous en salle 3.")
    await manager.get_by_label(t("messages.channel.both"), exact=True).check()
    await manager.get_by_label(t("messages.audience.confirmed"), exact=True).check()
    await manager.get_by_role("button", name=t("messages.send")).click()
    await expect(
        manager.get_by_role("heading", level=1, name=t("messages.report.title"))
    ).to_be_visible()
    await expect(manager.get_by_role("status")).to_contain_text(t("done.message_sent"))

    def count_of(status: str) -> Locator:
        """The cell beside the row header that names the status, in the emails' table."""
        header = manager.get_by_role("rowheader", name=t(f"messages.delivery.{status}"), exact=True)
        return manager.get_by_role("row").filter(has=header).get_by_role("cell")

    async def delivered() -> bool | None:
        await manager.get_by_role("link", name=t("messages.report.refresh")).click()
        return (await count_of("sent").inner_text()).strip() == "1" or None

    await eventually(delivered, within=30, what="the message's email counted as sent")
    await expect(count_of("failed")).to_have_text("0")
    await axe_check(manager, what=f"the message report ({locale})")
    if locale == "en":
        await screenshot(manager, "message-report")

    message_id = manager.url.split("/messages/")[1].split("?")[0]
    report = (
        await system.http.get(f"/api/messages/{message_id}", headers=api(system, manager_token))
    ).json()
    assert report["recipients"] == 1  # Léa, the one confirmed
    assert report["internal"] == 1
    assert report["deliveries"]["sent"] == 1
    await mail_server.wait_for(
        lambda mail: lea_email in mail.rcpt_tos and f"Salle changée {run}" in mail.subject,
        what="the message's email to Léa",
    )
    assert not mail_server.matching(
        lambda mail: (
            learners["Noé Petit"][1] in mail.rcpt_tos and f"Salle changée {run}" in mail.subject
        )
    )

    # --- Léa reads the message in her inbox, her account, and an offer's link ---------------
    await visit(lea_page, f"{site}/inbox", t("account.inbox.title"), f"inbox ({locale})")
    await expect(
        lea_page.get_by_role("heading", level=2, name=f"Salle changée {run}")
    ).to_be_visible()
    await visit(lea_page, f"{site}/account", t("account.title"), f"account ({locale})")
    # her registration is not offered a seat: the page says so, with its link to hers
    await visit(
        lea_page,
        f"{site}/offer?registration={lea_registration}&answer=accept",
        t("email_links.offer.title"),
        f"an offer's page ({locale})",
    )

    # --- an admin reads the deliveries and the curricula tree -------------------------------
    admin_token = system.token(
        f"admin-{run}", name="Alice Admin", roles=["platform_admin"], locale=locale
    )
    root = await system.http.post(
        "/api/curricula",
        json={"code": f"PAR-{run}".upper(), "title": f"Parcours sécurité {run}"},
        headers=api(system, admin_token),
    )
    assert root.status_code == 201, root.text
    child = await system.http.post(
        "/api/curricula",
        json={
            "code": f"MOD-{run}".upper(),
            "title": "Module 1",
            "parent_id": root.json()["id"],
            "training_ids": [session["training_id"]],
        },
        headers=api(system, admin_token),
    )
    assert child.status_code == 201, child.text
    admin_context, admin = await new_page(browser, locale)
    await admin.goto(f"{site}/deliveries")
    await sign_in_with_the_form(admin, admin_token, locale)
    await expect(
        admin.get_by_role("heading", level=1, name=t("messages.deliveries.title"))
    ).to_be_visible()
    await axe_check(admin, what=f"deliveries ({locale})")
    await visit(admin, f"{site}/curricula", t("curricula.title"), f"curricula tree ({locale})")
    await expect(admin.get_by_text(f"PAR-{run}".upper(), exact=True)).to_be_visible()

    await admin_context.close()
    await manager_context.close()
    for page in learner_pages.values():
        await page.context.close()


async def test_the_sign_in_form_works_with_the_keyboard_alone(
    system: System, browser: Browser
) -> None:
    t = texts("en")
    token = system.token("keyboard-user", name="Kim Keys", locale="en")
    context, page = await new_page(browser, "en")
    await page.goto(f"{system.stack.gateway_url}/sign-in")

    # the first Tab reaches the skip link, which takes the focus to the page's content
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name=t("app.skip"))).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()

    field = page.get_by_label(t("sign_in.token"))
    for _ in range(10):
        if await field.evaluate("element => element === document.activeElement"):
            break
        await page.keyboard.press("Tab")
    await expect(field).to_be_focused()
    await page.keyboard.insert_text(token)  # what pasting does
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name=t("sign_in.submit"))).to_be_focused()
    await page.keyboard.press("Enter")

    await expect(
        page.get_by_role("heading", level=1, name=t("sign_in.signed_in_as", name="Kim Keys"))
    ).to_be_visible()
    await axe_check(page, what="home (en)")
    await context.close()


async def test_an_unreadable_token_is_said_and_the_form_stays(
    system: System, browser: Browser
) -> None:
    t = texts("fr")
    context, page = await new_page(browser, "fr")
    await page.goto(f"{system.stack.gateway_url}/sign-in")
    await page.get_by_label(t("sign_in.token")).fill("ceci n'est pas un jeton")
    await page.get_by_role("button", name=t("sign_in.submit")).click()
    await expect(page.get_by_role("alert")).to_have_text(t("sign_in.unreadable"))
    await expect(page.get_by_label(t("sign_in.token"))).to_be_visible()
    await axe_check(page, what="sign-in refused (fr)")
    cookies: list[Any] = await context.cookies()
    assert not cookies
    await context.close()
