"""The console app in this process over a fake API (`create_app(..., transport=MockTransport)`):
signing in and out, where `next` may lead, a refused token, cross-site forms, the not-found
answers, and odd query values that never make it answer 5xx."""

from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from console.deps import TOKEN_COOKIE
from console.texts import translate

from .fakes import SITE, console, manager, problem, token, unreachable

pytestmark = pytest.mark.unit

MANAGER = manager(name="Marie Curie")


class FakeApi:
    """Answers every list the pages ask for with an empty page, and refuses, as the API does, a
    `limit` or `offset` out of its bounds (so a page that passes one on is seen)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = request.url.params
        limit, offset = query.get("limit", "1"), query.get("offset", "0")
        if not (limit.isdigit() and 1 <= int(limit) <= 500) or not (
            offset.isdigit() and int(offset) <= 1_000_000
        ):
            return problem(422, "limit or offset out of bounds")
        path = request.url.path
        if path == "/api/inbox":
            return httpx.Response(200, json={"items": [], "total": 0, "unread": 0})
        if path == "/api/seats":
            return httpx.Response(200, json={"items": []})
        if path == "/api/calendar":
            return httpx.Response(200, json={"url": "http://gw.test/calendar/s.ics"})
        if path == "/api/preferences":
            prefs = {"reminders": True, "messages": True, "changes": True}
            return httpx.Response(200, json={"email": prefs})
        if path.count("/") == 2:  # a list: /api/<things>
            return httpx.Response(200, json={"items": [], "total": 0})
        return problem(404, "No such thing")


def cookie_of(response: httpx.Response) -> tuple[str, dict[str, str]]:
    (header,) = response.headers.get_list("set-cookie")
    name_value, *attributes = (part.strip() for part in header.split(";"))
    name, _, value = name_value.partition("=")
    assert name == TOKEN_COOKIE
    flags = {}
    for attribute in attributes:
        key, _, flag_value = attribute.partition("=")
        flags[key.lower()] = flag_value
    return value, flags


def where_a_browser_goes(location: str) -> str:
    """The host a browser reaches following `location` from the console (a browser drops tabs and
    newlines, and reads a backslash as a slash)."""
    cleaned = location.replace("\\", "/")
    for character in "\t\n\r":
        cleaned = cleaned.replace(character, "")
    return urlsplit(urljoin(SITE + "/sign-in", cleaned)).netloc


# --- signing in -------------------------------------------------------------------------------


async def test_signing_in_keeps_the_token_in_an_httponly_lax_browser_session_cookie() -> None:
    async with console(FakeApi()) as client:
        answer = await client.post(
            "/sign-in", data={"token": f"  {MANAGER}\n", "next": "/sessions?status=scheduled"}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sessions?status=scheduled"
        value, flags = cookie_of(answer)
        assert value == MANAGER  # without the spaces pasted around it
        assert "httponly" in flags
        assert flags["samesite"].lower() == "lax"
        assert flags["path"] == "/"
        assert "max-age" not in flags
        assert "expires" not in flags
        assert "secure" not in flags  # plain http here; set over https

        client.cookies.set(TOKEN_COOKIE, value)
        home = await client.get("/")
        assert home.status_code == 200
        assert "Signed in as Marie Curie" in home.text
        assert '<html lang="en">' in home.text


async def test_the_sign_in_link_signs_in_and_drops_the_token_from_the_address() -> None:
    async with console(FakeApi()) as client:
        answer = await client.get("/sign-in", params={"token": MANAGER, "next": "/trainings"})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/trainings"
        assert cookie_of(answer)[0] == MANAGER


async def test_a_sign_in_link_with_an_expired_token_is_refused() -> None:
    expired = token("marie", expires_in=-60)
    async with console(FakeApi()) as client:
        answer = await client.get("/sign-in", params={"token": expired})
        assert answer.status_code == 400
        assert not answer.headers.get_list("set-cookie")
        assert translate("sign_in.unreadable", "fr") in answer.text
        assert expired not in answer.text  # not written back into the page

        pasted = await client.post(
            "/sign-in", data={"token": expired}, headers={"Accept-Language": "en"}
        )
        assert pasted.status_code == 400
        assert not pasted.headers.get_list("set-cookie")
        assert translate("sign_in.unreadable", "en") in pasted.text

        garbage = await client.post("/sign-in", data={"token": "not a token"})
        assert garbage.status_code == 400
        assert not garbage.headers.get_list("set-cookie")


async def test_an_expired_cookie_is_nobody_signed_in() -> None:
    async with console(FakeApi(), signed_in=token("marie", expires_in=-1)) as client:
        answer = await client.get("/trainings")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in?next=%2Ftrainings"


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example/phish",
        "https://evil.example/phish",
        "http:evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
async def test_next_never_leaves_the_site(next_url: str) -> None:
    async with console(FakeApi()) as client:
        posted = await client.post("/sign-in", data={"token": MANAGER, "next": next_url})
        linked = await client.get("/sign-in", params={"token": MANAGER, "next": next_url})
        for answer in (posted, linked):
            assert answer.status_code == 303
            assert where_a_browser_goes(answer.headers["location"]) == "console.test"

        form = await client.get("/sign-in", params={"next": next_url})
        assert form.status_code == 200
        assert 'name="next" value="/"' in form.text


async def test_a_page_sends_whoever_is_not_signed_in_to_sign_in_and_back() -> None:
    async with console(FakeApi()) as client:
        answer = await client.get("/sessions", params={"status": "scheduled"})
        assert answer.status_code == 303
        location = urlsplit(answer.headers["location"])
        assert location.path == "/sign-in"
        assert parse_qs(location.query) == {"next": ["/sessions?status=scheduled"]}

        form = await client.get(answer.headers["location"])
        assert 'name="next" value="/sessions?status=scheduled"' in form.text


async def test_a_401_from_the_api_signs_out_and_sends_to_sign_in() -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        return problem(401, "The token has expired.")

    async with console(refusing, signed_in=MANAGER) as client:
        answer = await client.get("/trainings", params={"q": "sec"})
        assert answer.status_code == 303
        location = urlsplit(answer.headers["location"])
        assert location.path == "/sign-in"
        assert parse_qs(location.query) == {"next": ["/trainings?q=sec"], "ended": ["1"]}
        value, flags = cookie_of(answer)
        assert value in ("", '""')
        assert flags["max-age"] == "0"  # the browser forgets the refused token

        client.cookies.clear()
        form = await client.get(answer.headers["location"])
        assert form.status_code == 200
        assert translate("sign_in.refused", "fr") in form.text


async def test_the_api_gets_the_viewers_token() -> None:
    api = FakeApi()
    async with console(api, signed_in=MANAGER) as client:
        assert (await client.get("/trainings")).status_code == 200
    assert api.requests
    assert {request.headers["authorization"] for request in api.requests} == {f"Bearer {MANAGER}"}


async def test_signing_out_forgets_the_token() -> None:
    async with console(FakeApi(), signed_in=MANAGER) as client:
        answer = await client.post("/sign-out", headers={"Origin": SITE})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/sign-in"
        assert cookie_of(answer)[1]["max-age"] == "0"


# --- forms from another site ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/form.html"},
        {"Origin": "http://console.test.evil.example"},
    ],
)
async def test_a_cross_site_post_is_refused(headers: dict[str, str]) -> None:
    api = FakeApi()
    async with console(api, signed_in=MANAGER) as client:
        for path in ("/sign-out", "/trainings", "/sign-in"):
            answer = await client.post(path, data={"token": MANAGER, "code": "X"}, headers=headers)
            assert answer.status_code == 403
            assert not answer.headers.get_list("set-cookie")
    assert not api.requests  # refused before any route


async def test_a_same_site_post_goes_through_whatever_the_port() -> None:
    async with console(FakeApi()) as client:
        for origin in (SITE, "http://console.test:8080"):
            answer = await client.post(
                "/sign-in", data={"token": MANAGER}, headers={"Origin": origin}
            )
            assert answer.status_code == 303


# --- not found, security headers --------------------------------------------------------------


async def test_an_unknown_path_is_a_problem_for_programs() -> None:
    async with console(FakeApi()) as client:
        for accept in ("application/json", "*/*", ""):
            answer = await client.get("/no/such/page", headers={"Accept": accept})
            assert answer.status_code == 404
            assert answer.headers["content-type"] == "application/problem+json"
            body = answer.json()
            assert body["status"] == 404
            assert body["title"] == "Not Found"


async def test_an_unknown_path_is_a_page_for_browsers() -> None:
    async with console(FakeApi(), signed_in=MANAGER) as client:
        answer = await client.get("/no/such/page")
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "<h1>Page not found</h1>" in answer.text
    async with console(FakeApi()) as client:  # nobody signed in: in French by default
        answer = await client.get("/no/such/page")
        assert answer.status_code == 404
        assert "<h1>Page introuvable</h1>" in answer.text


async def test_every_answer_carries_the_security_headers() -> None:
    async with console(FakeApi()) as client:
        for answer in (
            await client.get("/sign-in"),
            await client.get("/nowhere"),
            await client.get("/static/console.css"),
            await client.post("/sign-out", headers={"Origin": "https://evil.example"}),
        ):
            csp = answer.headers["content-security-policy"]
            assert "script-src 'none'" in csp
            assert "frame-ancestors 'none'" in csp
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert answer.headers["referrer-policy"] == "same-origin"


async def test_pages_hold_no_script_and_no_inline_style() -> None:
    async with console(FakeApi(), signed_in=MANAGER) as client:
        for path in ("/", "/sign-in", "/trainings", "/sessions", "/catalog", "/nowhere"):
            page = (await client.get(path)).text.lower()
            assert "<script" not in page
            assert " style=" not in page
            assert "<style" not in page


# --- odd query values -------------------------------------------------------------------------

LIST_PAGES = (
    "/trainings",
    "/sessions",
    "/catalog",
    "/my/registrations",
    "/curricula",
    "/inbox",
    "/deliveries",
    "/account",
    "/",
)
ODD_VALUES = (
    "",
    "-1",
    "²",
    "9" * 5000,
    "1e999",
    "NaN",
    "\x00",
    "%",
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    "é" * 300,
    "'; DROP TABLE trainings; --",
    "../../api/deliveries",
    "<script>alert(1)</script>",
    "2027-02-30",
    "00000000-0000-0000-0000-000000000000",
)
ODD_NAMES = (
    "offset",
    "sort",
    "order",
    "q",
    "status",
    "training_id",
    "starts_after",
    "starts_before",
    "unread",
    "kind",
    "parent_id",
    "done",
    "open",
)


@pytest.mark.parametrize("value", ODD_VALUES)
async def test_an_odd_query_value_never_answers_5xx(value: str) -> None:
    admin = token("root", roles=["platform_admin"], locale="en")
    async with console(FakeApi(), signed_in=admin) as client:
        for path in LIST_PAGES:
            for name in ODD_NAMES:
                answer = await client.get(path, params={name: value})
                assert answer.status_code < 500, (path, name, answer.status_code)
                assert "<script>alert" not in answer.text


@pytest.mark.parametrize(
    "query",
    [
        {"registration": "not-a-uuid", "token": "x"},
        {"registration": "00000000-0000-0000-0000-000000000000", "token": "\x00"},
        {"registration": "", "token": ""},
        {"token": "a" * 5000},
        {"registration": "00000000-0000-0000-0000-000000000000", "answer": "maybe"},
        {},
    ],
)
async def test_an_odd_emailed_link_never_answers_5xx(query: dict[str, str]) -> None:
    async with console(FakeApi(), signed_in=token("lea")) as client:
        for path in ("/confirm", "/offer"):
            answer = await client.get(path, params=query)
            assert answer.status_code < 500, (path, answer.status_code)


async def test_the_api_never_gets_a_page_out_of_its_bounds() -> None:
    api = FakeApi()
    async with console(api, signed_in=MANAGER) as client:
        for offset in ("-1", "²", "9" * 5000, "1000001"):
            for path in ("/trainings", "/sessions"):
                assert (await client.get(path, params={"offset": offset})).status_code == 200
    assert {request.url.params.get("offset") for request in api.requests} <= {"0", "1000000", None}


async def test_an_unreachable_api_is_said_in_words() -> None:
    async with console(unreachable, signed_in=MANAGER) as client:
        answer = await client.get("/trainings")
        assert answer.status_code == 502
        assert "The service is unavailable for a moment" in answer.text
