"""The public HTTP API, as the console calls it: through the gateway, with the viewer's token.

Each call answers the decoded JSON body, or raises `ApiProblem` with the problem+json the API
answered (RFC 9457), so that a page can say in words what went wrong. A 401 raises `SignedOut`:
the token was refused, the viewer must sign in again.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from console.texts import translate
from console.viewer import Locale

Params = Mapping[str, str | int | Sequence[str]]


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str, ...]
    msg: str

    @property
    def field(self) -> str:
        """The name of the input it is about: the last part of `loc` that is a name."""
        where = self.loc[1:] if self.loc[:1] in (("body",), ("query",), ("path",)) else self.loc
        names = [part for part in where if not part.isdigit()]
        return names[-1] if names else ""


@dataclass
class ApiProblem(Exception):
    status: int
    title: str
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    conflicting_id: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"


class SignedOut(Exception):
    """The API refused the token (401): nobody is signed in any more."""


class Api:
    """One viewer's calls. `token` None calls without a token (the API then answers 401);
    `locale` is the language of the problems the console itself tells (the API unreachable)."""

    def __init__(
        self, client: httpx.AsyncClient, token: str | None, *, locale: Locale = "fr"
    ) -> None:
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._locale = locale

    async def get(self, path: str, params: Params | None = None) -> Any:
        return _body(await self._send("GET", path, params=params))

    async def post(self, path: str, body: object = None, *, idempotency_key: str = "") -> Any:
        if not _header_safe(idempotency_key):  # a form's hidden value, sent back by anyone
            raise ApiProblem(400, "Bad Request", translate("problem.bad_form", self._locale))
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return _body(await self._send("POST", path, body=body, headers=headers))

    async def patch(self, path: str, body: object) -> Any:
        return _body(await self._send("PATCH", path, body=body))

    async def put(self, path: str, body: object) -> Any:
        return _body(await self._send("PUT", path, body=body))

    async def delete(self, path: str) -> None:
        await self._send("DELETE", path)

    async def download(self, path: str, params: Params | None = None) -> httpx.Response:
        """A CSV or PDF, as the API answered it (the page passes it on)."""
        return await self._send("GET", path, params=params)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        request_headers = {**self._headers, **(headers or {})}
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            request_headers["Content-Type"] = "application/json"
        try:
            response = await self._client.request(
                method, path, params=params, content=content, headers=request_headers
            )
        except httpx.HTTPError as error:
            detail = translate("problem.unreachable", self._locale, error=error)
            raise ApiProblem(503, "Service Unavailable", detail) from error
        if response.status_code == 401:
            raise SignedOut
        if response.status_code >= 400:
            raise problem_of(response)
        return response


def _header_safe(value: str) -> bool:
    """A value that can go into a request header as is: visible ASCII (and spaces) only."""
    return all(" " <= character <= "~" for character in value)


def _body(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def problem_of(response: httpx.Response) -> ApiProblem:
    """The problem+json of an error answer; a plain one from its status when it has none."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return ApiProblem(response.status_code, response.reason_phrase or "Error")
    errors = [
        FieldError(tuple(str(part) for part in item.get("loc", [])), str(item.get("msg", "")))
        for item in body.get("errors", [])
        if isinstance(item, dict)
    ]
    conflicting = next(
        (str(v) for k, v in body.items() if k.endswith("_id") or k == "id"),
        None,
    )
    return ApiProblem(
        status=response.status_code,
        title=str(body.get("title") or response.reason_phrase or "Error"),
        detail=str(body.get("detail") or ""),
        errors=errors,
        conflicting_id=conflicting,
    )
