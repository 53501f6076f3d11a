"""Golden feeds: a few named scenarios, compared byte for byte with ``tests/data/*.ics``.

A change in the bytes shows up as a reviewable diff of these small files.
After an intended change, regenerate them and review the diff::

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_feed_golden.py

(the test then writes the files and passes).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from datetime import date

import pytest
from feed_readers import DATA_DIR, expected, read_ical, read_icalendar
from support import BASE

import hmis_schedule
from hmis_schedule import Change, Schedule
from hmis_schedule.feed import render_feed, render_session
from hmis_schedule.window import feed_window
from hmis_schedule.zones import tzdata_version

TODAY = date(2026, 11, 23)


def _installed_release(golden: bytes) -> bytes:
    """``golden`` with the tz data release this process uses on its ``X-HMIS-TZDATA`` line (the only line that may differ)."""
    return re.sub(rb"(?m)^X-HMIS-TZDATA:[^\r]*", b"X-HMIS-TZDATA:" + tzdata_version().encode(), golden)


def _moved() -> Schedule:
    schedule = hmis_schedule.clackamas()
    change = Change(slot="second-monday", date=date(2027, 2, 8), to_date=date(2027, 2, 9), room="PSB 301",
                    reason="Room 216 is being painted")
    return dataclasses.replace(schedule, changes=(change,))


SCENARIOS: dict[str, Callable[[], tuple[bytes, Schedule, date, date]]] = {
    # March 2026: a fifth Monday (the 30th) and the change to daylight time (the 8th).
    "fifth_monday_2026.ics": lambda: (
        render_feed(
            hmis_schedule.clackamas(),
            feed_window(hmis_schedule.clackamas(), TODAY, date(2026, 3, 1), date(2026, 4, 1)),
            base_url=BASE,
        ),
        hmis_schedule.clackamas(), date(2026, 3, 1), date(2026, 4, 1),
    ),
    # Labor Day 2026 in Spanish: the session is cancelled with the holiday's name.
    "labor_day_2026_es.ics": lambda: (
        render_feed(
            hmis_schedule.clackamas(),
            feed_window(hmis_schedule.clackamas(), TODAY, date(2026, 9, 1), date(2026, 9, 15)),
            lang="es",
            base_url=BASE,
        ),
        hmis_schedule.clackamas(), date(2026, 9, 1), date(2026, 9, 15),
    ),
    # The in-person session of February 2027 moved to Tuesday the 9th, in another room.
    "moved_session_2027.ics": lambda: (
        render_session(_moved(), f"second-monday-20270208@{_moved().uid_domain}", base_url=BASE),
        _moved(), date(2027, 2, 9), date(2027, 2, 10),
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_feed_matches_its_golden_file(name: str) -> None:
    ics, schedule, first, end = SCENARIOS[name]()
    path = DATA_DIR / name
    if os.environ.get("UPDATE_GOLDEN"):
        DATA_DIR.mkdir(exist_ok=True)
        path.write_bytes(ics)
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert ics == _installed_release(path.read_bytes()), f"{name} changed: review, then run UPDATE_GOLDEN=1 pytest {__file__}"
    # The golden file itself is right: readers find the library's sessions in it.
    for read in (read_icalendar, read_ical):
        assert {r.key for r in read(path.read_bytes())} == expected(schedule.sessions_between(first, end))
