"""The reference in docs/reference/ names everything the code serves, publishes and reads.

Built from the code itself: each service's OpenAPI document (apps built as their processes build
them, nothing connected), the types of `shared/events.py`, the validation aliases of every
`ServiceSettings` and the gateway template's placeholders. And no Markdown file of the repository
links outside it.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from catalog.app import create_app as create_catalog
from catalog.settings import CatalogSettings
from notification.app import create_app as create_notification
from notification.settings import NotificationSettings
from registration.app import create_app as create_registration
from registration.settings import RegistrationSettings

from devstack.defaults import GATEWAY_RATE_DEFAULTS
from shared import events
from shared.settings import ServiceSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
METHODS = ("get", "put", "post", "patch", "delete")
# `GET /api/seats?session_id=...`: a method and a path in a code span, the query left out
OPERATION = re.compile(r"`(GET|PUT|POST|PATCH|DELETE) (/[^`?\s]*)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
NOT_OURS = {".git", ".venv", ".tools", "node_modules"}


def _page(name: str) -> str:
    return (REFERENCE / name).read_text(encoding="utf-8")


def _served() -> set[tuple[str, str]]:
    secret = "reference-secret-0123456789-abcdefgh"
    apps = (
        create_catalog(CatalogSettings(jwt_secret=secret, environment="local")),
        create_registration(RegistrationSettings(jwt_secret=secret, environment="local")),
        create_notification(NotificationSettings(jwt_secret=secret, environment="local")),
    )
    return {
        (method.upper(), path)
        for app in apps
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in METHODS
    }


def _documented() -> set[tuple[str, str]]:
    return {(method, path) for method, path in OPERATION.findall(_page("http.md"))}


def test_every_operation_of_every_openapi_document_is_in_the_http_reference() -> None:
    missing = sorted(_served() - _documented())
    assert not missing, f"docs/reference/http.md does not describe {missing}"


def test_the_http_reference_describes_no_api_operation_that_is_not_served() -> None:
    stale = sorted(op for op in _documented() - _served() if op[1].startswith("/api/"))
    assert not stale, f"docs/reference/http.md describes operations no service serves: {stale}"


def _event_types() -> set[str]:
    families = (
        events.TRAINING_EVENTS,
        events.SESSION_EVENTS,
        events.EVENT_EVENTS,
        events.CURRICULUM_EVENTS,
        events.REGISTRATION_EVENTS,
        events.EVENT_REGISTRATION_EVENTS,
    )
    commands = {events.SEND_CONFIRMATION, events.REGISTER}
    return set(events.DATA_MODELS) | {type_ for family in families for type_ in family} | commands


def test_every_event_and_command_type_is_in_the_events_reference() -> None:
    documented = set(CODE_SPAN.findall(_page("events.md")))
    missing = sorted(_event_types() - documented)
    assert not missing, f"docs/reference/events.md does not describe {missing}"


def _settings_classes(cls: type[ServiceSettings]) -> Iterator[type[ServiceSettings]]:
    yield cls
    for subclass in cls.__subclasses__():
        yield from _settings_classes(subclass)


def _variables_read() -> set[str]:
    # the three services' settings are imported above, so they are among the subclasses
    read = {
        field.validation_alias
        for cls in _settings_classes(ServiceSettings)
        for field in cls.model_fields.values()
        if isinstance(field.validation_alias, str)
    }
    template = (ROOT / "deploy" / "gateway" / "gateway.conf.template").read_text(encoding="utf-8")
    return read | set(GATEWAY_RATE_DEFAULTS) | set(re.findall(r"\$\{([A-Z0-9_]+)\}", template))


def test_the_services_read_the_variables_this_test_looks_for() -> None:
    assert {CatalogSettings, RegistrationSettings, NotificationSettings} <= set(
        _settings_classes(ServiceSettings)
    )
    assert {"JWT_SECRET", "CATALOG_DATABASE_URL", "NOTIFICATION_MAIL_FROM"} <= _variables_read()


def test_every_variable_read_is_in_the_configuration_reference() -> None:
    page = _page("configuration.md")
    documented = {word for span in CODE_SPAN.findall(page) for word in re.split(r"[\s,]+", span)}
    missing = sorted(_variables_read() - documented)
    assert not missing, f"docs/reference/configuration.md does not describe {missing}"


def _markdown_files() -> Iterator[Path]:
    for path in ROOT.rglob("*.md"):
        if not NOT_OURS.intersection(path.relative_to(ROOT).parts):
            yield path


def test_no_markdown_file_links_outside_the_repository() -> None:
    outside = []
    for path in _markdown_files():
        for target in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target):  # a URL, mailto:, or this page
                continue
            resolved = (path.parent / target.split("#")[0]).resolve()
            if not resolved.is_relative_to(ROOT):
                outside.append(f"{path.relative_to(ROOT)}: {target}")
    assert not outside, f"links outside the repository: {outside}"


def test_the_reference_pages_link_to_files_that_exist() -> None:
    broken = []
    for path in REFERENCE.glob("*.md"):
        for target in MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
            if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target):
                continue
            if not (path.parent / target.split("#")[0]).exists():
                broken.append(f"{path.name}: {target}")
    assert not broken, f"broken links: {broken}"


def _our_text_files() -> Iterator[Path]:
    suffixes = {".py", ".md", ".yaml", ".yml", ".toml", ".template", ".json"}
    names = {"Dockerfile", "Makefile", ".env.example"}
    for directory, subdirectories, files in os.walk(ROOT):
        # hidden directories are tools' and runs' (.venv, .run, .git, caches), not the project's
        subdirectories[:] = [
            name for name in subdirectories if name not in NOT_OURS and not name.startswith(".")
        ]
        for name in files:
            if Path(name).suffix in suffixes or name in names:
                yield Path(directory) / name


def test_nothing_cites_the_contract_outside_the_repository() -> None:
    citing = [
        str(path.relative_to(ROOT))
        for path in _our_text_files()
        if "CONTRACT §" in path.read_text(encoding="utf-8", errors="replace")
        and path != Path(__file__).resolve()
    ]
    assert not citing, f"cite docs/reference/ instead of CONTRACT §: {citing}"
