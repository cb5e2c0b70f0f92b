"""The console's catalog screens against the real system: a manager creates a training through its
form, finds it, creates a session from it (the form pre-filled with the training's rules, sent as
a browser sends it), sorts and filters the sessions table, edits, cancels and deletes; a learner
sees none of the controls; refusals read in words, in the viewer's language; curricula as a tree.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest

from testsupport.console import console_client
from testsupport.system import System

pytestmark = pytest.mark.system

ORG = "org-1"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class FormReader(HTMLParser):
    """The controls of the form posting to `action`, with the values a browser would send as
    the page shows them (checked boxes, selected options, textareas' text)."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "checkbox":
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("submit", "button"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None


def form_of(page: str, action: str, **changes: str) -> dict[str, str]:
    """The form's fields as the page fills them, then `changes` typed over them."""
    reader = FormReader(action)
    reader.feed(page)
    fields = dict(reader.fields)
    assert fields, f"no form posting to {action}"
    fields.update(changes)
    return fields


def manager_token(system: System, sub: str = "console-cat-manager", *, locale: str = "en") -> str:
    return system.token(
        sub,
        name="Marie Manager",
        roles=["training_manager"],
        organizations=[ORG],
        locale=locale,
    )


@asynccontextmanager
async def as_viewer(system: System, token: str) -> AsyncIterator[httpx.AsyncClient]:
    async with console_client(system.stack.gateway_url, token) as console:
        yield console


async def api_get(system: System, token: str, path: str, **params: Any) -> Any:
    response = await system.http.get(
        path, params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def training_form(code: str, title: str) -> dict[str, str]:
    return {
        "code": code,
        "title": title,
        "description": "Les gestes qui sauvent.",
        "organizations": ORG,
        "public_registration": "1",
        "event_registration_mode": "manual",
        "max_users": "12",
        "user_validation": "1",
        "validators": "val-1\nval-2",
        "confirmation_hours": "48",
        "waitlist_offer_hours": "6",
        "completion_rate": "80",
        "reminder_hours": "24, 2",
        "question-0-id": "diet",
        "question-0-label": "Régime alimentaire",
        "question-0-kind": "choice",
        "question-0-required": "1",
        "question-0-choices": "aucun\nvégétarien\n",
    }


async def create_training(console: httpx.AsyncClient, code: str, title: str) -> str:
    created = await console.post("/trainings", data=training_form(code, title))
    assert created.status_code == 303, created.text
    location = created.headers["location"]
    assert location.endswith("?done=training_created")
    return location.removeprefix("/trainings/").split("?")[0]


async def test_manager_creates_training_and_sessions_through_the_forms(system: System) -> None:
    token = manager_token(system)
    code = unique("SST")
    async with as_viewer(system, token) as console:
        training_id = await create_training(console, code, "Sauveteur secouriste")

        shown = await console.get(f"/trainings/{training_id}?done=training_created")
        assert shown.status_code == 200
        assert "The training is created." in shown.text
        assert "Sauveteur secouriste" in shown.text
        training = await api_get(system, token, f"/api/trainings/{training_id}")
        assert training["max_users"] == 12
        assert training["event_registration_mode"] == "manual"
        assert training["validators"] == ["val-1", "val-2"]
        assert training["confirmation_hours"] == 48
        assert training["waitlist_offer_hours"] == 6
        assert training["completion_rate"] == 80
        assert training["reminder_hours"] == [24, 2]
        assert training["questions"] == [
            {
                "id": "diet",
                "label": "Régime alimentaire",
                "kind": "choice",
                "required": True,
                "choices": ["aucun", "végétarien"],
            }
        ]

        # found by its code, case aside; sorted by code
        listed = await console.get("/trainings", params={"q": code.lower(), "sort": "code"})
        assert f'href="/trainings/{training_id}"' in listed.text
        assert 'aria-sort="ascending"' in listed.text
        nothing = await console.get("/trainings", params={"q": unique("none")})
        assert f'href="/trainings/{training_id}"' not in nothing.text

        # a session from it: search the training, pick it, the form carries its rules
        search = await console.get("/sessions/new", params={"q": code})
        assert f'href="/sessions/new?training_id={training_id}"' in search.text
        new_page = await console.get("/sessions/new", params={"training_id": training_id})
        assert new_page.status_code == 200
        fields = form_of(
            new_page.text,
            "/sessions/new",
            title="Session de mars",
            start_date="2031-03-02",
            end_date="2031-03-03",
            location="Lyon, salle 2",
            registration_opens_at="2031-01-01T09:00",
        )
        assert fields["max_users"] == "12"
        assert fields["question-0-choices"] == "aucun\nvégétarien"
        created = await console.post("/sessions/new", data=fields)
        assert created.status_code == 303, created.text
        assert created.headers["location"].endswith("?done=session_created")
        march_id = created.headers["location"].removeprefix("/sessions/").split("?")[0]
        march = await api_get(system, token, f"/api/sessions/{march_id}")
        for rule in (
            "public_registration",
            "event_registration_mode",
            "max_users",
            "user_validation",
            "validators",
            "confirmation_hours",
            "waitlist_offer_hours",
            "completion_rate",
            "reminder_hours",
            "questions",
        ):
            assert march[rule] == training[rule], rule
        assert march["organizations"] == [ORG]
        assert march["registration_opens_at"] == "2031-01-01T08:00:00Z"  # Paris, UTC+1

        # a second one, by the same form, other dates
        fields.update(title="Session d'avril", start_date="2031-04-06", end_date="2031-04-06")
        fields.pop("registration_opens_at")
        april = await console.post("/sessions/new", data=fields)
        assert april.status_code == 303, april.text
        april_id = april.headers["location"].removeprefix("/sessions/").split("?")[0]
        await system.http.post(
            f"/api/sessions/{april_id}/events",
            json={
                "title": "Gestes de premiers secours",
                "start": "2031-04-06T09:00:00+02:00",
                "end": "2031-04-06T12:00:00+02:00",
            },
            headers={"Authorization": f"Bearer {token}"},
        )

        # the table: both, sorted by title either way, with their actions and events
        table = await console.get(
            "/sessions", params={"training_id": training_id, "sort": "title", "order": "desc"}
        )
        assert table.status_code == 200
        assert table.text.index("Session de mars") < table.text.index("Session d&#39;avril")
        ascending = await console.get(
            "/sessions", params={"training_id": training_id, "sort": "title", "order": "asc"}
        )
        assert ascending.text.index("Session d&#39;avril") < ascending.text.index("Session de mars")
        for session_id in (march_id, april_id):
            assert f'href="/sessions/{session_id}/edit"' in table.text
            assert f'href="/sessions/{session_id}/delete"' in table.text
            assert f'href="/sessions/{session_id}/message"' in table.text
            assert f'href="/sessions/{session_id}#new-event"' in table.text
        assert "<details" in table.text
        assert "Gestes de premiers secours" in table.text
        assert "09:00" in table.text  # in the console's time zone, where it takes place
        assert "(UTC+02:00)" in table.text
        later = await console.get(
            "/sessions", params={"training_id": training_id, "starts_after": "2031-04-01"}
        )
        assert "Session d&#39;avril" in later.text
        assert "Session de mars" not in later.text
        earlier = await console.get(
            "/sessions", params={"training_id": training_id, "starts_before": "2031-03-31"}
        )
        assert "Session de mars" in earlier.text
        assert "Session d&#39;avril" not in earlier.text

        # edit: the form shows the session, a change goes through PATCH
        edit_page = await console.get(f"/sessions/{march_id}/edit")
        assert edit_page.status_code == 200
        fields = form_of(
            edit_page.text,
            f"/sessions/{march_id}/edit",
            max_users="20",
            tutors="tutor-1, tutor-2",
            workspace_url="https://workspace.example.org/sst",
            default_session="1",
        )
        assert fields["location"] == "Lyon, salle 2"
        assert fields["registration_opens_at"] == "2031-01-01T09:00"
        saved = await console.post(f"/sessions/{march_id}/edit", data=fields)
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == f"/sessions/{march_id}?done=session_saved"
        edited = await api_get(system, token, f"/api/sessions/{march_id}")
        assert edited["max_users"] == 20
        assert edited["tutors"] == ["tutor-1", "tutor-2"]
        assert edited["default_session"] is True
        assert edited["version"] == march["version"] + 1
        assert edited["questions"] == march["questions"]
        workspace = await console.get("/sessions", params={"training_id": training_id})
        assert 'href="https://workspace.example.org/sst"' in workspace.text

        # a refused edit is shown in words beside the form
        refused = await console.post(
            f"/sessions/{march_id}/edit", data={**fields, "end_date": "2031-03-01"}
        )
        assert refused.status_code == 422
        assert "Some values are not acceptable." in refused.text
        assert "End date" in refused.text

        # cancel april, then filter by status
        cancelled = await console.post(f"/sessions/{april_id}/cancel", data={"reason": "Salle"})
        assert cancelled.status_code == 303, cancelled.text
        only_cancelled = await console.get(
            "/sessions", params={"training_id": training_id, "status": "cancelled"}
        )
        assert "Session d&#39;avril" in only_cancelled.text
        assert "Session de mars" not in only_cancelled.text

        # the training cannot go while it has sessions: said in words
        refused_delete = await console.post(f"/trainings/{training_id}/delete")
        assert refused_delete.status_code == 409
        assert "This training still has sessions" in refused_delete.text

        # delete a session: asked first, then gone
        sure = await console.get(f"/sessions/{april_id}/delete")
        assert "Do you really want to delete the session" in sure.text
        for session_id in (april_id, march_id):
            deleted = await console.post(f"/sessions/{session_id}/delete")
            assert deleted.status_code == 303
            assert deleted.headers["location"] == "/sessions?done=session_deleted"
            gone = await system.http.get(
                f"/api/sessions/{session_id}", headers={"Authorization": f"Bearer {token}"}
            )
            assert gone.status_code == 404

        # edit the training, then delete it
        page = await console.get(f"/trainings/{training_id}")
        fields = form_of(page.text, f"/trainings/{training_id}", title="SST (révisé)")
        assert fields["reminder_hours"] == "24, 2"
        saved = await console.post(f"/trainings/{training_id}", data=fields)
        assert saved.status_code == 303, saved.text
        revised = await api_get(system, token, f"/api/trainings/{training_id}")
        assert revised["title"] == "SST (révisé)"
        assert revised["questions"] == training["questions"]
        assert revised["max_users"] == 12
        deleted = await console.post(f"/trainings/{training_id}/delete")
        assert deleted.status_code == 303
        assert deleted.headers["location"] == "/trainings?done=training_deleted"


async def test_a_taken_code_is_said_in_french(system: System) -> None:
    token = manager_token(system, "console-cat-fr", locale="fr")
    code = unique("DUP")
    async with as_viewer(system, token) as console:
        first_id = await create_training(console, code, "Première")
        again = await console.post("/trainings", data=training_form(code.lower(), "Seconde"))
        assert again.status_code == 409
        assert "Ce code est déjà celui d\u2019une autre formation" in again.text
        assert f'href="/trainings/{first_id}"' in again.text
        assert 'value="Seconde"' in again.text  # what was typed is kept
        assert '<html lang="fr">' in again.text


async def test_a_learner_sees_no_controls(system: System) -> None:
    manager = manager_token(system, "console-cat-owner")
    async with as_viewer(system, manager) as console:
        training_id = await create_training(console, unique("LRN"), "Pour les apprenants")
    session = await system.http.post(
        f"/api/trainings/{training_id}/sessions",
        json={"title": "Session ouverte", "start_date": "2031-05-01", "end_date": "2031-05-02"},
        headers={"Authorization": f"Bearer {manager}"},
    )
    assert session.status_code == 201, session.text
    session_id = session.json()["id"]

    learner = system.token("console-cat-learner", name="Léa Martin", organizations=[ORG])
    async with as_viewer(system, learner) as console:
        trainings = await console.get("/trainings")
        assert trainings.status_code == 200
        assert 'href="/trainings/new"' not in trainings.text
        page = await console.get(f"/trainings/{training_id}")
        assert page.status_code == 200
        assert f'action="/trainings/{training_id}"' not in page.text
        assert f'action="/trainings/{training_id}/delete"' not in page.text
        assert f'href="/trainings/{training_id}/delete"' not in page.text
        assert "/sessions/new" not in page.text
        table = await console.get("/sessions", params={"training_id": training_id})
        assert "Session ouverte" in table.text
        for control in ("/edit", "/delete", "/message", "#new-event"):
            assert f'href="/sessions/{session_id}{control}"' not in table.text
        assert 'href="/sessions/new' not in table.text
        tree = await console.get("/curricula")
        assert tree.status_code == 200
        assert 'href="/curricula/new' not in tree.text


async def test_curricula_as_a_tree(system: System) -> None:
    admin = system.token("console-cat-admin", name="Alice Admin", roles=["platform_admin"])
    manager = manager_token(system, "console-cat-curricula")
    root_code, child_code = unique("PATH"), unique("STEP")
    async with as_viewer(system, manager) as console:
        training_id = await create_training(console, unique("CUR"), "Formation du parcours")
        form = await console.get("/curricula/new")
        assert '<option value="">' not in form.text  # a manager may not make a root
    async with as_viewer(system, admin) as console:
        tree = await console.get("/curricula")
        assert 'href="/curricula/new"' in tree.text
        created = await console.post(
            "/curricula/new", data={"code": root_code, "title": "Parcours", "parent_id": ""}
        )
        assert created.status_code == 303, created.text
        root_id = created.headers["location"].split("#node-")[1]
    async with as_viewer(system, manager) as console:
        tree = await console.get("/curricula")
        assert f'href="/curricula/new?parent_id={root_id}"' in tree.text
        assert f'href="/curricula/{root_id}/edit"' not in tree.text  # a root is the admin's
        child_form = await console.get("/curricula/new", params={"parent_id": root_id})
        fields = form_of(
            child_form.text,
            "/curricula/new",
            code=child_code,
            title="Première étape",
            training_ids=training_id,
            blocking="1",
        )
        assert fields["parent_id"] == root_id
        created = await console.post("/curricula/new", data=fields)
        assert created.status_code == 303, created.text
        child_id = created.headers["location"].split("#node-")[1]
        child = await api_get(system, manager, f"/api/curricula/{child_id}")
        assert child["parent_id"] == root_id
        assert child["training_ids"] == [training_id]
        assert child["blocking"] is True
        tree = await console.get("/curricula")
        root_at = tree.text.index(f'id="node-{root_id}"')
        child_at = tree.text.index(f'id="node-{child_id}"')
        assert root_at < child_at
        assert "Formation du parcours" in tree.text[child_at:]
        assert f'href="/curricula/{child_id}/edit"' in tree.text

        edit = await console.get(f"/curricula/{child_id}/edit")
        fields = form_of(edit.text, f"/curricula/{child_id}/edit", title="Étape une")
        saved = await console.post(f"/curricula/{child_id}/edit", data=fields)
        assert saved.status_code == 303, saved.text
        assert (await api_get(system, manager, f"/api/curricula/{child_id}"))["title"] == (
            "Étape une"
        )
    async with as_viewer(system, admin) as console:
        tree = await console.get("/curricula")
        assert f'href="/curricula/{root_id}/delete"' in tree.text  # a link to a question first
        question = await console.get(f"/curricula/{root_id}/delete")
        assert question.status_code == 200
        assert "regroupe restent" in question.text  # the trainings stay
        assert f'action="/curricula/{root_id}/delete"' in question.text
        refused = await console.post(f"/curricula/{root_id}/delete")
        assert refused.status_code == 409
        assert "Ce cursus a encore des cursus en dessous" in refused.text
        for node_id in (child_id, root_id):
            deleted = await console.post(f"/curricula/{node_id}/delete")
            assert deleted.status_code == 303, deleted.text
