"""The example scripts, each run as a real subprocess, so they never rot.

Each test compares what a script prints with the library's own answer for the
same question.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

import hmis_schedule
from hmis_schedule import Schedule, Session

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BROKEN = Path(__file__).parent / "data" / "broken"


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )


def when(session: Session) -> str:
    return f"{session.start:%a %d %b %Y %H:%M}-{session.end:%H:%M}"


def test_next_sessions_from_a_date_prints_the_library_answer(clackamas: Schedule) -> None:
    result = run("next_sessions.py", "6", "--from", "2027-05-01")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    upcoming = clackamas.next_session(date(2027, 5, 1))
    assert upcoming is not None
    assert lines[0] == f"{clackamas.name} (times in America/Los_Angeles)"
    assert lines[1].endswith(f"({upcoming.uid})")
    sessions = clackamas.sessions_between(date(2027, 5, 1), date(2028, 6, 1))[:6]
    assert len(lines[2:]) == 6
    for line, session in zip(lines[2:], sessions, strict=True):
        assert line.startswith(when(session))
        assert session.full_location in line
        assert ("CANCELLED: " + session.reason in line) == session.cancelled
    assert any("CANCELLED: Memorial Day" in line for line in lines)  # 2027-05-31, a fifth Monday


def test_next_sessions_from_now_prints_the_library_answer(clackamas: Schedule) -> None:
    # the clock moves while the script runs: its answer is the one from before or from after
    before = clackamas.next_session()
    result = run("next_sessions.py")
    after = clackamas.next_session()
    assert result.returncode == 0, result.stderr
    assert before is not None and after is not None
    second = result.stdout.splitlines()[1]
    assert second.endswith(f"({before.uid})") or second.endswith(f"({after.uid})")
    assert len(result.stdout.splitlines()) == 2 + 5


def test_list_another_county_lists_the_library_sessions() -> None:
    schedule = hmis_schedule.load_schedule(EXAMPLES / "another-county.toml")
    result = run("list_another_county.py", "2026-12-01", "2027-04-01")
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header == f"{schedule.name} (America/Denver), 2026-12-01 to 2027-04-01"
    sessions = schedule.sessions_between(date(2026, 12, 1), date(2027, 4, 2))  # the last day is included
    assert len(lines) == len(sessions)
    for line, session in zip(lines, sessions, strict=True):
        assert line.startswith(f"{session.start:%a %Y-%m-%d %H:%M}-{session.end:%H:%M} {session.start:%Z}")
        assert session.full_location in line
        assert (f"(moved from {session.original_date})" in line) == session.moved
        assert (f"CANCELLED: {session.reason}" in line) == session.cancelled
    # what the example file is there to show: a last Wednesday, two slots on one day, its own holidays
    assert any(s.slot_id == "last-wednesday" and s.day == date(2027, 3, 31) and s.cancelled for s in sessions)
    assert len({s.slot_id for s in sessions if s.day == date(2027, 1, 12)}) == 2
    assert any("MST" in line for line in lines) and any("MDT" in line for line in lines)


def test_list_another_county_defaults_to_the_next_ninety_days() -> None:
    result = run("list_another_county.py")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    first, last = (date.fromisoformat(d) for d in header.rsplit(", ", 1)[1].split(" to "))
    assert last - first == timedelta(days=90)


@pytest.mark.parametrize("broken", ["unknown_timezone", "ordinal_out_of_range"])
def test_list_another_county_reports_a_bad_file_without_a_traceback(broken: str) -> None:
    path = BROKEN / f"{broken}.toml"
    result = run("list_another_county.py", "--file", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        hmis_schedule.load_schedule(path)
    assert result.stderr.strip() == str(caught.value)
    assert str(path) in result.stderr
