"""Email out: the MIME message of a delivery, and the transports (SMTP, or capture)."""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from notification.records import LeasedDelivery

Outcome = Literal["sent", "captured"]


@dataclass(frozen=True)
class SmtpServer:
    hostname: str
    port: int
    use_tls: bool
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://host:port` (STARTTLS when offered) or `smtps://user:pass@host:port` (implicit TLS);
    credentials are optional with either and may be percent-encoded."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must start with smtp:// or smtps:// (got {parts.scheme!r})")
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    use_tls = parts.scheme == "smtps"
    return SmtpServer(
        hostname=parts.hostname,
        port=parts.port or (465 if use_tls else 25),
        use_tls=use_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def one_line(value: str) -> str:
    """A header's text on one line: a title may hold a line break or a tab, which a header may
    not (the email library refuses it, and the email would never go out)."""
    return " ".join("".join(c if c.isprintable() else " " for c in value).split())


def email_of(
    delivery: LeasedDelivery, *, sender: str, unsubscribe_url: str | None = None
) -> EmailMessage:
    """Text and HTML alternatives; with an invitation, a text/calendar alternative
    (method=REQUEST, what calendar programs act on) and the same as an invitation.ics file.
    An optional email carries its one-click unsubscribe link (RFC 8058)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = delivery.recipient
    message["Subject"] = one_line(delivery.subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    # the same Message-ID on every attempt: a server that got it twice can tell
    message["Message-ID"] = f"<{delivery.id}@notification.training>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Training-Kind"] = delivery.kind
    if unsubscribe_url is not None:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(delivery.text_body)
    message.add_alternative(delivery.html_body, subtype="html")
    calendar = delivery.calendar
    if calendar:
        method = "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in calendar else "REQUEST"
        # as bytes: text parts would have their CRLF line ends (RFC 5545) rewritten
        message.add_alternative(
            calendar.encode(),
            maintype="text",
            subtype="calendar",
            params={"method": method, "charset": "utf-8"},
        )
        message.add_attachment(
            calendar.encode(),
            maintype="application",
            subtype="ics",
            filename="invitation.ics",
        )
    return message


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> Outcome: ...


class SmtpTransport:
    def __init__(self, server: SmtpServer, *, timeout: float = 30.0) -> None:
        self._server = server
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> Outcome:
        server = self._server
        await aiosmtplib.send(
            message,
            hostname=server.hostname,
            port=server.port,
            username=server.username,
            password=server.password,
            use_tls=server.use_tls,
            timeout=self._timeout,
        )
        return "sent"


class CaptureTransport:
    """No SMTP_URL: the email is kept in the deliveries log (status `captured`), not sent."""

    async def send(self, message: EmailMessage) -> Outcome:
        return "captured"


def transport_for(smtp_url: str | None, *, timeout: float = 30.0) -> Transport:
    if not smtp_url:
        return CaptureTransport()
    return SmtpTransport(parse_smtp_url(smtp_url), timeout=timeout)
