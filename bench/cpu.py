"""A CPU account from /proc: how many ms of CPU each part of the system spent in a window.

Pure but for `snapshot()` and `machine_ticks()`, which read /proc. A `Sample` is every process's
`/proc/<pid>/stat` at one instant; the account of a window is the difference between samples:

- a process tree (a service, nginx's master and workers, PostgreSQL's postmaster and backends,
  RabbitMQ's beam.smp): its root's utime+stime+cutime+cstime plus that of its live descendants,
  which stays continuous when a child exits (its time moves into its parent's cutime/cstime once
  the parent reaps it);
- PostgreSQL's backends by the database each serves (`pg_stat_activity`: pid → datname): for
  each backend, its utime+stime at the last sample it was seen in, minus that at the window's
  first sample (0 when it started inside the window). A backend's time after the last sample
  that saw it (it ended in between) is not attributed: it is what is left of the postmaster
  tree's total once every backend and background process is counted.

Times are in clock ticks (`os.sysconf("SC_CLK_TCK")`, 100 a second on Linux).
"""

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")


@dataclass(frozen=True)
class Stat:
    """The fields of /proc/<pid>/stat this account needs."""

    pid: int
    comm: str
    ppid: int
    utime: int
    stime: int
    cutime: int
    cstime: int

    @property
    def own(self) -> int:
        """Ticks of the process itself (every thread of it)."""
        return self.utime + self.stime

    @property
    def total(self) -> int:
        """Its own ticks and those of its children that have exited and were waited for."""
        return self.utime + self.stime + self.cutime + self.cstime


def parse_stat(text: str) -> Stat:
    """One /proc/<pid>/stat line; `comm` is in parentheses and may hold spaces and ')'."""
    left, _, right = text.rpartition(")")
    pid, _, comm = left.partition(" (")
    fields = right.split()
    # fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17
    return Stat(
        pid=int(pid),
        comm=comm,
        ppid=int(fields[1]),
        utime=int(fields[11]),
        stime=int(fields[12]),
        cutime=int(fields[13]),
        cstime=int(fields[14]),
    )


@dataclass(frozen=True)
class Sample:
    at: float
    """time.monotonic() when taken."""
    stats: Mapping[int, Stat]
    machine: int = 0
    """Busy ticks of every CPU of the machine (/proc/stat), whoever spent them."""
    _children: dict[int, list[int]] = field(default_factory=dict, compare=False, repr=False)

    def children(self, pid: int) -> list[int]:
        if not self._children and self.stats:
            for stat in self.stats.values():
                self._children.setdefault(stat.ppid, []).append(stat.pid)
        return self._children.get(pid, [])

    def tree(self, root: int) -> list[int]:
        """`root` and its live descendants (empty when `root` is not in the sample)."""
        if root not in self.stats:
            return []
        found, todo = [], [root]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += self.children(pid)
        return found

    def tree_ticks(self, root: int) -> int:
        return sum(self.stats[pid].total for pid in self.tree(root))

    def roots(self, comm: str) -> list[int]:
        """Pids whose command name is `comm` and whose parent's is not (the tops of its trees)."""
        found = []
        for stat in self.stats.values():
            parent = self.stats.get(stat.ppid)
            if stat.comm == comm and (parent is None or parent.comm != comm):
                found.append(stat.pid)
        return sorted(found)


def parse_machine(text: str) -> int:
    """Busy ticks from /proc/stat's `cpu` line: user+nice+system+irq+softirq+steal."""
    for line in text.splitlines():
        if line.startswith("cpu "):
            v = [int(x) for x in line.split()[1:]]
            user, nice, system, _idle, _iowait, irq, softirq = v[:7]
            steal = v[7] if len(v) > 7 else 0
            return user + nice + system + irq + softirq + steal
    raise ValueError("no cpu line in /proc/stat")


def snapshot(at: float, proc: Path = PROC) -> Sample:
    """Every process's stat, now (a process gone between listing and reading is left out)."""
    stats: dict[int, Stat] = {}
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"{entry.path}/stat") as f:
                stat = parse_stat(f.read())
        except (OSError, ValueError, IndexError):
            continue
        stats[stat.pid] = stat
    try:
        machine = parse_machine((proc / "stat").read_text())
    except (OSError, ValueError):
        machine = 0
    return Sample(at, stats, machine)


# --- the account of a window ------------------------------------------------------------------


def tree_delta(first: Sample, last: Sample, roots: Iterable[int]) -> int:
    """Ticks the trees under `roots` spent between the two samples (a root gone by the last
    sample counts as 0 there: keep roots alive for the window)."""
    return sum(last.tree_ticks(r) - first.tree_ticks(r) for r in roots)


def by_database(
    samples: Sequence[Sample], backends: Mapping[int, str], postmaster: int
) -> dict[str, int]:
    """Ticks per label of `backends` (pid → its database, or any label) between the first and
    the last sample, for the postmaster's children; each backend from its first-sample value
    (0 if it started later) to the last sample it was seen in. Children of the postmaster not in
    `backends` are under "" ."""
    first = samples[0]
    seen_last: dict[int, int] = {}
    for sample in samples:
        for pid in sample.children(postmaster):
            seen_last[pid] = sample.stats[pid].own
    spent: dict[str, int] = defaultdict(int)
    for pid, last_own in seen_last.items():
        at_first = first.stats.get(pid)
        start = at_first.own if at_first is not None and at_first.ppid == postmaster else 0
        spent[backends.get(pid, "")] += last_own - start
    return dict(spent)


@dataclass(frozen=True)
class Row:
    part: str
    ticks: int

    def ms_per(self, decisions: int) -> float:
        return self.ticks * 1000 / CLK_TCK / decisions if decisions else 0.0

    @property
    def seconds(self) -> float:
        return self.ticks / CLK_TCK


def postgres_rows(
    samples: Sequence[Sample],
    postmaster: int,
    backends: Mapping[int, str],
    labels: Mapping[str, str],
    other: str = "PostgreSQL, other databases",
) -> list[Row]:
    """PostgreSQL split: one row per label of `labels` (database name → row name), the other
    databases (other work on the server), background processes (no database: WAL writer,
    checkpointer, ...; `backends` maps them to "" or not at all, and the postmaster itself), and
    what is not attributed (backends that ended between two samples)."""
    first, last = samples[0], samples[-1]
    total = tree_delta(first, last, [postmaster])
    spent = by_database(samples, backends, postmaster)
    rows = [Row(name, spent.pop(db, 0)) for db, name in labels.items()]
    background = spent.pop("", 0)
    if postmaster in first.stats and postmaster in last.stats:
        background += last.stats[postmaster].own - first.stats[postmaster].own
    others = sum(spent.values())
    attributed = sum(r.ticks for r in rows) + others + background
    rows += [
        Row(other, others),
        Row("PostgreSQL, background (postmaster, WAL writer, checkpointer, ...)", background),
        Row("PostgreSQL, not attributed (backends ended between samples)", total - attributed),
        Row("PostgreSQL, all", total),
    ]
    return rows


def table(rows: Sequence[Row], decisions: int, seconds: float) -> str:
    """The issue's format: part | ms CPU per decision (and the CPU seconds, and % of a core)."""
    lines = [
        "| part | ms CPU per decision | CPU s | % of one core |",
        "|---|---|---|---|",
    ]
    for row in rows:
        share = 100 * row.seconds / seconds if seconds else 0.0
        lines.append(
            f"| {row.part} | {row.ms_per(decisions):.2f} | {row.seconds:.2f} | {share:.0f} |"
        )
    return "\n".join(lines)
