"""A real SMTP server for tests (aiosmtpd), and the emails it received, parsed."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from testsupport.system import free_port
from testsupport.waiting import eventually


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> EmailMessage | None:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return part  # type: ignore[return-value]
        return None

    def raw(self, content_type: str) -> str:
        """The part as sent, line endings included (get_content normalises them)."""
        part = self.part(content_type)
        if part is None:
            return ""
        payload: Any = part.get_payload(decode=True)
        return bytes(payload).decode(part.get_content_charset() or "utf-8")

    def text(self, content_type: str = "text/plain") -> str:
        part = self.part(content_type)
        if part is None:
            return ""
        content: Any = part.get_content()
        return content.decode() if isinstance(content, bytes) else str(content)


class _Collect:
    def __init__(self, received: list[Mail]) -> None:
        self._received = received

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        message: Any = message_from_bytes(envelope.content, policy=default)
        self._received.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@dataclass
class MailServer:
    """aiosmtpd on a fixed local port: stop it for an outage, start it again on the same port."""

    port: int = field(default_factory=free_port)
    received: list[Mail] = field(default_factory=list)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(_Collect(self.received), hostname="127.0.0.1", port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def matching(self, match: Callable[[Mail], bool]) -> list[Mail]:
        return [mail for mail in list(self.received) if match(mail)]

    async def wait_for(
        self, match: Callable[[Mail], bool], *, within: float = 20, what: str = "an email"
    ) -> Mail:
        async def found() -> Mail | None:
            return next(iter(self.matching(match)), None)

        return await eventually(found, within=within, what=what)

    def to(self, address: str) -> list[Mail]:
        return self.matching(lambda mail: address in mail.rcpt_tos)
