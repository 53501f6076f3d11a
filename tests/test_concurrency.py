"""Edits lose nothing: concurrent editors, and writers killed in the middle of a write.

- 20 processes editing one file at once (released together), some through the
  library and some through the command line, all succeed and end with all 20
  edits present, a valid file, and ``.bak`` holding the version just before
  the last edit (19 of the 20);
- a writer killed with SIGKILL at each stage of a write (the child process
  wraps ``os.replace`` to pause itself there; production code has no hook)
  leaves exactly the old file or exactly the new one, and the next edit
  cleans up after it;
- writers killed at random moments (a bounded number of times) never leave a
  torn file.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from hmis_schedule import edit as editing
from hmis_schedule import load_schedule
from hmis_schedule.files import builtin_text, from_toml

PROCESSES = 20
NOW = datetime(2026, 12, 1, tzinfo=UTC)
BULK = 600
"""Extra closures that make the file large (about 50 kB), so a write takes a while."""

# A worker waits for the "go" file, so all of them start editing at the same moment; the
# "cli" kind runs the command line as `python -m hmis_schedule.cli ARGS...` would.
RACER = r"""
import pathlib, runpy, sys, time
from datetime import UTC, date, datetime
from hmis_schedule import edit
path, go, kind, *rest = sys.argv[1:]
while not pathlib.Path(go).exists():
    time.sleep(0.002)
now = datetime(2026, 12, 1, tzinfo=UTC)
if kind == "close":
    day, reason = rest
    edit.close(path, date.fromisoformat(day), reason=reason, now=now)
elif kind == "cancel":
    slot, day, reason = rest
    edit.cancel(path, slot, date.fromisoformat(day), reason=reason, now=now)
else:
    sys.argv = ["hmis-schedule", *rest]
    runpy.run_module("hmis_schedule.cli", run_name="__main__", alter_sys=True)
"""

# A writer that stops at the n-th time it reaches a stage of a write, says so, and waits to be
# killed. Every rename of a write goes through os.replace (first the backup, then the file):
# "temp-written" is just before a rename (the fsynced temporary file holds the new bytes, the
# target is untouched), "replaced" just after it (the target holds them, the folder is not
# yet fsynced).
PAUSED = r"""
import os, pathlib, sys, time
from datetime import UTC, date, datetime
from unittest import mock
from hmis_schedule import edit, writer
path, stage, nth, signal_file = sys.argv[1:5]
seen = []
def pause_at(name, where):
    if name == stage:
        seen.append(where)
        if len(seen) == int(nth):
            pathlib.Path(signal_file).write_text(str(where))
            time.sleep(120)
real_replace = os.replace
def replace(src, dst):
    pause_at("temp-written", src)
    real_replace(src, dst)
    pause_at("replaced", dst)
with mock.patch.object(writer.os, "replace", replace):
    edit.close(path, date(2027, 3, 15), reason="Killed writer", now=datetime(2026, 12, 1, tzinfo=UTC))
"""

# A writer that edits the file over and over until it is killed.
LOOPING = r"""
import pathlib, sys
from datetime import UTC, date, datetime, timedelta
from hmis_schedule import edit
path, started = sys.argv[1:3]
pathlib.Path(started).write_text("started")
now = datetime(2026, 12, 1, tzinfo=UTC)
for n in range(10_000):
    now += timedelta(minutes=1)
    if n % 2 == 0:
        edit.close(path, date(2027, 3, 15), reason=f"Closure {n}", now=now)
    else:
        edit.reopen(path, date(2027, 3, 15), now=now)
"""


def python(code: str, *args: object, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    _, error = process.communicate(timeout=120)
    return process.returncode, error.decode()


def wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, finish(process)
        assert time.monotonic() < deadline, f"{path.name} did not appear within {seconds} s"
        time.sleep(0.01)


def temporary_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def large_file(tmp_path: Path) -> Path:
    bulk = "".join(
        f'\n[[closures]]\ndate = {date(2030, 1, 1) + timedelta(days=i)}\nreason = "Closure {i} of a large file"\n'
        for i in range(BULK)
    )
    path = tmp_path / "schedule.toml"
    path.write_text(builtin_text() + bulk, encoding="utf-8")
    return path


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; any still running at the end are killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


@pytest.mark.slow
def test_twenty_editors_at_once_in_the_library_and_the_command_line_keep_all_twenty_edits(
    schedule_file: Path, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    go = tmp_path / "go"
    occurrences = [
        (slot.id, day) for slot in load_schedule(schedule_file).slots
        for day in slot.dates(date(2027, 1, 1), date(2027, 5, 1))
    ]
    # Tuesdays: no session and no public holiday, so a closure adds nothing but itself
    closes = [date(2028, 1, 4) + timedelta(days=7 * i) for i in range(PROCESSES // 2)]
    cancels = occurrences[: PROCESSES - len(closes)]
    env = {k: v for k, v in os.environ.items() if k != "HMIS_SCHEDULE"}
    for n, day in enumerate(closes):
        if n % 2:  # half through the library, half through the command line
            args: list[str | Path] = ["close", day, f"Closed {day}"]
        else:
            args = ["cli", "close", day, "--reason", f"Closed {day}", "--file", schedule_file]
        processes.append(python(RACER, schedule_file, go, *args, env=env))
    for slot, day in cancels:
        processes.append(python(RACER, schedule_file, go, "cancel", slot, day, f"Cancelled {slot}", env=env))
    go.write_text("go")
    for process in processes:
        code, error = finish(process)
        assert code == 0, error
    schedule = load_schedule(schedule_file)
    assert sorted((c.date, c.reason) for c in schedule.closures) == [(d, f"Closed {d}") for d in closes]
    assert {(c.slot, c.date, c.reason) for c in schedule.changes} == {(s, d, f"Cancelled {s}") for s, d in cancels}
    assert len(schedule.changes) == len(cancels)
    backup = from_toml(schedule_file.with_name("schedule.toml.bak").read_text(encoding="utf-8"))
    assert len(backup.closures) + len(backup.changes) == PROCESSES - 1
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize(
    ("stage", "nth", "survivor"),
    [
        ("temp-written", 1, "old"),  # the backup's temporary file is written
        ("replaced", 1, "old"),  # the backup is in place, the file not yet touched
        ("temp-written", 2, "old"),  # the new text is in its fsynced temporary file
        ("replaced", 2, "new"),  # the new text is renamed into place
    ],
)
def test_a_writer_killed_during_a_write_leaves_the_old_or_the_new_file(
    large_file: Path, tmp_path: Path, processes: list[subprocess.Popen[bytes]], stage: str, nth: int, survivor: str
) -> None:
    old = large_file.read_bytes()
    signal_file = tmp_path / "paused"
    writer = python(PAUSED, large_file, stage, nth, signal_file)
    processes.append(writer)
    wait_for(signal_file, writer)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=60)
    schedule = load_schedule(large_file)
    closed = [c for c in schedule.closures if c.date == date(2027, 3, 15)]
    if survivor == "old":
        assert large_file.read_bytes() == old and closed == []
    else:
        assert [c.reason for c in closed] == ["Killed writer"]
        assert large_file.with_name("schedule.toml.bak").read_bytes() == old
    assert len(schedule.closures) == BULK + len(closed)
    # The next edit takes the lock the killed writer held, and removes what it left.
    editing.close(large_file, date(2027, 4, 19), reason="Next edit", now=NOW + timedelta(hours=1))
    assert temporary_files(tmp_path) == []
    assert {date(2027, 4, 19)} <= {c.date for c in load_schedule(large_file).closures}


@pytest.mark.slow
def test_writers_killed_at_random_moments_never_tear_the_file(
    large_file: Path, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    chance = random.Random(20261201)
    for round_ in range(8):
        started = tmp_path / f"started-{round_}"
        writer = python(LOOPING, large_file, started)
        processes.append(writer)
        wait_for(started, writer)
        time.sleep(chance.uniform(0.05, 1.2))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        text = large_file.read_text(encoding="utf-8")
        schedule = from_toml(text)  # raises if the file were torn
        assert len(schedule.closures) in (BULK, BULK + 1)
        assert text.endswith("\n")
    editing.close(large_file, date(2027, 4, 19), reason="After the kills", now=NOW + timedelta(days=1))
    assert temporary_files(tmp_path) == []
