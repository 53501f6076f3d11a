"""Following a file (:class:`hmis_schedule.follow.FileFollower`), with an injected clock (no sleeping).

The follower looks at the file at most once per interval, reads a change once
it has stopped changing, keeps the last good value while the file is invalid,
missing or half-written, logs that once per change, and gives threads a whole
old or new reading. The web app following its files is in
``test_web_sources.py``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support import Clock, write_atomically

import hmis_schedule
from hmis_schedule.follow import FileFollower


@pytest.fixture
def number_file(tmp_path: Path) -> Path:
    path = tmp_path / "n.txt"
    path.write_text("1", encoding="utf-8")
    return path


def follower(path: Path, clock: Clock, **kwargs: Any) -> FileFollower[int]:
    def parse(raw: bytes) -> int:
        return int(raw.decode())  # ValueError for anything but a number

    return FileFollower(path, parse, interval=1.0, monotonic=clock, name="number file", **kwargs)


def settle(followed: FileFollower[Any], clock: Clock) -> None:
    """Two looks an interval apart: the change is seen, then read once it stayed the same."""
    for _ in range(2):
        clock.tick()
        followed.check()


def test_a_change_is_served_once_it_has_settled(number_file: Path) -> None:
    clock = Clock()
    followed = follower(number_file, clock)
    write_atomically(number_file, "2")
    assert followed.value == 1  # no look yet: the interval has not passed
    clock.tick()
    assert followed.value == 1  # seen changed: wait one more look in case it is still being written
    clock.tick()
    assert followed.value == 2 and followed.error is None


def test_the_file_is_looked_at_at_most_once_per_interval(
    number_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hmis_schedule.follow as follow_module

    looks: list[Path] = []
    real = follow_module.signature

    def counting(path: Path) -> Any:
        looks.append(path)
        return real(path)

    clock = Clock()
    followed = follower(number_file, clock)
    monkeypatch.setattr(follow_module, "signature", counting)
    for _ in range(100):
        assert followed.value == 1
    assert looks == []
    clock.tick(0.5)
    for _ in range(100):
        followed.check()
    assert looks == []
    clock.tick(0.5)
    for _ in range(100):
        followed.check()
    assert len(looks) == 1


def test_a_half_written_file_is_never_served(number_file: Path) -> None:
    clock = Clock()
    followed = follower(number_file, clock)
    with number_file.open("w", encoding="utf-8") as handle:  # an editor writing in place, in pieces
        handle.write("4")
        handle.flush()
        clock.tick()
        assert followed.value == 1  # "4" is a valid number, but the file just changed: not read yet
        handle.write("2")
        handle.flush()
        os.utime(number_file, ns=(time.time_ns(), time.time_ns() + 1))  # however coarse the file system clock
        clock.tick()
        assert followed.value == 1  # changed again since the last look: still waiting
    settle(followed, clock)
    assert followed.value == 42


def test_an_invalid_file_keeps_the_last_good_value_and_is_logged_once(
    number_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    followed = follower(number_file, clock)
    with caplog.at_level(logging.WARNING, logger="hmis_schedule"):
        write_atomically(number_file, "two")
        settle(followed, clock)
        for _ in range(20):
            clock.tick()
            assert followed.value == 1
            assert (
                followed.error is not None and "two" in followed.error and str(number_file) in followed.error
            )
        assert (
            len([r for r in caplog.records if "still serving the last good version" in r.getMessage()]) == 1
        )
        write_atomically(number_file, "three")
        settle(followed, clock)
        assert len([r for r in caplog.records if "still serving" in r.getMessage()]) == 2
    write_atomically(number_file, "3")
    settle(followed, clock)
    assert followed.value == 3 and followed.error is None


def test_a_missing_file_keeps_the_last_good_value_until_it_is_back(number_file: Path) -> None:
    clock = Clock()
    followed = follower(number_file, clock)
    number_file.unlink()
    settle(followed, clock)
    assert followed.value == 1 and followed.error == f"{number_file}: no such file"
    number_file.write_text("5", encoding="utf-8")
    settle(followed, clock)
    assert followed.value == 5 and followed.error is None


def test_a_file_missing_at_start_can_have_a_default(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "later.txt"
    followed = follower(path, clock, missing=lambda: 0)
    assert (followed.value, followed.error) == (0, None)
    path.write_text("7", encoding="utf-8")
    settle(followed, clock)
    assert followed.value == 7
    with pytest.raises(hmis_schedule.ScheduleError, match="no such file"):
        follower(tmp_path / "nope.txt", clock)


def test_threads_see_a_whole_old_or_new_reading(number_file: Path) -> None:
    followed = FileFollower(number_file, lambda raw: (int(raw), int(raw)), interval=0)
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.add(followed.value)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for n in range(2, 60):
        write_atomically(number_file, str(n))
        if n % 7 == 0:
            write_atomically(number_file, "junk")
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert all(a == b for a, b in seen)
    assert seen <= {(n, n) for n in range(1, 60)}
