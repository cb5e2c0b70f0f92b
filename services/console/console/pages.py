"""Rendering a page: the templates, the viewer's language, and what every page shows.

`render(request, "trainings/list.html", trainings=...)` answers the HTML page; the template
gets `t` (the viewer's texts), `viewer`, `may` (console.abilities), `locale`, the formatting
filters (`day`, `moment`, `period`, `hours`), `notice` (the text of a `?done=` key, shown once
after an action) and `url(...)` (this page's URL with other query values: sorting, paging).
"""

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from console import abilities
from console.api import ApiProblem
from console.deps import current_viewer
from console.texts import TEXTS, translate
from console.viewer import LOCALES, Locale, Viewer
from shared import locales

templates = Environment(
    loader=PackageLoader("console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def locale_of(request: Request, viewer: Viewer | None) -> Locale:
    """The viewer's `locale`; before sign-in, the browser's first language we speak (fr else)."""
    if viewer is not None:
        return viewer.locale
    for part in request.headers.get("accept-language", "").split(","):
        language = part.split(";")[0].strip().lower()[:2]
        if language in LOCALES:
            return language
    return "fr"


def _parse_moment(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value)


def _parse_day(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value[:10])


def formatters(locale: Locale) -> dict[str, Callable[..., str]]:
    """The API's ISO strings as the viewer reads them (shared.locales spells them)."""
    return {
        "day": lambda value: locales.format_day(_parse_day(value), locale),
        "moment": lambda value: locales.format_moment(_parse_moment(value), locale),
        "span": lambda start, end: locales.format_span(
            datetime.fromisoformat(start), datetime.fromisoformat(end), locale
        ),
        "period": lambda start, end: locales.format_period(
            date.fromisoformat(start), date.fromisoformat(end), locale
        ),
        "hours": lambda value: locales.format_hours(float(value), locale),
    }


def url_with(request: Request, **values: object) -> str:
    """This page's URL with `values` replacing its query's (None removes one)."""
    query: dict[str, object] = dict(request.query_params)
    query.pop("done", None)
    for key, value in values.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return request.url.path + (f"?{urlencode(query, doseq=True)}" if query else "")


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    problem: ApiProblem | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    viewer = current_viewer(request)
    locale = locale_of(request, viewer)
    done = request.query_params.get("done", "")
    notice_key = f"done.{done}"
    page = templates.get_template(template).render(
        request=request,
        viewer=viewer,
        locale=locale,
        t=_translator(locale),
        has_text=TEXTS.__contains__,
        may=abilities,
        notice=translate(notice_key, locale) if done and notice_key in TEXTS else None,
        problem=problem,
        url=partial(url_with, request),
        **formatters(locale),
        **context,
    )
    if problem is not None and status == 200:
        status = problem.status if 400 <= problem.status < 500 else 502
    return HTMLResponse(page, status_code=status, headers=headers)


def _translator(locale: Locale) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        return translate(key, locale, **values)

    return t
