"""The learner's pages over a fake API (httpx.MockTransport): what a refusal at registration
reads as, the certificate passed through or said to be missing, an emailed link's bad values,
and the French viewer's words. The real system's flows are in tests/test_console_learner.py."""

from typing import Any

import httpx
import pytest

from .fakes import (
    REGISTRATION_ID,
    SEATS,
    SESSION,
    SESSION_ID,
    Handler,
    Routes,
    console,
    not_found,
    page_of,
    problem,
    viewer,
)

pytestmark = pytest.mark.unit

LEARNER = viewer()


def api(routes: Routes) -> Handler:
    def handle(request: httpx.Request) -> httpx.Response:
        answer = routes.get((request.method, request.url.path))
        if answer is not None:
            return answer
        if request.url.path == f"/api/sessions/{SESSION_ID}":
            return httpx.Response(200, json=SESSION)
        if request.url.path == "/api/seats":
            return httpx.Response(200, json=SEATS)
        if request.url.path == f"/api/sessions/{SESSION_ID}/events":
            return page_of()
        if request.url.path == "/api/registrations" and request.method == "GET":
            return page_of()
        return not_found(request)

    return handle


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (problem(409, "Already registered to this session.", id=REGISTRATION_ID),
         "You are already registered for this session."),
        (problem(409, "The session is cancelled.", session_id=SESSION_ID),
         "This session has been cancelled"),
        (problem(409, "Registration to this session closed at 2027-01-01T00:00:00+00:00."),
         "Registration to this session is not open right now"),
        (problem(403, "This session does not take registrations from learners."),
         "This session does not take registrations from learners: ask its managers."),
    ],
)  # fmt: skip
async def test_a_refused_registration_reads_in_words(answer: httpx.Response, said: str) -> None:
    async with console(api({("POST", "/api/registrations"): answer}), signed_in=LEARNER) as client:
        page = await client.post(f"/catalog/{SESSION_ID}", data={})
    assert page.status_code == answer.status_code
    assert said in page.text.replace("&#39;", "'")
    if "already" in said:
        assert f'href="/my/registrations#registration-{REGISTRATION_ID}"' in page.text


async def test_the_certificate_is_the_apis_pdf_passed_through() -> None:
    pdf = httpx.Response(
        200,
        content=b"%PDF-1.7 certificate",
        headers={"content-type": "application/pdf",
                 "content-disposition": 'attachment; filename="certificate.pdf"'},
    )  # fmt: skip
    path = f"/api/registrations/{REGISTRATION_ID}/certificate"
    async with console(api({("GET", path): pdf}), signed_in=LEARNER) as client:
        answer = await client.get(f"/my/registrations/{REGISTRATION_ID}/certificate.pdf")
    assert answer.status_code == 200
    assert answer.content == b"%PDF-1.7 certificate"
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="certificate.pdf"'


async def test_a_certificate_not_yet_available_is_said_so() -> None:
    path = f"/api/registrations/{REGISTRATION_ID}/certificate"
    missing = problem(409, "No attended event of this registration has validated attendance yet.")
    async with console(api({("GET", path): missing}), signed_in=LEARNER) as client:
        answer = await client.get(f"/my/registrations/{REGISTRATION_ID}/certificate.pdf")
    assert answer.status_code == 409
    assert "The certificate is not available yet" in answer.text


@pytest.mark.parametrize(
    "link",
    [
        "/confirm",
        f"/confirm?registration={REGISTRATION_ID}",
        f"/confirm?registration={REGISTRATION_ID}&token=has%20space",
        "/confirm?registration=../../api&token=abc",
        "/offer",
        f"/offer?registration={REGISTRATION_ID}",
        f"/offer?registration={REGISTRATION_ID}&answer=maybe",
        "/offer?registration=x&answer=accept",
    ],
)
async def test_an_emailed_link_with_bad_values_is_a_clear_page(link: str) -> None:
    async with console(api({}), signed_in=LEARNER) as client:
        page = await client.get(link)
    assert page.status_code == 400
    assert "This link is incomplete" in page.text


async def test_a_bad_offer_form_is_a_clear_page_too() -> None:
    async with console(api({}), signed_in=LEARNER) as client:
        page = await client.post("/offer", data={"registration": "x", "answer": "accept"})
    assert page.status_code == 400


async def test_a_french_viewer_reads_the_catalog_in_french() -> None:
    french = viewer(locale="fr")
    async with console(
        api({("GET", "/api/sessions"): page_of(SESSION)}), signed_in=french
    ) as client:
        page = await client.get("/catalog")
    assert page.status_code == 200
    assert "<h1>Catalogue des sessions</h1>" in page.text
    assert "8 sur 10" in page.text
    assert "ouverte" in page.text


def registration(**fields: Any) -> dict[str, Any]:
    return {
        "id": REGISTRATION_ID,
        "session_id": SESSION_ID,
        "status": "pending",
        "pending_validations": [],
        "waitlist_position": None,
        "offer_expires_at": None,
        "completion": None,
        **fields,
    }


CONFIRM = ("POST", f"/api/registrations/{REGISTRATION_ID}/confirm")
GET_ONE = ("GET", f"/api/registrations/{REGISTRATION_ID}")
LINK = f"/confirm?registration={REGISTRATION_ID}&token=abc_-9"


async def test_a_confirmation_that_leaves_another_step_says_which() -> None:
    now = registration(pending_validations=["registration", "validator"])
    async with console(api({CONFIRM: httpx.Response(200, json=now)}), signed_in=LEARNER) as client:
        page = await client.get(LINK)
    assert page.status_code == 200
    text = page.text.replace("&#39;", "'")
    assert "Your registration now awaits another step." in text
    assert "the training's managers" in text
    assert "the session's validators" in text


async def test_a_confirmation_past_its_deadline_says_it_expired() -> None:
    expired = problem(409, "The confirmation period is over.", id=REGISTRATION_ID)
    routes = {
        CONFIRM: expired,
        GET_ONE: httpx.Response(200, json=registration(status="expired")),
    }
    async with console(api(routes), signed_in=LEARNER) as client:
        page = await client.get(LINK)
    assert page.status_code == 409
    assert "The time to confirm is over: the request has expired." in page.text


async def test_someone_elses_confirmation_link_says_who_is_signed_in() -> None:
    routes = {CONFIRM: problem(403, "Only the learner confirms.")}
    async with console(api(routes), signed_in=LEARNER) as client:
        page = await client.get(LINK)
    assert page.status_code == 403
    assert "You are signed in as Léa" in page.text


async def test_an_offer_shown_in_french_with_its_one_button() -> None:
    offered = registration(status="offered", offer_expires_at="2027-05-20T10:00:00+00:00")
    routes = {GET_ONE: httpx.Response(200, json=offered)}
    async with console(api(routes), signed_in=viewer(locale="fr")) as client:
        page = await client.get(f"/offer?registration={REGISTRATION_ID}&answer=decline")
    assert page.status_code == 200
    assert "Une place vous est proposée jusqu\u2019au 20 mai 2027" in page.text
    assert ">Refuser la place</button>" in page.text
    assert "Accepter la place</button>" not in page.text
