"""A real SMTP server for tests (aiosmtpd), and the emails it received, parsed."""

import asyncio
import threading
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
                return part
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


class _Gate:
    """Open, or holding every message's DATA unanswered (the sender waits: its send is in
    flight) until opened again. Set from the test's thread, waited on in the server's."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self.waiting = 0

    def hold(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    async def pass_through(self) -> None:
        if self._open.is_set():
            return
        with self._lock:
            self.waiting += 1
        try:
            await asyncio.to_thread(self._open.wait)
        finally:
            with self._lock:
                self.waiting -= 1


class _Collect:
    def __init__(self, received: list[Mail], gate: _Gate) -> None:
        self._received = received
        self._gate = gate

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        await self._gate.pass_through()
        message: Any = message_from_bytes(envelope.content, policy=default)
        self._received.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@dataclass
class MailServer:
    """aiosmtpd on a fixed local port: stop it for an outage, start it again on the same port."""

    port: int = field(default_factory=free_port)
    received: list[Mail] = field(default_factory=list)
    _gate: _Gate = field(default_factory=_Gate)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(
                _Collect(self.received, self._gate), hostname="127.0.0.1", port=self.port
            )
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        self._gate.release()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def hold(self) -> None:
        """From now on, answer no message's DATA until `release()`: their sends stay in flight
        (the sender has handed the whole message over and waits for the 250)."""
        self._gate.hold()

    def release(self) -> None:
        """Accept the held messages (they are received now) and stop holding."""
        self._gate.release()

    @property
    def held(self) -> int:
        """Messages waiting for their answer now."""
        return self._gate.waiting

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
