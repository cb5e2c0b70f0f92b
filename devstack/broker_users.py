"""Each service its own RabbitMQ user (docs/reference/events.md, Sources).

The users, permissions and topic permissions are those of deploy/rabbitmq/definitions.json, the
one source of truth: the stack renames each user for its run (`training-catalog@<vhost>:<gateway
port>`: RabbitMQ users are global, and several stacks share a broker), moves the permissions to
its vhost, gives each a generated password and imports them with `rabbitmqctl`. It can only do
so where it administers the broker; otherwise every service connects as the `AMQP_URL` user.
"""

import asyncio
import base64
import hashlib
import json
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import aio_pika

DEFINITIONS = Path("deploy/rabbitmq/definitions.json")
SUBSCRIBER_TEMPLATE = Path("deploy/rabbitmq/subscriber.template.json")
SHIPPED_VHOST = "training"
SERVICE_USER_PREFIX = "training-"
RABBITMQCTL_TIMEOUT_S = 60.0
LOGIN_TIMEOUT_S = 10.0

Definitions = dict[str, Any]
_SUBSCRIBER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class BrokerAdminError(RuntimeError):
    """The broker could not be administered from here; the message says why."""


@dataclass(frozen=True)
class BrokerAccount:
    name: str
    password: str


def load_definitions(root: Path, path: Path = DEFINITIONS) -> Definitions:
    definitions: Definitions = json.loads((root / path).read_text())
    return definitions


def subscriber_definitions(
    template: Definitions, name: str, vhost: str = SHIPPED_VHOST
) -> Definitions:
    """The subscriber template for subscriber `name` (queues `subscriber.<name>.…`) in `vhost`;
    its user has no password until one is set (`rabbitmqctl change_password`)."""
    if not _SUBSCRIBER_NAME.match(name):
        raise ValueError(f"subscriber name {name!r}: lowercase letters, digits and '-' only")
    rendered: Definitions = json.loads(json.dumps(template).replace("{name}", name))
    for part in ("permissions", "topic_permissions"):
        for entry in rendered.get(part, []):
            entry["vhost"] = vhost
    return rendered


def shipped_user(role: str) -> str:
    """The definitions' name of a service's (or the platform's) user: `training-<role>`."""
    return f"{SERVICE_USER_PREFIX}{role}"


def in_vhost(
    shipped: Definitions, vhost: str, accounts: Mapping[str, BrokerAccount]
) -> Definitions:
    """The users of `shipped` named in `accounts` (by their shipped name), renamed, with the hash
    of their password and their permissions and topic permissions in `vhost`."""

    def renamed(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**entry, "user": accounts[entry["user"]].name, "vhost": vhost}
            for entry in entries
            if entry["user"] in accounts
        ]

    return {
        "users": [
            {
                **user,
                "name": accounts[user["name"]].name,
                "password_hash": password_hash(accounts[user["name"]].password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
            }
            for user in shipped.get("users", [])
            if user["name"] in accounts
        ],
        "permissions": renamed(shipped.get("permissions", [])),
        "topic_permissions": renamed(shipped.get("topic_permissions", [])),
    }


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's `rabbit_password_hashing_sha256`: base64(salt + sha256(salt + password))."""
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def vhost_of(amqp_url: str) -> str:
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def amqp_url_as(amqp_url: str, account: BrokerAccount) -> str:
    """`amqp_url` (same host, port, vhost and options) logging in as `account`."""
    parts = urlsplit(amqp_url)
    host = parts.hostname or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    credentials = f"{quote(account.name, safe='')}:{quote(account.password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}{port}"))


async def import_definitions(definitions: Definitions) -> None:
    await _rabbitmqctl("import_definitions", stdin=json.dumps(definitions).encode())


async def delete_users(names: Iterable[str]) -> None:
    """Delete each user (concurrently: every rabbitmqctl call costs a second of start-up)."""
    results = await asyncio.gather(
        *(_rabbitmqctl("delete_user", name) for name in names), return_exceptions=True
    )
    failed = [str(result) for result in results if isinstance(result, BaseException)]
    if failed:
        raise BrokerAdminError("; ".join(failed))


async def can_log_in(amqp_url: str) -> bool:
    try:
        connection = await aio_pika.connect(amqp_url, timeout=LOGIN_TIMEOUT_S)
    except Exception:
        return False
    await connection.close()
    return True


async def _rabbitmqctl(*args: str, stdin: bytes | None = None) -> None:
    if shutil.which("rabbitmqctl") is None:
        raise BrokerAdminError("rabbitmqctl is not on PATH")
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "-q",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(RABBITMQCTL_TIMEOUT_S):
            output, _ = await process.communicate(stdin)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise BrokerAdminError(f"rabbitmqctl {args[0]} timed out") from None
    if process.returncode != 0:
        first_line = next(iter(output.decode(errors="replace").strip().splitlines()), "")
        raise BrokerAdminError(f"rabbitmqctl {args[0]}: {first_line or process.returncode}")


@dataclass
class ServiceUsers:
    """The broker users of a stack's services for one run: made by `set_up` (where the stack
    can administer the broker), deleted by `remove`."""

    amqp_url: str
    accounts: dict[str, BrokerAccount]
    """By service; named before they are made, so that a start cut short deletes them too."""
    ready: bool = False

    @classmethod
    def for_run(cls, amqp_url: str, services: Iterable[str], run: str) -> Self:
        vhost = vhost_of(amqp_url)
        return cls(
            amqp_url,
            {
                service: BrokerAccount(
                    f"{shipped_user(service)}@{vhost}:{run}", secrets.token_urlsafe(24)
                )
                for service in services
            },
        )

    @property
    def amqp_urls(self) -> dict[str, str]:
        """Each service's URL with its own user, once they are made."""
        if not self.ready:
            return {}
        return {s: amqp_url_as(self.amqp_url, a) for s, a in self.accounts.items()}

    async def set_up(self, root: Path, say: Callable[[str], None]) -> None:
        """Make the users; where that fails, say why in one line (the services then all use
        `amqp_url`'s user)."""
        if not self.accounts:
            return
        shipped = {shipped_user(s): account for s, account in self.accounts.items()}
        try:
            await import_definitions(
                in_vhost(load_definitions(root), vhost_of(self.amqp_url), shipped)
            )
            if not await can_log_in(amqp_url_as(self.amqp_url, next(iter(shipped.values())))):
                raise BrokerAdminError("the users made with rabbitmqctl cannot log in at AMQP_URL")
        except (BrokerAdminError, OSError) as error:
            with suppress(BrokerAdminError):  # a user the import never made cannot be deleted
                await self.remove()
            say(f"cannot set up a RabbitMQ user per service ({error}): all use AMQP_URL's user")
            return
        self.ready = True
        names = ", ".join(account.name for account in self.accounts.values())
        say(f"each service connects as its own RabbitMQ user ({names})")

    async def remove(self) -> None:
        accounts, self.accounts, self.ready = self.accounts, {}, False
        if accounts:
            await delete_users(account.name for account in accounts.values())
