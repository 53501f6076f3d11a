"""The record of what was published (``published.py``) and its keeping in the state file (``state.publish``).

Issue 12's hand edits each lowered or kept a session's SEQUENCE while what
subscribers see changed; with the record, every one of them raises it, and
only the changed events get new DTSTAMP/LAST-MODIFIED bytes.
"""

from __future__ import annotations

import dataclasses
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

import hmis_schedule.closures
from hmis_schedule import Schedule, feed, state
from hmis_schedule.errors import ScheduleError
from hmis_schedule.files import builtin_text, from_toml
from hmis_schedule.published import Entry, Published, digest, record
from hmis_schedule.window import feed_window

T0 = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
T1 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
MEMORIAL_DAY = "fifth-monday-20270531@hmis-training.clackamas.us"
TRAINER_OUT = "second-monday-20270111@hmis-training.clackamas.us"
FLOATING = "third-monday-20270315@hmis-training.clackamas.us"

CANCEL = '\n[[changes]]\nslot = "second-monday"\ndate = 2027-01-11\ncancel = true\nreason = "Trainer out"\n'
CLOSURE = '\n[[closures]]\ndate = 2027-03-15\nreason = "County floating holiday"\n'
EXCLUDE = ('subdivision = "OR"\n', 'subdivision = "OR"\nexclude = [2027-05-31]\n')
MOVE = '\n[[changes]]\nslot = "fifth-monday"\ndate = 2027-05-31\nto_date = 2027-06-01\n'
CLOSE_HOLIDAY = '\n[[closures]]\ndate = 2027-05-31\nreason = "Office move"\n'


def schedule_of(text: str) -> Schedule:
    return from_toml(text, source="schedule.toml")


def vevent_lines(ics: bytes, uid: str) -> list[bytes]:
    """The unfolded content lines of the VEVENT with ``uid``."""
    unfolded = ics.replace(b"\r\n ", b"")
    for block in unfolded.split(b"BEGIN:VEVENT\r\n")[1:]:
        lines = block.split(b"END:VEVENT")[0].split(b"\r\n")
        if f"UID:{uid}".encode() in lines:
            return [line for line in lines if line]
    raise AssertionError(f"no event {uid}")


def prop(ics: bytes, uid: str, name: str) -> str:
    (value,) = [line for line in vevent_lines(ics, uid) if line.split(b":")[0].split(b";")[0] == name.encode()]
    return value.split(b":", 1)[1].decode()


def default_feed(schedule: Schedule, record_: Published | None) -> bytes:
    return feed.render_feed(schedule, feed_window(schedule, date(2026, 12, 3)), published=record_)


# -- the pure step ----------------------------------------------------------------


def test_an_unknown_session_gets_its_computed_sequence_and_the_schedules_updated(clackamas: Schedule) -> None:
    session = clackamas.session(MEMORIAL_DAY)
    entry = record(Published(), clackamas, [session], now=T0).entries[MEMORIAL_DAY]
    assert (entry.sequence, entry.since, entry.digest) == (1, clackamas.updated, digest(session, clackamas))


def test_a_first_record_changes_no_byte_of_the_feed(clackamas: Schedule) -> None:
    fresh = state.published_for(clackamas, Published(), now=T0)
    assert len(fresh.entries) > 250
    assert default_feed(clackamas, fresh) == default_feed(clackamas, None)
    uid = f"first-monday-20261207@{clackamas.uid_domain}"
    assert feed.render_session(clackamas, uid, published=fresh) == feed.render_session(clackamas, uid)


def test_the_same_content_recorded_again_is_the_same_record_whenever_it_is(clackamas: Schedule) -> None:
    first = state.published_for(clackamas, Published(), now=T0)
    assert state.published_for(clackamas, first, now=T0 + timedelta(hours=5)) is first


def test_a_changed_content_rises_by_one_and_is_stamped_now(clackamas: Schedule) -> None:
    session = clackamas.session(MEMORIAL_DAY)
    before = record(Published(), clackamas, [session], now=T0)
    moved = dataclasses.replace(session, location="Elsewhere")
    entry = record(before, clackamas, [moved], now=T1).entries[MEMORIAL_DAY]
    assert (entry.sequence, entry.since) == (2, T1)


def test_a_changed_content_takes_the_computed_sequence_when_it_is_higher(clackamas: Schedule) -> None:
    session = clackamas.session(MEMORIAL_DAY)
    before = record(Published(), clackamas, [session], now=T0)
    changed = dataclasses.replace(session, location="Elsewhere", sequence=7)
    assert record(before, clackamas, [changed], now=T1).entries[MEMORIAL_DAY].sequence == 7


def test_a_sequence_raised_by_hand_without_a_visible_change_is_published(clackamas: Schedule) -> None:
    session = clackamas.session(MEMORIAL_DAY)
    before = record(Published(), clackamas, [session], now=T0)
    entry = record(before, clackamas, [dataclasses.replace(session, sequence=4)], now=T1).entries[MEMORIAL_DAY]
    assert (entry.sequence, entry.since) == (4, T1)
    lower = record(before, clackamas, [dataclasses.replace(session, sequence=0)], now=T1)
    assert lower is before  # a lower computed sequence with the same content changes nothing


def test_a_stamp_never_goes_back_even_if_the_clock_does(clackamas: Schedule) -> None:
    session = clackamas.session(MEMORIAL_DAY)
    before = record(Published(), clackamas, [session], now=T1)
    later = record(before, clackamas, [dataclasses.replace(session, location="X")], now=T1)
    earlier = record(later, clackamas, [dataclasses.replace(session, location="Y")], now=T0)
    assert earlier.entries[MEMORIAL_DAY].since == T1 and earlier.entries[MEMORIAL_DAY].sequence == 3


def test_entries_of_sessions_planned_before_the_window_are_forgotten(clackamas: Schedule) -> None:
    old = Entry(sequence=3, digest="0" * 16, since=T0)
    kept = record(
        Published({"first-monday-20200106@hmis-training.clackamas.us": old, MEMORIAL_DAY: old}),
        clackamas, [], now=T0, forget_before=date(2026, 1, 1),
    )  # fmt: skip
    assert list(kept.entries) == [MEMORIAL_DAY]


def test_the_digest_ignores_the_base_url_and_covers_the_time_as_an_instant(clackamas: Schedule) -> None:
    session = clackamas.session(MEMORIAL_DAY)
    same_instant = dataclasses.replace(
        session, start=session.start.astimezone(UTC), end=session.end.astimezone(UTC)
    )
    assert digest(same_instant, clackamas) == digest(session, clackamas)
    later = dataclasses.replace(session, start=session.start + timedelta(hours=1), end=session.end + timedelta(hours=1))
    assert digest(later, clackamas) != digest(session, clackamas)
    with_url = dataclasses.replace(clackamas, url="https://county.example.org/hmis")
    assert digest(session, with_url) != digest(session, clackamas)  # the page's address is in the description


@pytest.mark.parametrize(
    ("field", "value"),
    [("sequence", -1), ("sequence", True), ("digest", "xyz"), ("since", datetime(2026, 1, 1))],
)
def test_an_entry_checks_itself(field: str, value: object) -> None:
    good: dict[str, object] = {"sequence": 1, "digest": "0123456789abcdef", "since": T0}
    with pytest.raises(ScheduleError) as caught:
        Entry(**{**good, field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


# -- issue 12's hand edits, each published as the server or the command line would --------


def edited(text: str, edit: str | tuple[str, str]) -> str:
    if isinstance(edit, tuple):
        assert edit[0] in text
        return text.replace(edit[0], edit[1], 1)
    return text + edit


HAND_EDITS = {
    "deleting a cancelling change": (CANCEL, "", TRAINER_OUT),
    "excluding a holiday": ("", EXCLUDE, MEMORIAL_DAY),
    "removing a closure": (CLOSURE, "", FLOATING),
    "moving a holiday's session off the holiday": ("", MOVE, MEMORIAL_DAY),
    "closing a day that is a holiday already": ("", CLOSE_HOLIDAY, MEMORIAL_DAY),
}


@pytest.mark.parametrize("case", HAND_EDITS, ids=list(HAND_EDITS))
def test_a_hand_edit_raises_the_sequence_of_the_session_it_changes(case: str, tmp_path: Path) -> None:
    first, then, uid = HAND_EDITS[case]
    base = builtin_text()
    before_text = edited(base, first) if first else base
    after_text = edited(base, then) if then else base
    before, after = schedule_of(before_text), schedule_of(after_text)
    assert after.session(uid).sequence <= before.session(uid).sequence  # what the file alone would publish
    path = tmp_path / "schedule.state.toml"
    old = state.publish(path, before, now=T0)
    new = state.publish(path, after, now=T1)
    assert old.error is None and new.error is None
    was, now = default_feed(before, old.published), default_feed(after, new.published)
    assert int(prop(now, uid, "SEQUENCE")) > int(prop(was, uid, "SEQUENCE"))
    assert prop(now, uid, "DTSTAMP") == prop(now, uid, "LAST-MODIFIED") == "20261202T090000Z"
    entries, was_entries = new.published.entries, old.published.entries
    changed = {u for u in entries if u in was_entries and entries[u].digest != was_entries[u].digest}
    assert uid in changed
    for other in Calendar.from_ical(now).events:
        key = str(other["UID"])
        if key not in changed:
            assert vevent_lines(now, key) == vevent_lines(was, key)  # untouched, stamps included


def test_a_holiday_data_change_raises_the_sequence(clackamas: Schedule, monkeypatch: pytest.MonkeyPatch) -> None:
    before = state.published_for(clackamas, Published(), now=T0)
    window = state.publish_window(clackamas, T0.date())
    memorial = {s.uid for s in clackamas.sessions_between(*window) if s.reason == "Memorial Day"}
    real = hmis_schedule.closures._holidays_in

    def without_memorial_day(*args: object) -> list[dict[date, str]]:
        return [{d: n for d, n in t.items() if n != "Memorial Day"} for t in real(*args)]  # type: ignore[arg-type]

    monkeypatch.setattr(hmis_schedule.closures, "_holidays_in", without_memorial_day)
    upgraded = dataclasses.replace(clackamas)  # a new value: nothing cached from before the "upgrade"
    assert not upgraded.session(MEMORIAL_DAY).cancelled and upgraded.session(MEMORIAL_DAY).sequence == 0
    after = state.published_for(upgraded, before, now=T1)
    assert after.entries[MEMORIAL_DAY].sequence == 2 and after.entries[MEMORIAL_DAY].since == T1
    raised = {u for u in after.entries if after.entries[u] != before.entries[u]}
    assert raised == memorial and MEMORIAL_DAY in memorial
    assert all(before.entries[u].sequence < after.entries[u].sequence for u in raised)


def test_a_time_zone_change_raises_the_sequence_of_exactly_the_sessions_it_moves(clackamas: Schedule) -> None:
    before = state.published_for(clackamas, Published(), now=T0)
    # Arizona keeps standard time all year: winter sessions move by an hour, summer ones do not.
    other = dataclasses.replace(clackamas, timezone="America/Phoenix")
    after = state.published_for(other, before, now=T1)
    moved = {u for u, e in after.entries.items() if e.digest != before.entries[u].digest}
    winter = {s.uid for s in clackamas.sessions_between(date(2026, 8, 25), date(2031, 8, 25)) if s.start.utcoffset() == timedelta(hours=-8)}
    assert moved == winter and winter
    for uid, entry in after.entries.items():
        assert entry.sequence == before.entries[uid].sequence + (uid in winter)
        assert entry.since == (T1 if uid in winter else clackamas.updated)


# -- the state file ------------------------------------------------------------------


def test_publishing_keeps_revocations_and_comments_and_writes_nothing_when_nothing_changed(tmp_path: Path) -> None:
    path = tmp_path / "schedule.state.toml"
    path.write_text('# my notes\n[[revoked]]\nlabel = "Alice"  # left the agency\nat = 2026-12-01T17:30:00Z\n')
    schedule = schedule_of(builtin_text())
    state.publish(path, schedule, now=T0)
    text = path.read_text()
    assert text.startswith('# my notes\n[[revoked]]\nlabel = "Alice"  # left the agency\n')
    assert "do not\n# edit or delete it" in text and f'"{MEMORIAL_DAY}" = {{' in text
    read = state.load_state(path)
    assert [r.label for r in read.revoked] == ["Alice"] and MEMORIAL_DAY in read.published.entries
    mtime = path.stat().st_mtime_ns
    assert state.publish(path, schedule, now=T1).published == read.published
    assert path.stat().st_mtime_ns == mtime
    state.revoke(path, "Bob", now=T1)
    assert state.load_state(path).published == read.published


def test_an_unwritable_state_file_still_gives_the_record_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "schedule.state.toml"
    before = schedule_of(edited(builtin_text(), CANCEL))
    first = state.publish(path, before, now=T0)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    after = schedule_of(builtin_text())
    done = state.publish(path, after, now=T1)
    assert done.error is not None and "read-only" in done.error and str(path) in done.error
    assert done.published.entries[TRAINER_OUT].sequence == 2
    # The next publication, still unsaved, keeps what this process published in memory.
    again = state.publish(path, schedule_of(edited(builtin_text(), CLOSURE)), now=T1, memory=done.published)
    assert again.published.entries[TRAINER_OUT].sequence == 2
    assert state.load_state(path).published == first.published


def test_a_state_file_with_a_bad_record_names_the_field(tmp_path: Path) -> None:
    text = f'[published]\n"{MEMORIAL_DAY}" = {{ sequence = -2, digest = "0123456789abcdef", since = 2026-12-01T00:00:00Z }}\n'
    with pytest.raises(ScheduleError, match=r"published\..*\.sequence: must be a whole number >= 0"):
        state.from_state_toml(text)
    with pytest.raises(ScheduleError, match=r"published: expected a table"):
        state.from_state_toml("published = 3\n")


def test_the_calendar_is_modified_when_its_latest_event_was(clackamas: Schedule) -> None:
    before = state.published_for(clackamas, Published(), now=T0)
    worked = schedule_of(edited(builtin_text(), EXCLUDE))
    after = state.published_for(worked, before, now=T1)
    ics = default_feed(worked, after)
    assert b"LAST-MODIFIED:20261202T090000Z\r\n" in ics.split(b"BEGIN:VTIMEZONE")[0]
    online = feed.render_feed(worked, feed_window(worked, date(2026, 12, 3)), filter="in_person", published=after)
    assert b"LAST-MODIFIED:20261101T000000Z\r\n" in online.split(b"BEGIN:VTIMEZONE")[0]  # Memorial Day is online


def test_json_records_carry_the_published_sequence(clackamas: Schedule) -> None:
    before = state.published_for(clackamas, Published(), now=T0)
    worked = schedule_of(edited(builtin_text(), EXCLUDE))
    after = state.published_for(worked, before, now=T1)
    from hmis_schedule.record import session_record

    assert session_record(worked.session(MEMORIAL_DAY), worked, published=after)["sequence"] == 2
    assert session_record(worked.session(MEMORIAL_DAY), worked)["sequence"] == 0

