"""SEQUENCE never falls and rises with every visible change, whatever the edits (Hypothesis stateful testing).

One schedule file and its state file. Each step is a command-line edit
(close, reopen, cancel, uncancel, move, add-session through
:mod:`hmis_schedule.edit`), a hand edit of the TOML (an entry deleted, an
entry altered, a holiday excluded or not) or a change of the holiday data
(the ``holidays`` package "upgraded" to drop or restore a holiday). After
each step the schedule is published as the server or the command line
would (:func:`hmis_schedule.state.publish`) and both languages' default feeds
are rendered with the record. Then, for every event seen before:

- its SEQUENCE never decreased;
- if anything a subscriber sees changed (any line of the VEVENT but SEQUENCE,
  DTSTAMP and LAST-MODIFIED, in English or Spanish), its SEQUENCE increased;
- otherwise its lines are the same bytes, DTSTAMP and LAST-MODIFIED included.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

import hmis_schedule.closures
from hmis_schedule import ScheduleError, clackamas, load_schedule, state
from hmis_schedule import edit as editing
from hmis_schedule.feed import render_feed
from hmis_schedule.files import builtin_text, from_toml
from hmis_schedule.window import feed_window

TODAY = date(2027, 1, 1)
FIRST, END = date(2027, 1, 1), date(2027, 5, 1)
# A short default window (today to four months ahead) and a one-year record keep each step cheap.
FEED = (("past_days = 90 ", "past_days = 0 "), ("future_months = 15 ", "future_months = 4 "), ("max_years = 5 ", "max_years = 1 "))
OCCURRENCES = sorted((day, slot.id) for slot in clackamas().slots for day in slot.dates(FIRST, END))
HOLIDAYS = [date(2027, 1, 18), date(2027, 2, 15), date(2027, 5, 31)]
HOLIDAY_NAMES = ["Martin Luther King Jr. Day", "Washington's Birthday", "Memorial Day"]
DAYS = sorted({day for day, _ in OCCURRENCES} | set(HOLIDAYS))
TIMES = [time(8), time(9), time(13), time(16)]
REASONS = ["Floating holiday", "Snow day", "Trainer out"]
HIDDEN = (b"SEQUENCE:", b"DTSTAMP:", b"LAST-MODIFIED:")

occurrences = st.sampled_from(OCCURRENCES)
days = st.sampled_from(DAYS)
reasons = st.sampled_from(REASONS)


def events(ics: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """Every VEVENT's uid and unfolded content lines."""
    for block in ics.replace(b"\r\n ", b"").split(b"BEGIN:VEVENT\r\n")[1:]:
        lines = [line for line in block.split(b"END:VEVENT")[0].split(b"\r\n") if line]
        (uid,) = [line[4:].decode() for line in lines if line.startswith(b"UID:")]
        yield uid, lines


def sequence_of(lines: list[bytes]) -> int:
    (value,) = [int(line[9:]) for line in lines if line.startswith(b"SEQUENCE:")]
    return value


def shown(lines: list[bytes]) -> list[bytes]:
    return [line for line in lines if not line.startswith(HIDDEN)]


class Publishing(RuleBasedStateMachine):
    """A schedule file edited by the command line, by hand and by data upgrades, published after each step."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.path = Path(self.folder.name) / "schedule.toml"
        text = builtin_text()
        for old, new in FEED:
            assert old in text
            text = text.replace(old, new, 1)
        self.path.write_text(text, encoding="utf-8")
        self.state_file = state.state_path(self.path)
        self.now = datetime(2027, 1, 1, 8, tzinfo=UTC)
        self.dropped: set[str] = set()
        self.real_holidays = hmis_schedule.closures._holidays_in
        hmis_schedule.closures._holidays_in = self.holidays_in  # type: ignore[assignment]
        self.seen: dict[str, tuple[list[bytes], list[bytes]]] = {}
        self.publish()

    def teardown(self) -> None:
        hmis_schedule.closures._holidays_in = self.real_holidays
        self.folder.cleanup()

    def holidays_in(self, *args: Any) -> list[dict[date, str]]:
        """The holiday data, less the holidays this "upgrade" dropped."""
        return [{d: n for d, n in t.items() if n not in self.dropped} for t in self.real_holidays(*args)]

    # -- publishing and the checks ------------------------------------------------

    def publish(self) -> None:
        self.now += timedelta(minutes=1)
        schedule = load_schedule(self.path)
        done = state.publish(self.state_file, schedule, now=self.now)
        assert done.error is None
        window = feed_window(schedule, TODAY)
        en = dict(events(render_feed(schedule, window, published=done.published)))
        es = dict(events(render_feed(schedule, window, lang="es", published=done.published)))
        for uid, lines in en.items():
            new = (lines, es[uid])
            old = self.seen.get(uid)
            if old is not None:
                before, after = sequence_of(old[0]), sequence_of(new[0])
                assert after >= before, f"{uid}: SEQUENCE fell from {before} to {after}"
                if [shown(x) for x in old] != [shown(x) for x in new]:
                    assert after > before, f"{uid}: changed, but SEQUENCE stayed {before}"
                else:
                    assert new == old, f"{uid}: unchanged, but its lines changed"
            self.seen[uid] = new

    def edit(self, run: Callable[[datetime], object]) -> None:
        with contextlib.suppress(ScheduleError):  # a refused edit leaves the file as it was
            run(self.now)
        self.publish()

    def hand_edit(self, change: Callable[[Any], None]) -> None:
        """Change the TOML document as a person would; an edit that makes it invalid is not saved."""
        doc = tomlkit.parse(self.path.read_text(encoding="utf-8"))
        change(doc)
        text = tomlkit.dumps(doc)
        try:
            from_toml(text)
        except ScheduleError:
            pass
        else:
            self.path.write_text(text, encoding="utf-8")
        self.publish()

    # -- the command line -------------------------------------------------------

    @rule(day=days, reason=reasons)
    def close(self, day: date, reason: str) -> None:
        self.edit(lambda now: editing.close(self.path, day, reason=reason, now=now))

    @rule(day=days)
    def reopen(self, day: date) -> None:
        self.edit(lambda now: editing.reopen(self.path, day, now=now))

    @rule(occurrence=occurrences, reason=reasons)
    def cancel(self, occurrence: tuple[date, str], reason: str) -> None:
        day, slot = occurrence
        self.edit(lambda now: editing.cancel(self.path, slot, day, reason=reason, now=now))

    @rule(occurrence=occurrences)
    def uncancel(self, occurrence: tuple[date, str]) -> None:
        day, slot = occurrence
        self.edit(lambda now: editing.uncancel(self.path, slot, day, now=now))

    @rule(occurrence=occurrences, shift=st.integers(-2, 2), start=st.none() | st.sampled_from(TIMES))
    def move(self, occurrence: tuple[date, str], shift: int, start: time | None) -> None:
        day, slot = occurrence
        end = None if start is None else time(start.hour + 3)
        to_date = day + timedelta(days=shift) if shift else None
        if to_date is None and start is None:
            to_date = day + timedelta(days=1)
        self.edit(lambda now: editing.move(self.path, slot, day, to_date=to_date, start=start, end=end, now=now))

    @rule(session_id=st.sampled_from(["spanish-a", "spanish-b"]), day=days)
    def add_session(self, session_id: str, day: date) -> None:
        self.edit(
            lambda now: editing.add_session(
                self.path, session_id, day, start=time(14), end=time(16), modality="online",
                location="Microsoft Teams", now=now,
            )
        )  # fmt: skip

    # -- by hand, and the holiday data ------------------------------------------------

    @rule(kind=st.sampled_from(["closures", "changes", "extra_sessions"]), index=st.integers(0, 5))
    def delete_entry(self, kind: str, index: int) -> None:
        def change(doc: Any) -> None:
            entries = doc.get(kind)
            if entries:
                del entries[index % len(entries)]
                if not entries:
                    del doc[kind]

        self.hand_edit(change)

    @rule(kind=st.sampled_from(["closures", "changes"]), index=st.integers(0, 5), reason=reasons)
    def alter_entry(self, kind: str, index: int, reason: str) -> None:
        def change(doc: Any) -> None:
            entries = doc.get(kind)
            if entries:
                entry = entries[index % len(entries)]
                if kind == "closures" or entry.get("cancel"):
                    entry["reason"] = reason
                else:
                    entry["room"] = reason  # somewhere else
                entry["sequence"] = 1  # and the sequence put back by hand

        self.hand_edit(change)

    @rule(day=st.sampled_from(HOLIDAYS))
    def toggle_exclude(self, day: date) -> None:
        def change(doc: Any) -> None:
            holidays = doc["holidays"]
            excluded = [d for d in holidays.get("exclude", []) if d != day]
            if len(excluded) == len(holidays.get("exclude", [])):
                excluded.append(day)
            holidays["exclude"] = excluded

        self.hand_edit(change)

    @rule(name=st.sampled_from(HOLIDAY_NAMES))
    def upgrade_holiday_data(self, name: str) -> None:
        self.dropped ^= {name}
        self.publish()


TestPublishing = Publishing.TestCase
TestPublishing.settings = settings(max_examples=12, stateful_step_count=10, deadline=None)
TestPublishing = pytest.mark.slow(TestPublishing)
