"""An iCalendar object read back strictly (RFC 5545 §3.1): CRLF line ends only, physical lines of
at most 75 octets, folded lines continued by one space, BEGIN/END properly nested; then read again
by the `icalendar` package."""

from dataclasses import dataclass, field

import icalendar

LINE_OCTETS = 75


@dataclass
class Component:
    name: str
    properties: dict[str, list[str]] = field(default_factory=dict)
    """Each property's values, its parameters kept in front: `;VALUE=DATE:20270301`."""
    children: list["Component"] = field(default_factory=list)

    def value(self, name: str) -> str:
        """The one value of a property without parameters."""
        values = self.properties.get(name, [])
        assert len(values) == 1, f"{name}: {values}"
        assert values[0].startswith(":"), f"{name} has parameters: {values[0]}"
        return values[0][1:]

    def only(self, name: str) -> "Component":
        found = [child for child in self.children if child.name == name]
        assert len(found) == 1, f"{len(found)} {name} in {self.name}"
        return found[0]


def parse_strictly(ics: str) -> Component:
    assert ics.endswith("\r\n")
    assert "\n" not in ics.replace("\r\n", ""), "a bare LF"
    assert "\r" not in ics.replace("\r\n", ""), "a bare CR"
    physical = ics.split("\r\n")[:-1]
    logical: list[str] = []
    for line in physical:
        assert line, "an empty line"
        assert len(line.encode("utf-8")) <= LINE_OCTETS, f"{len(line.encode())} octets: {line}"
        if line[0] == " ":
            assert logical, "a continuation line first"
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack: list[Component] = []
    root: Component | None = None
    for line in logical:
        split = min(i for i in (line.find(":"), line.find(";")) if i >= 0)
        name, rest = line[:split], line[split:]
        if name == "BEGIN":
            component = Component(rest.removeprefix(":"))
            if stack:
                stack[-1].children.append(component)
            else:
                assert root is None, "two top-level components"
                root = component
            stack.append(component)
        elif name == "END":
            assert stack, f"{line} outside any component"
            assert stack[-1].name == rest.removeprefix(":"), f"misnested {line}"
            stack.pop()
        else:
            assert stack, f"{line} outside any component"
            stack[-1].properties.setdefault(name, []).append(rest)
    assert not stack, f"{[c.name for c in stack]} never ended"
    assert root is not None
    assert root.name == "VCALENDAR"
    parsed = icalendar.Calendar.from_ical(ics)
    assert len(parsed.walk("VEVENT")) == len(root.children)
    return root
