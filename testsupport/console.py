"""The console as its tests drive it without a browser: the app in this process, calling the real
API of a running system through its gateway, with a viewer signed in by their token's cookie.

async with console_client(system.stack.gateway_url, token) as console:
    page = await console.get("/trainings")   # HTML, as the browser would get it
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from console.app import create_app
from console.deps import TOKEN_COOKIE
from console.settings import ConsoleSettings


@asynccontextmanager
async def console_client(
    gateway_url: str, token: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ConsoleSettings(CONSOLE_API_URL=gateway_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://console.test",
            headers={"Accept": "text/html"},
            cookies={TOKEN_COOKIE: token} if token else None,
        ) as client:
            yield client
