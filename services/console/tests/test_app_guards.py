"""The console app over a fake API, where a viewer's request goes wrong: a token refused during a
form's POST (back to a page they can open), the console's own errors in the viewer's language,
a sign-in link outside development, a token no header can carry, the Secure cookie behind a TLS
ingress."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from console.deps import TOKEN_COOKIE
from console.texts import translate

from .fakes import (
    REGISTRATION_ID,
    SESSION,
    SESSION_ID,
    SITE,
    TRAINING,
    TRAINING_ID,
    console,
    manager,
    unreachable,
)

pytestmark = pytest.mark.unit

FRENCH_MANAGER = manager(locale="fr")
ENGLISH_MANAGER = manager(locale="en")


def fake_api(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == f"/api/trainings/{TRAINING_ID}":
        return httpx.Response(200, json=TRAINING)
    if path == f"/api/sessions/{SESSION_ID}":
        return httpx.Response(200, json=SESSION)
    if path == "/api/seats":
        return httpx.Response(200, json={"items": []})
    if request.method == "GET":  # every list an empty page
        return httpx.Response(200, json={"items": [], "total": 0})
    return httpx.Response(404, json={"title": "Not Found", "status": 404, "detail": "No."})


def refusing(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"title": "Unauthorized", "status": 401, "detail": "Expired."})


def next_of(answer: httpx.Response) -> str:
    assert answer.status_code == 303
    location = urlsplit(answer.headers["location"])
    assert location.path == "/sign-in"
    (next_url,) = parse_qs(location.query)["next"]
    return next_url


# --- back to a page after signing in again ----------------------------------------------------

CANCEL = f"/sessions/{SESSION_ID}/registrations/{REGISTRATION_ID}/cancel"  # a form's target only


async def test_a_token_refused_during_a_form_leads_back_to_the_page_that_sent_it() -> None:
    page = f"/sessions/{SESSION_ID}?tab=registrations"
    async with console(refusing, signed_in=FRENCH_MANAGER) as client:
        answer = await client.post(CANCEL, headers={"Origin": SITE, "Referer": SITE + page})
        assert next_of(answer) == page
        # without a Referer: the home page, since the form's target is no page
        answer = await client.post(CANCEL, headers={"Origin": SITE})
        assert next_of(answer) == "/"
        # another site's Referer is not followed
        answer = await client.post(
            CANCEL, headers={"Origin": SITE, "Referer": "https://evil.example/x"}
        )
        assert next_of(answer) == "/"
        # a form that posts to its own page: that page
        answer = await client.post(f"/trainings/{TRAINING_ID}", headers={"Origin": SITE})
        assert next_of(answer) == f"/trainings/{TRAINING_ID}"
        # a GET keeps its own address
        assert next_of(await client.get("/trainings?q=sst")) == "/trainings?q=sst"


async def test_a_form_sent_after_the_cookie_expired_leads_back_to_its_page() -> None:
    async with console(fake_api) as client:  # nobody signed in
        answer = await client.post(
            CANCEL, headers={"Origin": SITE, "Referer": f"{SITE}/sessions/{SESSION_ID}"}
        )
        assert next_of(answer) == f"/sessions/{SESSION_ID}"


# --- the console's own errors in the viewer's language ----------------------------------------


async def test_a_get_of_a_form_target_is_a_page_in_the_viewers_language() -> None:
    async with console(fake_api, signed_in=FRENCH_MANAGER) as client:
        answer = await client.get(CANCEL)
        assert answer.status_code == 405
        assert answer.headers["content-type"].startswith("text/html")
        assert "POST" in answer.headers["allow"]
        assert translate("problem.405", "fr") in answer.text
        assert '<html lang="fr">' in answer.text


async def test_the_consoles_problem_json_speaks_the_viewers_language() -> None:
    async with console(fake_api) as client:
        french = {"Accept": "application/json", "Accept-Language": "fr-FR"}
        missing = await client.get("/no/such/page", headers=french)
        assert missing.json()["detail"] == translate("problem.no_route", "fr")
        assert missing.json()["title"] == "Not Found"
        wrong = await client.get(CANCEL, headers=french)
        assert wrong.status_code == 405
        assert wrong.json()["detail"] == translate("problem.method", "fr")
        assert wrong.json()["title"] == "Method Not Allowed"
        english = await client.get(
            "/nowhere", headers={"Accept": "application/json", "Accept-Language": "en"}
        )
        assert english.json()["detail"] == "No route for this path."
        # a program that names no language reads the API's (English)
        program = await client.get("/nowhere", headers={"Accept": "application/json"})
        assert program.json()["detail"] == "No route for this path."
    async with console(fake_api, signed_in=FRENCH_MANAGER) as client:  # a French viewer's token
        signed_in = await client.get("/nowhere", headers={"Accept": "application/json"})
        assert signed_in.json()["detail"] == translate("problem.no_route", "fr")


async def test_a_cross_site_form_is_refused_in_the_viewers_language() -> None:
    async with console(fake_api, signed_in=FRENCH_MANAGER) as client:
        answer = await client.post("/sign-out", headers={"Origin": "https://evil.example"})
        assert answer.status_code == 403
        assert answer.text == translate("problem.cross_site", "fr")


async def test_an_address_the_page_cannot_read_is_said_in_the_viewers_language() -> None:
    async with console(fake_api, signed_in=FRENCH_MANAGER) as client:
        answer = await client.get("/trainings/not-a-uuid")
        assert answer.status_code == 400
        assert translate("problem.bad_query", "fr") in answer.text


async def test_an_unreachable_api_is_said_in_the_viewers_language() -> None:
    async with console(unreachable, signed_in=FRENCH_MANAGER) as client:
        answer = await client.get("/trainings")
        assert answer.status_code == 502
        said = translate("problem.unreachable", "fr", error="connection refused")
        assert said in answer.text


async def test_too_many_learners_at_once_is_said_in_the_viewers_language() -> None:
    lines = "\n".join(f"u{n}, learner-{n}@example.org, Learner {n}" for n in range(501))
    async with console(fake_api, signed_in=FRENCH_MANAGER) as client:
        answer = await client.post(
            f"/sessions/{SESSION_ID}/registrations/bulk",
            data={"lines": lines},
            headers={"Origin": SITE},
        )
        assert answer.status_code < 500
        assert translate("registrations.bulk.too_many", "fr", most=500) in answer.text


# --- signing in ------------------------------------------------------------------------------


@pytest.mark.parametrize("environment", ["staging", "production"])
async def test_a_sign_in_link_signs_nobody_in_outside_development(environment: str) -> None:
    async with console(fake_api, environment=environment) as client:
        answer = await client.get(
            "/sign-in", params={"token": ENGLISH_MANAGER, "next": "/trainings"}
        )
        assert answer.status_code == 200
        assert not answer.headers.get_list("set-cookie")
        assert translate("sign_in.link_off", "fr") in answer.text
        assert ENGLISH_MANAGER not in answer.text
        assert 'name="next" value="/trainings"' in answer.text
        # the form still signs in
        posted = await client.post("/sign-in", data={"token": ENGLISH_MANAGER})
        assert posted.status_code == 303
        assert posted.headers.get_list("set-cookie")


async def test_a_sign_in_link_signs_in_in_development() -> None:
    async with console(fake_api, environment="local") as client:
        answer = await client.get("/sign-in", params={"token": ENGLISH_MANAGER})
        assert answer.status_code == 303
        assert answer.headers.get_list("set-cookie")


@pytest.mark.parametrize("pasted", ["€", f"{ENGLISH_MANAGER}€", "jéton"])
async def test_a_token_no_header_can_carry_is_refused_with_the_form(pasted: str) -> None:
    async with console(fake_api) as client:
        answer = await client.post("/sign-in", data={"token": pasted})
        assert answer.status_code == 400
        assert translate("sign_in.not_a_token", "fr") in answer.text
        assert not answer.headers.get_list("set-cookie")
        linked = await client.get("/sign-in", params={"token": pasted})
        assert linked.status_code == 400
        assert not linked.headers.get_list("set-cookie")


async def test_a_cookie_no_header_can_carry_signs_nobody_in() -> None:
    forged = f"{ENGLISH_MANAGER}€".encode().decode("latin-1")  # the bytes a browser would send
    api_calls: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        api_calls.append(request)
        return fake_api(request)

    async with console(recording) as client:
        cookie = f"{TOKEN_COOKIE}={forged}".encode("latin-1")
        answer = await client.get("/trainings", headers={b"cookie": cookie})
        assert next_of(answer) == "/trainings"
    assert not api_calls


async def test_a_forged_idempotency_key_is_a_problem_not_a_crash() -> None:
    async with console(fake_api, signed_in=FRENCH_MANAGER) as client:
        answer = await client.post(
            f"/sessions/{SESSION_ID}/registrations/bulk",
            data={"lines": "lea, lea@example.org, Léa", "idempotency_key": "clé€"},
            headers={"Origin": SITE},
        )
        assert answer.status_code == 400
        assert translate("problem.bad_form", "fr") in answer.text


@pytest.mark.parametrize(
    ("headers", "secure"),
    [
        ({}, False),
        ({"X-Forwarded-Proto": "https"}, True),
        ({"X-Forwarded-Proto": "HTTPS, http"}, True),
        ({"X-Forwarded-Proto": "http"}, False),
    ],
)
async def test_the_cookie_is_secure_when_the_browser_came_over_https(
    headers: dict[str, str], secure: bool
) -> None:
    async with console(fake_api) as client:
        answer = await client.post("/sign-in", data={"token": ENGLISH_MANAGER}, headers=headers)
        (cookie,) = answer.headers.get_list("set-cookie")
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert ("secure" in flags) is secure
