"""A list page's sorting and paging read leniently from its query: a wrong value is the default."""

import pytest
from console.listing import MAX_OFFSET, ListQuery
from starlette.requests import Request

pytestmark = pytest.mark.unit


def request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/x", "query_string": query.encode()})


def read(query: str) -> ListQuery:
    return ListQuery.of(request(query), ("title", "start_date"), "start_date")


def test_the_defaults() -> None:
    assert read("").params() == {"sort": "start_date", "order": "asc", "limit": 25, "offset": 0}
    assert ListQuery.of(request(""), ("title",), "title", "desc").order == "desc"


def test_what_the_viewer_asked_for() -> None:
    assert read("sort=title&order=desc&offset=50").params() == {
        "sort": "title",
        "order": "desc",
        "limit": 25,
        "offset": 50,
    }


@pytest.mark.parametrize(
    "query",
    ["sort=password", "sort=", "sort=%00", "order=sideways", "order=DESC", "sort=title%20"],
)
def test_an_unknown_sort_or_order_is_the_default(query: str) -> None:
    listed = read(query)
    assert (listed.sort, listed.order) == ("start_date", "asc")


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        ("-1", 0),
        ("abc", 0),
        ("1.5", 0),
        ("%C2%B2", 0),  # "²" is a digit to str.isdigit, not to int
        ("%D9%A3", 0),  # an Arabic-Indic three: ASCII digits only
        ("", 0),
        ("0007", 7),
        ("1000000", MAX_OFFSET),
        ("1000001", MAX_OFFSET),
        ("9" * 5000, MAX_OFFSET),  # more digits than int() converts
        ("0" * 5000 + "3", 3),
    ],
)
def test_an_odd_offset_is_a_page_the_api_accepts(raw: str, offset: int) -> None:
    assert read(f"offset={raw}").offset == offset
