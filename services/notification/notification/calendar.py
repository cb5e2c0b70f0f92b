"""iCalendar (RFC 5545) invitations: text escaped, lines folded at 75 octets, CRLF; no I/O."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from notification.domain import CalendarEntry, Recipient

PRODID = "-//training//notification//EN"
LINE_OCTETS = 75
FEED_REFRESH = "PT1H"


def escape_text(value: str) -> str:
    """TEXT values (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets, never inside a UTF-8 character;
    continuation lines start with one space (§3.1)."""
    octets = len(line.encode("utf-8"))
    if octets <= LINE_OCTETS:  # most lines: nothing to fold
        return line
    if octets == len(line):  # ASCII, an octet a character: cut by position
        rest = line[LINE_OCTETS:]
        step = LINE_OCTETS - 1
        return "\r\n ".join(
            [line[:LINE_OCTETS], *(rest[i : i + step] for i in range(0, len(rest), step))]
        )
    return fold_by_character(line)


def fold_by_character(line: str) -> str:
    """`fold` spelled out, a character at a time: what its shortcuts must give."""
    parts: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(name: str, value: date | datetime, *, end: bool = False) -> str:
    if isinstance(value, datetime):
        return f"{name}:{_utc(value)}"
    # an all-day DTEND is exclusive: the day after the last day
    day = value + timedelta(days=1) if end else value
    return f"{name};VALUE=DATE:{day.strftime('%Y%m%d')}"


def _param(value: str) -> str:
    """A parameter value: quoted, without the characters a quoted value may not hold."""
    return '"' + value.replace('"', "'").replace("\r", " ").replace("\n", " ") + '"'


def _person(prop: str, person: Recipient | None, fallback_email: str, extra: str = "") -> str:
    if person is None or not person.email:
        return f"{prop}{extra}:mailto:{fallback_email}"
    name = f";CN={_param(person.name)}" if person.name else ""
    return f"{prop}{name}{extra}:mailto:{person.email}"


def invitation(entry: CalendarEntry, *, organizer: str, now: datetime) -> str:
    """A VCALENDAR with one VEVENT, METHOD REQUEST (or CANCEL), ready to attach."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{entry.method}",
        "BEGIN:VEVENT",
        f"UID:{entry.uid}",
        f"DTSTAMP:{_utc(now)}",
        _when("DTSTART", entry.start),
        _when("DTEND", entry.end, end=True),
        f"SEQUENCE:{entry.sequence}",
        f"SUMMARY:{escape_text(entry.summary)}",
        f"STATUS:{'CANCELLED' if entry.method == 'CANCEL' else 'CONFIRMED'}",
        f"ORGANIZER:mailto:{organizer}",
    ]
    if entry.location:
        lines.append(f"LOCATION:{escape_text(entry.location)}")
    if entry.description:
        lines.append(f"DESCRIPTION:{escape_text(entry.description)}")
    if entry.attendee is not None and entry.attendee.email:
        lines.append(
            _person("ATTENDEE", entry.attendee, organizer, ";ROLE=REQ-PARTICIPANT;RSVP=FALSE")
        )
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def feed(entries: Sequence[tuple[CalendarEntry, datetime]], *, name: str) -> str:
    """A subscription calendar: one VEVENT per (entry, when it last changed), no METHOD (nothing
    to act on, RFC 5546). Each DTSTAMP is that change, not the time of the fetch, so the same
    events give the same text, and the same ETag."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape_text(name)}",
        # how often a client should fetch it again (RFC 7986, and the name clients also read)
        f"REFRESH-INTERVAL;VALUE=DURATION:{FEED_REFRESH}",
        f"X-PUBLISHED-TTL:{FEED_REFRESH}",
    ]
    for entry, changed in entries:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{entry.uid}",
            f"DTSTAMP:{_utc(changed)}",
            _when("DTSTART", entry.start),
            _when("DTEND", entry.end, end=True),
            f"SEQUENCE:{entry.sequence}",
            f"SUMMARY:{escape_text(entry.summary)}",
            "STATUS:CONFIRMED",
        ]
        if entry.location:
            lines.append(f"LOCATION:{escape_text(entry.location)}")
        if entry.description:
            lines.append(f"DESCRIPTION:{escape_text(entry.description)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
