"""bench/cpu.py's arithmetic: /proc/<pid>/stat parsed, trees summed across a child's exit,
PostgreSQL's backends by database with what is not attributed."""

from pathlib import Path

import pytest

from bench.cpu import (
    CLK_TCK,
    Row,
    Sample,
    Stat,
    by_database,
    parse_machine,
    parse_stat,
    postgres_rows,
    snapshot,
    table,
    tree_delta,
)

pytestmark = pytest.mark.unit


def stat(pid: int, ppid: int, own: int, children: int = 0, comm: str = "x") -> Stat:
    return Stat(pid, comm, ppid, own, 0, children, 0)


def sample(*stats: Stat, at: float = 0.0) -> Sample:
    return Sample(at, {s.pid: s for s in stats})


def test_a_stat_line_with_spaces_and_parentheses_in_its_name() -> None:
    line = (
        "4242 (postgres: 15/main: a (b) c) S 2204 2204 2204 0 -1 4194560 318 0 0 0 "
        "17 5 3 2 20 0 1 0 4890 226172928 2367 18446744073709551615 1 1 0 0 0 0 0 "
        "4194304 1082148352 0 0 0 17 1 0 0 0 0 0\n"
    )
    assert parse_stat(line) == Stat(4242, "postgres: 15/main: a (b) c", 2204, 17, 5, 3, 2)
    assert parse_stat(line).own == 22
    assert parse_stat(line).total == 27


def test_the_machine_busy_ticks_leave_idle_and_iowait_out() -> None:
    text = "cpu  100 5 50 9000 40 3 2 1 0 0\ncpu0 50 2 25 4500 20 1 1 0 0 0\n"
    assert parse_machine(text) == 100 + 5 + 50 + 3 + 2 + 1


def test_a_tree_is_continuous_when_a_child_exits_and_is_reaped() -> None:
    before = sample(stat(10, 1, 100), stat(11, 10, 40), stat(12, 11, 5), stat(99, 1, 7))
    # 12 ran 3 more ticks and exited (its 8 now in 11's cutime); 11 ran 10 more; 13 is new
    after = sample(stat(10, 1, 120), stat(11, 10, 50, children=8), stat(13, 10, 4), stat(99, 1, 70))
    assert tree_delta(before, after, [10]) == 20 + 10 + 3 + 4
    assert tree_delta(before, after, [11]) == 10 + 3
    assert sorted(before.tree(10)) == [10, 11, 12]


def test_roots_are_the_tops_of_same_named_trees() -> None:
    now = sample(
        stat(5, 1, 0, comm="nginx"),
        stat(6, 5, 0, comm="nginx"),
        stat(7, 5, 0, comm="nginx"),
        stat(8, 2, 0, comm="nginx"),
    )
    assert now.roots("nginx") == [5, 8]


def test_backends_by_database_from_their_first_to_their_last_sample() -> None:
    pm = 100
    first = sample(stat(pm, 1, 10), stat(201, pm, 50), stat(202, pm, 30), stat(203, pm, 5))
    middle = sample(stat(pm, 1, 11), stat(201, pm, 60), stat(202, pm, 35), stat(204, pm, 2))
    # 202 ended after `middle` (5 seen of it, 4 more ticks unseen, in the postmaster's cutime);
    # 203 ended before `middle` (nothing of it seen in the window); 204 started in the window
    last = sample(stat(pm, 1, 12, children=30 + 9 + 5 + 1), stat(201, pm, 75), stat(204, pm, 9))
    backends = {201: "reg", 202: "reg", 203: "notif", 204: "notif"}
    assert by_database([first, middle, last], backends, pm) == {"reg": 25 + 5, "notif": 0 + 9}
    rows = postgres_rows([first, middle, last], pm, backends, {"reg": "R", "notif": "N"})
    got = {row.part: row.ticks for row in rows}
    total = (12 + 45) + 75 + 9 - (10 + 50 + 30 + 5)
    assert got["PostgreSQL, all"] == total == 46
    assert got["R"] == 30
    assert got["N"] == 9
    assert got["PostgreSQL, background (postmaster, WAL writer, checkpointer, ...)"] == 2
    assert got["PostgreSQL, other databases"] == 0
    # 202's 4 unseen ticks and 203's 1: ended between two samples
    assert got["PostgreSQL, not attributed (backends ended between samples)"] == 5


def test_a_backend_of_another_database_and_a_background_process() -> None:
    pm = 100
    first = sample(stat(pm, 1, 0), stat(201, pm, 0), stat(300, pm, 0), stat(301, pm, 0))
    last = sample(stat(pm, 1, 0), stat(201, pm, 4), stat(300, pm, 6), stat(301, pm, 1))
    rows = postgres_rows([first, last], pm, {201: "mine", 300: "theirs"}, {"mine": "M"})
    got = {row.part: row.ticks for row in rows}
    assert got["M"] == 4
    assert got["PostgreSQL, other databases"] == 6
    assert got["PostgreSQL, background (postmaster, WAL writer, checkpointer, ...)"] == 1
    assert got["PostgreSQL, not attributed (backends ended between samples)"] == 0


def test_ms_per_decision_and_the_table() -> None:
    row = Row("registration (service)", ticks=CLK_TCK * 3)  # 3 s of CPU
    assert row.ms_per(2000) == pytest.approx(1.5)
    assert row.ms_per(0) == 0.0
    text = table([row], decisions=2000, seconds=6.0)
    assert text.splitlines()[0] == "| part | ms CPU per decision | CPU s | % of one core |"
    assert text.splitlines()[2] == "| registration (service) | 1.50 | 3.00 | 50 |"


def test_a_snapshot_of_this_machine_holds_this_process(tmp_path: Path) -> None:
    import os

    now = snapshot(0.0)
    assert os.getpid() in now.stats
    assert now.stats[os.getpid()].own >= 0
    assert now.machine > 0
