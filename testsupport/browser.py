"""The console in a real browser: Debian's Chromium driven by Playwright (pointed at
/usr/bin/chromium: no browser download; `make browser` installs it when missing), and axe-core
(`make browser` puts it in tools/browser/) to check a page's accessibility.

async with chromium() as browser:
    page = await (await browser.new_context(locale="fr-FR")).new_page()
    await page.goto(url)
    await axe_check(page)          # fails on any serious or critical violation
    await screenshot(page, "x")   # docs/console/x.png, only when CONSOLE_SCREENSHOTS=1
"""

import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE_CORE = ROOT / "tools" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "console"
BLOCKING_IMPACTS = ("serious", "critical")


class BrowserMissing(AssertionError):
    """Chromium or axe-core is not installed: `make browser` installs both."""


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless (no sandbox: the tests may run as root in a container)."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once, before anything runs
        raise BrowserMissing(
            f"{CHROMIUM} is missing: `make browser` installs Debian's chromium "
            "(apt-get install chromium); the tests never download a browser"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            await browser.close()


@cache
def axe_source() -> str:
    path = Path(os.environ.get("AXE_CORE_PATH", AXE_CORE))
    if not path.exists():
        raise BrowserMissing(f"{path} is missing: `make browser` installs axe-core from npm")
    return path.read_text()


async def axe_violations(page: Page, impacts: Iterable[str] = BLOCKING_IMPACTS) -> list[Any]:
    """axe-core's violations of the page as it is now, those of `impacts` only. The script is
    evaluated through the DevTools protocol, which the page's CSP (no script at all) does not
    govern: the page itself stays as the console serves it."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source())
    result = await page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations'], "
        "runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', "
        "'best-practice']}})"
    )
    wanted = set(impacts)
    return [violation for violation in result["violations"] if violation["impact"] in wanted]


def describe(violations: list[Any]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"][:5]:
            lines.append(f"  at {' '.join(node['target'])}: {node['html'][:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"    {summary[:300]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"  ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


async def axe_check(page: Page, *, what: str = "") -> None:
    """Fail on any serious or critical accessibility violation, listing them readably."""
    violations = await axe_violations(page)
    if violations:
        where = what or page.url
        raise AssertionError(
            f"axe-core finds {len(violations)} serious or critical violation(s) on {where}:\n"
            + describe(violations)
        )


def screenshots_wanted() -> bool:
    return os.environ.get("CONSOLE_SCREENSHOTS") == "1"


async def screenshot(page: Page, name: str) -> None:
    """docs/console/<name>.png, the whole page, when CONSOLE_SCREENSHOTS=1 (never otherwise:
    the normal runs leave the docs alone)."""
    if screenshots_wanted():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
