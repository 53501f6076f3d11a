"""The settle rule of :mod:`hmis_schedule.follow`: a change is adopted once unchanged for ``settle`` seconds, by the clock.

Both clocks are injected (a :class:`Clocks` moved by hand), and the files'
modification times are set with ``os.utime`` on the same timeline, so
nothing sleeps. What is checked: the first use after a change has settled
gets it, however long the follower was idle and even inside ``interval``; a
file whose writes keep coming less than ``settle`` apart is never adopted
(a prefix of the built-in schedule that is itself a valid schedule
included); the bound "a use starting ``max(interval, settle)`` after the
last write sees it" for any pattern of uses (Hypothesis); a modification
time in the future or a clock set back does not wedge following.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hmis_schedule import ScheduleError
from hmis_schedule.files import builtin_text, from_toml
from hmis_schedule.follow import FileFollower, settles_at
from hmis_schedule.source import Loaded, schedule_source

START = 1_000_000.0078125
"""The wall clock at the start of each test: 1/128 s past a whole second, so that every time the tests
reach (steps of 1/128 s) and its nanoseconds are exact in binary floating point."""


class Clocks:
    """A monotonic and a wall clock that move together, by hand; the wall clock can also be set."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.set_by = 0.0

    def monotonic(self) -> float:
        return 5000.0 + self.elapsed

    def wall(self) -> float:
        return START + self.elapsed + self.set_by

    def tick(self, seconds: float) -> None:
        self.elapsed += seconds


def stamp(path: Path, wall: float) -> None:
    """Give ``path`` the modification time ``wall`` (what a write at that moment does)."""
    ns = round(wall * 1_000_000_000)
    os.utime(path, ns=(ns, ns))


def write(path: Path, text: str, clocks: Clocks, *, mode: str = "w") -> None:
    """Write (or with ``mode="a"`` append) ``text`` now, by the test's wall clock."""
    with path.open(mode, encoding="utf-8") as handle:
        handle.write(text)
    stamp(path, clocks.wall())


def number_follower(path: Path, clocks: Clocks, *, interval: float = 1.0, settle: float = 1.0) -> FileFollower[int]:
    return FileFollower(
        path, lambda raw: int(raw.decode()), interval=interval, settle=settle,
        monotonic=clocks.monotonic, wall=clocks.wall, name="number file",
    )  # fmt: skip


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def number_file(tmp_path: Path, clocks: Clocks) -> Path:
    path = tmp_path / "n.txt"
    write(path, "1", clocks)
    stamp(path, clocks.wall() - 1)  # written a second before the test starts
    return path


def test_an_idle_follower_answers_its_first_use_after_a_change_with_the_new_file(
    number_file: Path, clocks: Clocks
) -> None:
    followed = number_follower(number_file, clocks)
    assert followed.value == 1
    clocks.tick(0.5)
    write(number_file, "2", clocks)
    clocks.tick(10)  # nobody asks for ten seconds
    assert followed.value == 2 and followed.error is None


def test_a_change_is_adopted_on_the_first_use_once_settled_even_inside_the_interval(
    number_file: Path, clocks: Clocks
) -> None:
    followed = number_follower(number_file, clocks, interval=3600)
    clocks.tick(3600)
    write(number_file, "2", clocks)
    clocks.tick(0.5)
    assert followed.value == 1  # looked (the interval had passed): written 0.5 s ago, it may still grow
    clocks.tick(0.25)
    assert followed.value == 1  # not settled yet, and the hour until the next look has barely begun
    clocks.tick(0.25)
    assert followed.value == 2  # unchanged for exactly 1 s: this very use looks and reads it


def test_settle_zero_adopts_a_change_at_the_first_look(number_file: Path, clocks: Clocks) -> None:
    followed = number_follower(number_file, clocks, settle=0)
    write(number_file, "2", clocks)
    clocks.tick(1)
    assert followed.value == 2


def test_a_slow_writer_is_never_served_half_written(tmp_path: Path, clocks: Clocks) -> None:
    """The first piece is itself a valid schedule (one slot of five): only the settle rule keeps it out."""
    path = tmp_path / "schedule.toml"
    old = builtin_text().replace('name = { en = "Clackamas', 'name = { en = "Old Clackamas', 1)
    write(path, old, clocks)
    followed = schedule_source(path, interval=0.1, settle=1.0, monotonic=clocks.monotonic, wall=clocks.wall)
    assert isinstance(followed, FileFollower)
    old_version = followed.value.version
    final = builtin_text()
    cut = final.index("\n[[slots]]", final.index("\n[[slots]]") + 1) + 1  # just before the second slot
    assert len(from_toml(final[:cut]).slots) == 1 < len(from_toml(final).slots)  # a prefix that parses
    pieces = [final[:cut], final[cut : cut + 700], final[cut + 700 :]]
    served: set[str] = set()
    write(path, "", clocks)  # truncated in place, as an editor saving over the file does
    for piece in pieces:
        write(path, piece, clocks, mode="a")
        for _ in range(9):  # a use every 0.1 s during a 0.9 s pause (shorter than the settle time)
            clocks.tick(0.1)
            served.add(followed.value.version)
            assert followed.error is None  # not even read, let alone refused
    assert served == {old_version}
    clocks.tick(0.1)
    assert followed.value.version == from_toml(final).version


@given(
    interval=st.integers(0, 128).map(lambda n: n / 64),
    settle=st.integers(0, 128).map(lambda n: n / 64),
    gaps=st.lists(st.integers(0, 192).map(lambda n: n / 64), min_size=1, max_size=30),
    written_after=st.integers(0, 29),
)
def test_every_use_starting_max_interval_settle_after_the_write_sees_it(
    tmp_path_factory: pytest.TempPathFactory, interval: float, settle: float, gaps: list[float], written_after: int
) -> None:
    """Any pattern of uses (gaps of 0 to 3 s), a write between two of them: the bound of the module docstring."""
    clocks = Clocks()
    path = tmp_path_factory.mktemp("bound") / "n.txt"
    write(path, "1", clocks)
    followed = number_follower(path, clocks, interval=interval, settle=settle)
    written: float | None = None
    for i, gap in enumerate(gaps):
        if i == written_after:
            clocks.tick(1 / 128)  # between two uses, never at a whole second
            write(path, "2", clocks)
            written = clocks.wall()
            clocks.tick(gap - 1 / 128 if gap else 0)
        else:
            clocks.tick(gap)
        value = followed.value
        if written is not None and clocks.wall() >= written + max(interval, settle):
            assert value == 2, (clocks.wall() - written, interval, settle)
        elif written is None:
            assert value == 1


def test_a_file_written_again_within_the_settle_time_waits_again(number_file: Path, clocks: Clocks) -> None:
    followed = number_follower(number_file, clocks, interval=0)
    for n in range(2, 12):  # a write every 0.75 s, a use every 0.25 s
        write(number_file, str(n), clocks)
        for _ in range(3):
            clocks.tick(0.25)
            assert followed.value == 1
    clocks.tick(0.25)
    assert followed.value == 11


def test_a_modification_time_in_the_future_does_not_wedge_following(number_file: Path, clocks: Clocks) -> None:
    followed = number_follower(number_file, clocks)
    clocks.tick(1)
    write(number_file, "2", clocks)
    stamp(number_file, clocks.wall() + 3600)  # copied from a machine whose clock is an hour ahead
    assert followed.value == 1  # first look: by its time it was never written, so wait ...
    clocks.tick(0.5)
    assert followed.value == 1
    clocks.tick(0.5)
    assert followed.value == 2  # ... until this follower has seen it unchanged for the settle time


def test_a_clock_set_back_does_not_wedge_following(number_file: Path, clocks: Clocks) -> None:
    followed = number_follower(number_file, clocks)
    clocks.tick(1)
    write(number_file, "2", clocks)
    clocks.tick(0.25)
    assert followed.value == 1
    clocks.set_by = -86_400.0  # the wall clock is set a day back: the file was written "tomorrow"
    clocks.tick(0.5)
    assert followed.value == 1
    clocks.tick(0.25)
    assert followed.value == 1
    clocks.tick(0.25)
    assert followed.value == 2  # unchanged for the settle time since this follower's first look at it


def test_a_whole_second_modification_time_counts_as_the_end_of_its_second(
    number_file: Path, clocks: Clocks
) -> None:
    followed = number_follower(number_file, clocks, interval=0)
    whole = float(int(clocks.wall()) + 10)
    clocks.tick(whole - clocks.wall())
    write(number_file, "2", clocks)  # a file system that keeps whole seconds may have written it at 10.9
    assert clocks.wall() == whole and settles_at((int(whole) * 10**9, 1, 1), 1.0) == whole + 2
    clocks.tick(1.5)
    assert followed.value == 1
    clocks.tick(0.5)
    assert followed.value == 2


def test_a_file_that_changes_while_it_is_read_is_not_adopted(
    number_file: Path, clocks: Clocks, monkeypatch: pytest.MonkeyPatch
) -> None:
    followed = number_follower(number_file, clocks, interval=0)
    write(number_file, "2", clocks)
    clocks.tick(1)
    real = FileFollower._read

    def read_while_written(self: FileFollower[Any], sig: Any) -> bytes | None:
        with self.path.open("a", encoding="utf-8") as handle:  # the writer is back, after a long pause
            handle.write("3")
        return real(self, sig)

    monkeypatch.setattr(FileFollower, "_read", read_while_written)
    assert followed.value == 1
    monkeypatch.undo()
    stamp(number_file, clocks.wall())
    clocks.tick(0.5)
    assert followed.value == 1
    clocks.tick(0.5)
    assert followed.value == 23


@pytest.mark.parametrize("settle", [-1, float("nan"), True, "1"])
def test_a_settle_time_that_is_not_seconds_is_refused(number_file: Path, settle: Any) -> None:
    with pytest.raises(ScheduleError, match=r"^settle: expected seconds >= 0"):
        FileFollower(number_file, int, settle=settle)


def test_sources_pass_the_settle_time_on(tmp_path: Path, clocks: Clocks) -> None:
    path = tmp_path / "schedule.toml"
    write(path, builtin_text(), clocks)
    source = schedule_source(path, interval=0, settle=5, monotonic=clocks.monotonic, wall=clocks.wall)
    before: Loaded = source.value
    clocks.tick(1)
    write(path, builtin_text().replace("past_days = 90 ", "past_days = 30 ", 1), clocks)
    clocks.tick(4.5)
    assert source.value == before
    clocks.tick(0.5)
    assert source.value.schedule.feed.past_days == 30


def test_a_use_during_another_threads_look_waits_for_it_and_gets_the_new_version(tmp_path: Path) -> None:
    """A thread arriving while another reads the changed file must not serve the old version (gthread workers)."""
    path = tmp_path / "n.txt"
    path.write_text("1", encoding="utf-8")
    reading, release = threading.Event(), threading.Event()

    def parse(raw: bytes) -> int:
        if raw == b"2":
            reading.set()
            release.wait(30)
        return int(raw)

    clock = [0.0]
    follower = FileFollower(path, parse, interval=1, settle=0, monotonic=lambda: clock[0])
    path.write_text("2", encoding="utf-8")
    clock[0] = 5.0  # the interval has passed
    seen: dict[str, int] = {}
    first = threading.Thread(target=lambda: seen.update(first=follower.value))
    first.start()
    assert reading.wait(30)  # the first thread is in the middle of its look
    second = threading.Thread(target=lambda: seen.update(second=follower.value))
    second.start()
    second.join(timeout=0.5)  # with the old bookkeeping it answered at once, from the old version
    release.set()
    first.join(30)
    second.join(30)
    assert seen == {"first": 2, "second": 2}
