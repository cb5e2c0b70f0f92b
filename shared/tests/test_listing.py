from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from shared.listing import Listing, list_params
from shared.problems import install_problem_handlers

pytestmark = pytest.mark.unit

TitleList = Annotated[Listing, Depends(list_params("title", "created_at"))]


def _client() -> httpx.AsyncClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/things")
    async def things(listing: TitleList) -> dict[str, Any]:
        return {
            "limit": listing.limit,
            "offset": listing.offset,
            "sort": listing.sort,
            "order": listing.order,
        }

    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def test_defaults_follow_the_contract() -> None:
    assert (await _client().get("/things")).json() == {
        "limit": 50,
        "offset": 0,
        "sort": "created_at",
        "order": "asc",
    }


async def test_a_whitelisted_sort_is_taken() -> None:
    got = (await _client().get("/things?sort=title&order=desc&limit=500&offset=3")).json()
    assert got == {"limit": 500, "offset": 3, "sort": "title", "order": "desc"}


@pytest.mark.parametrize(
    "query",
    [
        "sort=password",
        "sort=title;drop table x",
        "order=sideways",
        "limit=0",
        "limit=501",
        "offset=-1",
        "limit=abc",
    ],
)
async def test_anything_else_is_a_422_problem(query: str) -> None:
    response = await _client().get(f"/things?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"][0] == "query"


def test_the_default_must_be_sortable() -> None:
    with pytest.raises(ValueError, match="default sort"):
        list_params("title", default="created_at")
