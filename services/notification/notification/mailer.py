"""Email out: the MIME message of a delivery, and the transports (SMTP, or capture)."""

from base64 import encodebytes
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.utils import formatdate
from typing import Literal, Protocol, cast
from urllib.parse import unquote, urlsplit

import aiosmtplib

from notification.records import LeasedDelivery

Outcome = Literal["sent", "captured"]

_LINE = 78  # the generators' header line, folding included
_ENCODED = frozenset({"List-Unsubscribe"})
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = _UTF8.body_encoding = QP  # readable, and 7-bit whatever the server


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
    if not value.isprintable():  # else each character is kept: only the spaces to normalise
        value = "".join(c if c.isprintable() else " " for c in value)
    return " ".join(value.split())


def email_of(
    delivery: LeasedDelivery, *, sender: str, unsubscribe_url: str | None = None
) -> Message:
    """Text and HTML alternatives; with an invitation, a text/calendar alternative
    (method=REQUEST, what calendar programs act on) and the same as an invitation.ics file.
    An optional email carries its one-click unsubscribe link (RFC 8058).

    Built with the `email.mime` classes: the same message as `EmailMessage` builds (parts,
    parameters, headers, contents), for a twentieth of its CPU (its header registry parses every
    header it is given, twenty a message). An address that is not ASCII (an internationalised
    mailbox, which encoded words cannot carry) takes `EmailMessage`'s way."""
    if not (delivery.recipient.isascii() and sender.isascii()):
        return _email_message(delivery, sender=sender, unsubscribe_url=unsubscribe_url)
    body = MIMEMultipart("alternative")
    body.attach(_text(delivery.text_body, "plain"))
    body.attach(_text(delivery.html_body, "html"))
    message = body
    calendar = delivery.calendar
    if calendar:
        # as bytes: text parts would have their CRLF line ends (RFC 5545) rewritten
        encoded = encodebytes(calendar.encode()).decode("ascii")  # once for both parts
        method = _method(calendar)
        body.attach(_base64(f'text/calendar; method="{method}"; charset="utf-8"', encoded))
        message = MIMEMultipart("mixed")
        message.attach(body)
        attachment = _base64("application/ics", encoded)
        attachment["Content-Disposition"] = 'attachment; filename="invitation.ics"'
        message.attach(attachment)
    for name, value in _headers(delivery, sender, unsubscribe_url):
        message[name] = _folded(name, value) if name in _ENCODED else value
    message["Subject"] = _folded("Subject", one_line(delivery.subject))
    return message


def _folded(name: str, value: str) -> str:
    """A text header as `EmailMessage` writes it: as is when ASCII and short enough for one
    line, else as encoded words (a long link has nowhere to be folded)."""
    if value.isascii() and len(name) + 2 + len(value) <= _LINE:
        return value
    # typeshed types headers as text; a Header is what the generator writes as encoded words
    return cast(str, Header(value, _UTF8, header_name=name))


def _headers(
    delivery: LeasedDelivery, sender: str, unsubscribe_url: str | None
) -> list[tuple[str, str]]:
    headers = [
        ("From", sender),
        ("To", delivery.recipient),
        ("Date", formatdate(localtime=False, usegmt=True)),
        # the same Message-ID on every attempt: a server that got it twice can tell
        ("Message-ID", f"<{delivery.id}@notification.training>"),
        ("Auto-Submitted", "auto-generated"),
        ("X-Training-Kind", delivery.kind),
    ]
    if unsubscribe_url is not None:
        headers += [
            ("List-Unsubscribe", f"<{unsubscribe_url}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
        ]
    return headers


def _text(content: str, subtype: str) -> Message:
    """A text part as `set_content` makes it: utf-8, its lines ended by one newline each.

    The part `MIMENonMultipart` then `set_payload(…, charset)` make, header for header in their
    order and the same quoted-printable body (the charset's own encoder), without their steps
    between: the payload's round trip through surrogates, the Content-Type parsed again to set
    its charset then deleted and added back (a third of the email's CPU, docs/performance.md)."""
    part = Message()
    part["MIME-Version"] = "1.0"
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = "quoted-printable"
    part.set_payload(_quoted_printable(b"\n".join(content.encode().splitlines()) + b"\n"))
    return part


def _base64(content_type: str, encoded: str) -> Message:
    """A part as `MIMENonMultipart` (its parameters given) then `encode_base64` make it, header
    for header in their order, its payload `encoded` (the content in base64, as
    `encode_base64` writes it): the calendar's two parts share one encoding."""
    part = Message()
    part["Content-Type"] = content_type
    part["MIME-Version"] = "1.0"
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(encoded)
    return part


def _quoted_printable(body: bytes) -> str:
    """`_UTF8.body_encode(body)` for a body of lines each ended by one newline, its costly step
    in C: the bytes to escape (`=`, and all but tab, line ends and printable ASCII) escaped by
    one `replace` each of those the body holds, instead of the encoder's Python table looked up
    for every byte (two thirds of encoding an email's HTML); then each line as the encoder ends
    it (`_encoded_line`). A body of many different such bytes (not a Latin script) is the
    encoder's own: as many passes would cost more."""
    escaping = set(body.translate(None, _UNESCAPED))
    if len(escaping) > _FEW_ESCAPED:
        return _UTF8.body_encode(body)
    if _EQUALS in escaping:  # first: the escapes written after are not escaped again
        escaping.remove(_EQUALS)
        body = body.replace(b"=", b"=3D")
    for byte in escaping:
        body = body.replace(bytes((byte,)), _ESCAPES[byte])
    escaped = body.decode("ascii")
    lines = escaped.split("\n")  # the last one empty: the body ends with a newline
    if max(map(len, lines)) <= _QP_LINE and " \n" not in escaped and "\t\n" not in escaped:
        return escaped
    # only the lines the encoder folds or quotes: most are kept as they are
    return "\n".join(
        [
            _encoded_line(line) if len(line) > _QP_LINE or line.endswith(_BLANKS) else line
            for line in lines
        ]
    )


def _encoded_line(line: str) -> str:
    """An escaped line the encoder changes (longer than 76 characters, or ending in a space or a
    tab), as `email.quoprimime.body_encode` ends it, the same steps: folded into pieces of at
    most 76 characters by soft breaks (`=` then a newline) never inside an escape, a space or
    tab at its end escaped, or moved to a piece of its own when there is no room."""
    pieces = []
    start = 0
    last_start = len(line) - 1 - _QP_LINE
    while start <= last_start:
        stop = start + _QP_LINE - 1
        if line[stop - 2] == "=":
            pieces.append(line[start : stop - 1])
            start = stop - 2
        elif line[stop - 1] == "=":
            pieces.append(line[start:stop])
            start = stop - 1
        else:
            pieces.append(line[start:stop] + "=")
            start = stop
    if line.endswith(_BLANKS):
        room = start - last_start
        quoted = _ESCAPES[ord(line[-1])].decode()
        if room >= 3:
            end = quoted
        elif room == 2:
            end = line[-1] + "=\n"
        else:
            end = "=\n" + quoted
        pieces.append(line[start:-1] + end)
    else:
        pieces.append(line[start:])
    return "\n".join(pieces)


_QP_LINE = 76  # the longest line the quoted-printable encoder writes, its soft break's "=" in
_EQUALS = ord("=")
_BLANKS = (" ", "\t")  # at a line's end, quoted
_UNESCAPED = bytes(sorted(set(range(0x20, 0x7F)) - {_EQUALS} | set(b"\t\n\r")))
_ESCAPES = [b"=%02X" % byte for byte in range(256)]
_FEW_ESCAPED = 24


def _method(calendar: str) -> str:
    return "CANCEL" if "\r\nMETHOD:CANCEL\r\n" in calendar else "REQUEST"


def _email_message(
    delivery: LeasedDelivery, *, sender: str, unsubscribe_url: str | None
) -> EmailMessage:
    message = EmailMessage()
    for name, value in _headers(delivery, sender, unsubscribe_url):
        message[name] = value
    message["Subject"] = one_line(delivery.subject)
    message.set_content(delivery.text_body)
    message.add_alternative(delivery.html_body, subtype="html")
    calendar = delivery.calendar
    if calendar:
        message.add_alternative(
            calendar.encode(),
            maintype="text",
            subtype="calendar",
            params={"method": _method(calendar), "charset": "utf-8"},
        )
        message.add_attachment(
            calendar.encode(),
            maintype="application",
            subtype="ics",
            filename="invitation.ics",
        )
    return message


class Transport(Protocol):
    async def send(self, message: Message) -> Outcome: ...


class SmtpTransport:
    def __init__(self, server: SmtpServer, *, timeout: float = 30.0) -> None:
        self._server = server
        self._timeout = timeout

    async def send(self, message: Message) -> Outcome:
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

    async def send(self, message: Message) -> Outcome:
        return "captured"


def transport_for(smtp_url: str | None, *, timeout: float = 30.0) -> Transport:
    if not smtp_url:
        return CaptureTransport()
    return SmtpTransport(parse_smtp_url(smtp_url), timeout=timeout)
