"""Random sequences of edits (Hypothesis stateful testing) always leave a valid file that reflects them.

After every step of a random mix of close, reopen, cancel, uncancel, move and
add-session on one file:

- the file reads back as a valid schedule, or, for a refused edit, is
  unchanged byte for byte, and the edit was refused exactly when the model
  says it must be (a day not closed, end not after start, a taken id, ...);
- the sessions reflect the edit (a closed day's sessions are cancelled, a
  moved session is where and when the move said, ...);
- every session whose content changed has a higher sequence than before, so
  calendars update it; ``updated`` is the edit time; ``.bak`` holds the
  previous version.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from hmis_schedule import ScheduleError, Status, clackamas, load_schedule
from hmis_schedule import edit as editing
from hmis_schedule.edit import Outcome
from hmis_schedule.files import builtin_text
from hmis_schedule.schedule import Schedule
from hmis_schedule.session import Session, session_uid

FIRST, END = date(2027, 1, 1), date(2027, 7, 1)
WINDOW = (FIRST - timedelta(days=40), END + timedelta(days=40))
OCCURRENCES = sorted((day, slot.id) for slot in clackamas().slots for day in slot.dates(FIRST, END))
DAYS = sorted({day for day, _ in OCCURRENCES} | {FIRST + timedelta(days=n) for n in range(0, 181, 17)})
TIMES = [time(8), time(9), time(12), time(13), time(16), time(17)]
REASONS = ["Floating holiday", "Snow day", "Trainer out"]
EXTRA_IDS = ["spanish-a", "spanish-b", "first-monday"]

occurrences = st.sampled_from(OCCURRENCES)
days = st.sampled_from(DAYS)
reasons = st.sampled_from(REASONS)
times = st.none() | st.sampled_from(TIMES)


def visible(session: Session) -> tuple[object, ...]:
    s = session
    return (s.start, s.end, s.modality, s.location, s.room, s.notes, s.status, s.reason)


def closed(schedule: Schedule, day: date) -> bool:
    holiday = schedule.holidays.name_on(day) if schedule.holidays is not None else None
    return holiday is not None or any(c.date == day for c in schedule.closures)


def cancelled_by_change(schedule: Schedule, session: Session) -> bool:
    return any(c.key == (session.slot_id, session.original_date) and c.cancel for c in schedule.changes)


class Edits(RuleBasedStateMachine):
    """One schedule file, edited step by step; the previous schedule is the model."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        self.path = Path(self.folder.name) / "schedule.toml"
        self.path.write_text(builtin_text(), encoding="utf-8")
        self.schedule = load_schedule(self.path)
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def teardown(self) -> None:
        self.folder.cleanup()

    def attempt(self, run: Callable[[datetime], Outcome], refused: bool | None = None) -> Schedule | None:
        """Run one edit; check the file, the backup, ``updated`` and the sequences. ``None`` if refused."""
        self.now += timedelta(minutes=1)
        before = self.path.read_bytes()
        try:
            outcome = run(self.now)
        except ScheduleError:
            assert refused is not False, "an edit the model allows was refused"
            assert self.path.read_bytes() == before
            return None
        assert refused is not True, "an edit the model refuses was made"
        after = load_schedule(self.path)
        if outcome.changed:
            assert self.path.with_name("schedule.toml.bak").read_bytes() == before
            assert after.updated == self.now
            self.check_sequences_rose(self.schedule, after)
        else:
            assert self.path.read_bytes() == before
        self.schedule = after
        return after

    def check_sequences_rose(self, old: Schedule, new: Schedule) -> None:
        uids = {s.uid for s in old.sessions_between(*WINDOW)} | {s.uid for s in new.sessions_between(*WINDOW)}
        for uid in uids:
            try:
                was, now = old.session(uid), new.session(uid)
            except ScheduleError:
                continue  # added by this edit
            if visible(was) != visible(now):
                assert now.sequence > was.sequence, (uid, was, now)

    @rule(day=days, reason=reasons)
    def close(self, day: date, reason: str) -> None:
        after = self.attempt(lambda now: editing.close(self.path, day, reason=reason, now=now), refused=False)
        assert after is not None
        for session in after.sessions_between(day, day + timedelta(days=1)):
            assert session.status is Status.CANCELLED
            if not cancelled_by_change(after, session):
                assert session.reason == reason

    @rule(day=days)
    def reopen(self, day: date) -> None:
        was_closed = closed(self.schedule, day)
        # A session taking place again may meet an added one: the overlap rule has its own tests.
        after = self.attempt(
            lambda now: editing.reopen(self.path, day, now=now, allow_overlap=True), refused=not was_closed
        )
        if after is not None:
            assert not closed(after, day)
            for session in after.sessions_between(day, day + timedelta(days=1)):
                assert not session.cancelled or cancelled_by_change(after, session)

    @rule(occurrence=occurrences, reason=reasons)
    def cancel(self, occurrence: tuple[date, str], reason: str) -> None:
        day, slot = occurrence
        after = self.attempt(
            lambda now: editing.cancel(self.path, slot, day, reason=reason, now=now), refused=False
        )
        assert after is not None
        session = after.session(session_uid(slot, day, after.uid_domain))
        assert (session.status, session.reason) == (Status.CANCELLED, reason)

    @rule(occurrence=occurrences)
    def cancel_on_a_wrong_date(self, occurrence: tuple[date, str]) -> None:
        day, slot = occurrence
        wrong = day + timedelta(days=1)
        moved_there = any(c.slot == slot and c.to_date == wrong and not c.cancel for c in self.schedule.changes)
        self.attempt(
            lambda now: editing.cancel(self.path, slot, wrong, reason="x", now=now), refused=not moved_there
        )

    @rule(occurrence=occurrences)
    def uncancel(self, occurrence: tuple[date, str]) -> None:
        day, slot = occurrence
        was = self.schedule.session(session_uid(slot, day, self.schedule.uid_domain))
        after = self.attempt(
            lambda now: editing.uncancel(self.path, slot, day, now=now, allow_overlap=True),
            refused=not cancelled_by_change(self.schedule, was),
        )
        if after is not None:
            session = after.session(was.uid)
            assert session.status is Status.SCHEDULED or closed(after, session.day)

    @rule(occurrence=occurrences, shift=st.none() | st.integers(-3, 3), start=times, end=times,
          room=st.none() | st.sampled_from(["PSB 301", "PSB 216"]))
    def move(
        self, occurrence: tuple[date, str], shift: int | None, start: time | None, end: time | None, room: str | None
    ) -> None:
        day, slot = occurrence
        was = self.schedule.session(session_uid(slot, day, self.schedule.uid_domain))
        to_date = None if shift is None else day + timedelta(days=shift)
        if (to_date, start, end, room) == (None, None, None, None):
            return
        new_start, new_end = start or was.start.time(), end or was.end.time()
        after = self.attempt(
            lambda now: editing.move(
                self.path, slot, day, to_date=to_date, start=start, end=end, room=room, now=now,
                allow_overlap=True,  # the overlap rule has its own tests (tests/test_edit_rules.py)
            ),
            refused=new_end <= new_start,
        )
        if after is not None:
            session = after.session(was.uid)
            landing = to_date or was.day
            assert (session.day, session.start.time(), session.end.time()) == (landing, new_start, new_end)
            assert session.room == (room or was.room)
            assert session.cancelled == closed(after, landing)

    @rule(session_id=st.sampled_from(EXTRA_IDS), day=days, start=st.sampled_from(TIMES), end=st.sampled_from(TIMES))
    def add_session(self, session_id: str, day: date, start: time, end: time) -> None:
        taken = {s.id for s in self.schedule.slots} | {e.id for e in self.schedule.extras}
        after = self.attempt(
            lambda now: editing.add_session(
                self.path, session_id, day, start=start, end=end, modality="online", now=now,
                allow_overlap=True,  # the overlap rule has its own tests (tests/test_edit_rules.py)
            ),
            refused=session_id in taken or end <= start,
        )
        if after is not None:
            session = after.session(session_uid(session_id, day, after.uid_domain))
            assert (session.start.time(), session.end.time()) == (start, end)
            assert session.cancelled == closed(after, day)

    @invariant()
    def the_file_is_valid_and_no_temporary_file_is_left(self) -> None:
        assert load_schedule(self.path) == self.schedule
        assert [p.name for p in self.path.parent.iterdir() if p.name.endswith(".tmp")] == []


TestRandomEdits = Edits.TestCase
TestRandomEdits.settings = settings(max_examples=25, stateful_step_count=12, deadline=None)
