"""Edits of a schedule file (hmis_schedule.edit): each edit, each refusal, comments kept, sequences rising.

The oracle for "what the edit did" is the library itself reading the written
file back: the sessions of the edited day, their status, reason and sequence.
A refused edit must leave the file byte for byte as it was.
"""

from __future__ import annotations

import difflib
import os
import stat
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from hmis_schedule import ScheduleError, Status, load_schedule
from hmis_schedule import edit as editing
from hmis_schedule.files import builtin_text
from hmis_schedule.schedule import Schedule
from hmis_schedule.session import Session, session_uid

NOW = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
MY_COMMENT = "# Our own note, written by the county's administrator: keep it."
INLINE = 'country = "US"  # the public holidays of Oregon'


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """A copy of the built-in schedule with the administrator's own comments in it."""
    text = builtin_text().replace('country = "US"', INLINE) + f"\n{MY_COMMENT}\n"
    file = tmp_path / "schedule.toml"
    file.write_text(text, encoding="utf-8")
    return file


def on(schedule: Schedule, day: date) -> list[Session]:
    return schedule.sessions_between(day, day + timedelta(days=1))


def uid(schedule: Schedule, slot: str, day: date) -> str:
    return session_uid(slot, day, schedule.uid_domain)


def removed_lines(before: str, after: str) -> list[str]:
    return [
        line[2:]
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line.startswith("- ")
    ]


# -- close ---------------------------------------------------------------------------


def test_close_cancels_every_session_that_day_and_stamps_the_edit_time(path: Path) -> None:
    day = date(2027, 3, 15)
    before = load_schedule(path)
    outcome = editing.close(path, day, reason="County floating holiday", now=NOW)
    after = load_schedule(path)
    assert outcome.changed and outcome.schedule == after
    assert on(before, day) and all(not s.cancelled for s in on(before, day))
    for old, new in zip(on(before, day), on(after, day), strict=True):
        assert (new.uid, new.status, new.reason) == (old.uid, Status.CANCELLED, "County floating holiday")
        assert new.sequence > old.sequence
    assert after.updated == NOW
    assert str(day) in outcome.summary and on(after, day)[0].slot_id in outcome.notes[0]


def test_close_keeps_every_comment_and_line_of_the_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    editing.close(path, date(2027, 3, 15), reason="County floating holiday", now=NOW)
    editing.cancel(path, "second-monday", date(2027, 1, 11), reason="Trainer out", now=NOW + timedelta(hours=1))
    editing.move(path, "fourth-monday", date(2027, 1, 25), room="PSB 301", now=NOW + timedelta(hours=2))
    new = path.read_text(encoding="utf-8")
    assert removed_lines(text, new) == ["updated = 2026-11-01T00:00:00Z"]
    assert MY_COMMENT in new and INLINE in new
    assert "updated = 2026-12-01T19:30:00Z" in new


def test_the_previous_version_is_kept_beside_the_file(path: Path) -> None:
    editing.close(path, date(2027, 3, 15), reason="Floating holiday", now=NOW)
    previous = path.read_bytes()
    editing.close(path, date(2027, 4, 19), reason="Training day", now=NOW + timedelta(hours=1))
    assert path.with_name("schedule.toml.bak").read_bytes() == previous


def test_closing_a_closed_day_again_updates_its_reason_and_raises_its_sequence(path: Path) -> None:
    day = date(2027, 3, 15)
    editing.close(path, day, reason="Floating holiday", now=NOW)
    first = load_schedule(path)
    outcome = editing.close(path, day, reason="County floating holiday", now=NOW + timedelta(hours=1))
    second = load_schedule(path)
    assert outcome.changed and "was 'Floating holiday'" in outcome.summary
    assert [c.date for c in second.closures] == [day]
    assert second.closures[0].sequence == first.closures[0].sequence + 1
    assert [s.reason for s in on(second, day)] == ["County floating holiday"]
    assert on(second, day)[0].sequence > on(first, day)[0].sequence
    assert second.updated == NOW + timedelta(hours=1)


def test_closing_a_closed_day_for_the_same_reason_leaves_the_file_untouched(path: Path) -> None:
    day = date(2027, 3, 15)
    editing.close(path, day, reason="Floating holiday", now=NOW)
    written = path.read_bytes()
    backup = path.with_name("schedule.toml.bak").read_bytes()
    outcome = editing.close(path, day, reason="Floating holiday", now=NOW + timedelta(days=1))
    assert not outcome.changed and "closed already" in outcome.summary
    assert path.read_bytes() == written
    assert path.with_name("schedule.toml.bak").read_bytes() == backup


def test_closing_a_day_without_sessions_says_it_cancels_nothing(path: Path) -> None:
    outcome = editing.close(path, date(2027, 3, 16), reason="Staff retreat", now=NOW)
    assert outcome.changed
    assert "cancels nothing" in outcome.notes[0] and "2027-03-15" in outcome.notes[0]


def test_close_needs_a_reason(path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(ScheduleError) as caught:
        editing.close(path, date(2027, 3, 15), reason="  ", now=NOW)
    assert caught.value.field == "reason"
    assert path.read_bytes() == before


# -- reopen --------------------------------------------------------------------------


def test_reopen_removes_the_closure_and_the_sessions_sequence_keeps_rising(path: Path) -> None:
    day = date(2027, 3, 15)
    original = load_schedule(path)
    editing.close(path, day, reason="Floating holiday", now=NOW)
    closed = load_schedule(path)
    outcome = editing.reopen(path, day, now=NOW + timedelta(hours=1))
    reopened = load_schedule(path)
    assert reopened.closures == ()
    assert [(s.uid, s.start, s.status) for s in on(reopened, day)] == [
        (s.uid, s.start, s.status) for s in on(original, day)
    ]
    assert all(new.sequence > old.sequence for new, old in zip(on(reopened, day), on(closed, day), strict=True))
    assert "Floating holiday" in outcome.summary and "Taking place again" in outcome.notes[0]


def test_reopen_of_a_public_holiday_works_that_day(path: Path) -> None:
    day = date(2027, 1, 18)  # Martin Luther King Jr. Day, a third Monday
    before = load_schedule(path)
    assert [s.reason for s in on(before, day)] == ["Martin Luther King Jr. Day"]
    editing.reopen(path, day, now=NOW)
    after = load_schedule(path)
    assert after.holidays is not None and after.holidays.exclude == (day,)
    assert [s.status for s in on(after, day)] == [Status.SCHEDULED]
    assert on(after, day)[0].sequence > on(before, day)[0].sequence
    assert INLINE in path.read_text(encoding="utf-8")


def test_reopen_of_a_day_that_is_not_closed_is_refused(path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(ScheduleError) as caught:
        editing.reopen(path, date(2027, 3, 15), now=NOW)
    assert caught.value.field == "date" and "not closed" in str(caught.value)
    assert path.read_bytes() == before
    assert not path.with_name("schedule.toml.bak").exists()


def test_reopen_keeps_the_comments_around_the_removed_closure(tmp_path: Path) -> None:
    text = builtin_text() + (
        "\n[[closures]]\ndate = 2027-03-15\nreason = \"First\"\n# about the second closure\n\n"
        "[[closures]]\ndate = 2027-04-19\nreason = \"Second\"\n# after the closures\n\n"
        "# before the changes\n[[changes]]\nslot = \"first-monday\"\ndate = 2027-01-04\nroom = \"B\"\n"
    )
    file = tmp_path / "s.toml"
    file.write_text(text, encoding="utf-8")
    for day in (date(2027, 4, 19), date(2027, 3, 15)):
        editing.reopen(file, day, now=NOW)
        new = file.read_text(encoding="utf-8")
        for comment in ("# about the second closure", "# after the closures", "# before the changes"):
            assert comment in new
    schedule = load_schedule(file)
    assert schedule.closures == () and schedule.changes[0].room == "B"
    assert all(c.to_date == c.date and c.edited_fields == ("to_date",) for c in schedule.changes[1:])
    assert new.index("# before the changes") < new.index("\n[[changes]]")


# -- cancel and uncancel -----------------------------------------------------------


def test_cancel_marks_one_session_cancelled_with_its_reason(path: Path) -> None:
    day = date(2027, 1, 11)
    before = load_schedule(path)
    outcome = editing.cancel(path, "second-monday", day, reason="Trainer out", now=NOW)
    after = load_schedule(path)
    session = after.session(uid(after, "second-monday", day))
    assert (session.status, session.reason, session.start) == (
        Status.CANCELLED, "Trainer out", before.session(session.uid).start
    )
    assert session.sequence > before.session(session.uid).sequence
    assert "Trainer out" in outcome.summary
    others = [s for s in after.sessions_between(date(2027, 1, 1), date(2027, 2, 1)) if s.uid != session.uid]
    assert others == [s for s in before.sessions_between(date(2027, 1, 1), date(2027, 2, 1)) if s.uid != session.uid]


def test_cancel_on_a_date_the_slot_has_no_session_lists_its_dates_nearby(path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(ScheduleError) as caught:
        editing.cancel(path, "second-monday", date(2027, 1, 12), reason="Trainer out", now=NOW)
    slot = load_schedule(path).slot("second-monday")
    nearby = list(slot.dates(date(2026, 11, 28), date(2027, 2, 27)))
    assert caught.value.field == "date"
    assert all(str(d) in str(caught.value) for d in nearby)
    assert path.read_bytes() == before


def test_cancel_of_an_unknown_slot_lists_the_ids(path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(ScheduleError) as caught:
        editing.cancel(path, "second-tuesday", date(2027, 1, 12), reason="x", now=NOW)
    assert caught.value.field == "slot"
    assert set(caught.value.choices) == {s.id for s in load_schedule(path).slots}
    assert path.read_bytes() == before


def test_cancel_of_a_moved_session_by_its_new_date_cancels_it(path: Path) -> None:
    editing.move(path, "second-monday", date(2027, 2, 8), to_date=date(2027, 2, 9), now=NOW)
    moved = load_schedule(path)
    outcome = editing.cancel(path, "second-monday", date(2027, 2, 9), reason="Room flooded", now=NOW)
    after = load_schedule(path)
    session = after.session(uid(after, "second-monday", date(2027, 2, 8)))
    assert (session.status, session.reason) == (Status.CANCELLED, "Room flooded")
    assert len(after.changes) == 1 and after.changes[0].sequence == moved.changes[0].sequence + 1
    assert session.sequence > moved.session(session.uid).sequence
    assert "planned for Mon 2027-02-08" in " ".join(outcome.notes)


def test_cancelling_again_changes_the_reason_and_raises_the_sequence(path: Path) -> None:
    day = date(2027, 1, 11)
    editing.cancel(path, "second-monday", day, reason="Trainer out", now=NOW)
    first = load_schedule(path)
    editing.cancel(path, "second-monday", day, reason="Trainer out sick", now=NOW)
    second = load_schedule(path)
    key = uid(first, "second-monday", day)
    assert second.session(key).reason == "Trainer out sick"
    assert second.session(key).sequence == first.session(key).sequence + 1
    assert not editing.cancel(path, "second-monday", day, reason="Trainer out sick", now=NOW).changed


def test_uncancel_brings_the_session_back_with_a_higher_sequence(path: Path) -> None:
    day = date(2027, 1, 11)
    original = load_schedule(path)
    editing.cancel(path, "second-monday", day, reason="Trainer out", now=NOW)
    cancelled = load_schedule(path)
    editing.uncancel(path, "second-monday", day, now=NOW)
    after = load_schedule(path)
    key = uid(after, "second-monday", day)
    assert (after.session(key).status, after.session(key).start) == (Status.SCHEDULED, original.session(key).start)
    assert after.session(key).sequence > cancelled.session(key).sequence


def test_uncancel_of_a_session_on_a_holiday_points_to_reopen(path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(ScheduleError, match="reopen 2027-01-18"):
        editing.uncancel(path, "third-monday", date(2027, 1, 18), now=NOW)
    assert path.read_bytes() == before


# -- move ----------------------------------------------------------------------------


def test_move_changes_date_and_room_and_keeps_the_uid(path: Path) -> None:
    before = load_schedule(path)
    outcome = editing.move(
        path, "second-monday", date(2027, 2, 8), to_date=date(2027, 2, 9), room="PSB 301", now=NOW
    )
    after = load_schedule(path)
    key = uid(after, "second-monday", date(2027, 2, 8))
    session = after.session(key)
    assert (session.day, session.room, session.start.time()) == (date(2027, 2, 9), "PSB 301", time(13))
    assert session.moved and session.sequence > before.session(key).sequence
    assert "Tue 2027-02-09" in outcome.summary
    assert on(after, date(2027, 2, 8)) == []


def test_moving_a_moved_session_updates_the_same_change_and_raises_its_sequence(path: Path) -> None:
    editing.move(path, "second-monday", date(2027, 2, 8), to_date=date(2027, 2, 9), now=NOW)
    first = load_schedule(path)
    editing.move(path, "second-monday", date(2027, 2, 9), start=time(14), end=time(17), now=NOW)
    second = load_schedule(path)
    assert len(second.changes) == 1
    assert second.changes[0].sequence == first.changes[0].sequence + 1
    key = uid(second, "second-monday", date(2027, 2, 8))
    session = second.session(key)
    assert (session.day, session.start.time(), session.end.time()) == (date(2027, 2, 9), time(14), time(17))
    assert session.sequence > first.session(key).sequence


def test_moving_back_to_the_planned_date_undoes_the_move(path: Path) -> None:
    planned = date(2027, 2, 8)
    original = load_schedule(path)
    editing.move(path, "second-monday", planned, to_date=date(2027, 2, 9), now=NOW)
    moved = load_schedule(path)
    editing.move(path, "second-monday", date(2027, 2, 9), to_date=planned, now=NOW)
    back = load_schedule(path)
    key = uid(back, "second-monday", planned)
    assert back.session(key).start == original.session(key).start and not back.session(key).moved
    assert back.session(key).sequence > moved.session(key).sequence


def test_a_move_that_would_make_the_file_invalid_is_refused_and_the_file_untouched(path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(editing.EditRefused) as caught:
        editing.move(path, "second-monday", date(2027, 2, 8), start=time(17), now=NOW)
    # One style for every refusal (issue 13): "Not changed: what and why", never "Refused:".
    message = str(caught.value)
    assert caught.value.field == "changes[0].end" and message.startswith("Not changed: ")
    assert "Refused" not in message
    assert path.read_bytes() == before
    assert not path.with_name("schedule.toml.bak").exists()


def test_move_asks_for_something_to_change(path: Path) -> None:
    with pytest.raises(ScheduleError) as caught:
        editing.move(path, "second-monday", date(2027, 2, 8), now=NOW)
    assert "say what to change" in str(caught.value)


def test_moving_onto_a_closed_day_says_the_session_shows_cancelled(path: Path) -> None:
    outcome = editing.move(path, "second-monday", date(2027, 1, 11), to_date=date(2027, 1, 18), now=NOW)
    assert any("closed (Martin Luther King Jr. Day)" in note for note in outcome.notes)
    assert load_schedule(path).session(uid(outcome.schedule, "second-monday", date(2027, 1, 11))).cancelled


# -- add-session -----------------------------------------------------------------------


def test_add_session_adds_a_session_outside_the_rules(path: Path) -> None:
    day = date(2027, 1, 20)
    editing.add_session(
        path, "spanish-jan", day, start=time(9), end=time(12), modality="online",
        location="Microsoft Teams", notes="En español", now=NOW,
    )
    after = load_schedule(path)
    [session] = on(after, day)
    assert (session.uid, session.notes, session.status) == (uid(after, "spanish-jan", day), "En español", Status.SCHEDULED)


@pytest.mark.parametrize(
    ("session_id", "kwargs", "field"),
    [
        ("first-monday", {"modality": "online"}, "id"),
        ("Spanish Session", {"modality": "online"}, "id"),
        ("spanish", {"modality": "in_person"}, "extra_sessions[0].location"),
        ("spanish", {"modality": "online", "end": time(8)}, "extra_sessions[0].end"),
        ("spanish", {"modality": "hybrid"}, "modality"),
    ],
)
def test_add_session_refusals_name_the_field_and_leave_the_file(
    path: Path, session_id: str, kwargs: dict[str, object], field: str
) -> None:
    before = path.read_bytes()
    arguments: dict[str, object] = {"start": time(9), "end": time(12), **kwargs}
    with pytest.raises(ScheduleError) as caught:
        editing.add_session(path, session_id, date(2027, 1, 20), now=NOW, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert path.read_bytes() == before


# -- what no edit may do ---------------------------------------------------------------


def test_the_built_in_schedule_is_never_edited_in_place() -> None:
    from importlib import resources

    builtin = Path(str(resources.files("hmis_schedule").joinpath("data/clackamas.toml")))
    before = builtin.read_bytes()
    with pytest.raises(ScheduleError, match="read-only"):
        editing.close(builtin, date(2027, 3, 15), reason="x", now=NOW)
    assert builtin.read_bytes() == before


def test_an_invalid_file_is_not_edited_and_its_problems_are_listed(path: Path) -> None:
    path.write_text(path.read_text().replace('start = "09:00"', 'start = "9 am"', 1).replace("ordinal = 2", "ordinal = 9"))
    before = path.read_bytes()
    with pytest.raises(editing.EditRefused) as caught:
        editing.close(path, date(2027, 3, 15), reason="x", now=NOW)
    assert {p.field for p in caught.value.problems} == {"slots[0].start", "slots[1].ordinal"}
    assert str(caught.value).startswith("Not changed: ") and "Fix them first" in str(caught.value)
    assert path.read_bytes() == before


def test_a_missing_file_is_reported_with_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="hmis-schedule init"):
        editing.close(tmp_path / "none.toml", date(2027, 3, 15), reason="x", now=NOW)


def test_the_edit_time_must_be_aware(path: Path) -> None:
    with pytest.raises(ScheduleError) as caught:
        editing.close(path, date(2027, 3, 15), reason="x", now=datetime(2026, 12, 1))
    assert caught.value.field == "now"


def test_updated_never_goes_back_when_the_clock_is_behind_the_file(path: Path) -> None:
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW)
    editing.close(path, date(2027, 4, 19), reason="y", now=NOW - timedelta(days=30))
    assert load_schedule(path).updated == NOW + timedelta(seconds=1)


def test_an_edit_through_a_symbolic_link_edits_the_file_it_points_to(path: Path, tmp_path: Path) -> None:
    link = tmp_path / "current.toml"
    link.symlink_to(path)
    editing.close(link, date(2027, 3, 15), reason="x", now=NOW)
    assert link.is_symlink() and [c.date for c in load_schedule(path).closures] == [date(2027, 3, 15)]


def test_an_edit_keeps_the_files_permissions(path: Path) -> None:
    os.chmod(path, 0o640)
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.with_name("schedule.toml.bak").stat().st_mode) == 0o640


def test_temporary_files_left_by_a_killed_writer_are_removed_by_the_next_edit(path: Path) -> None:
    stale = path.with_name(".schedule.toml.0123456789abcdef.tmp")
    stale.write_text("half a schedule")
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW)
    assert not stale.exists()
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith(".")) == []


def test_write_new_refuses_an_existing_file_unless_told_to_overwrite(path: Path) -> None:
    before = path.read_bytes()
    with pytest.raises(ScheduleError, match="exists already"):
        editing.write_new(path, builtin_text())
    assert path.read_bytes() == before
    editing.write_new(path, builtin_text(), overwrite=True)
    assert path.read_text(encoding="utf-8") == builtin_text()
    assert path.with_name("schedule.toml.bak").read_bytes() == before


def test_write_new_refuses_text_that_is_not_a_schedule(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError):
        editing.write_new(tmp_path / "s.toml", 'id = "x"')
    assert not (tmp_path / "s.toml").exists()


def test_a_file_with_inline_arrays_is_edited_in_the_same_style(tmp_path: Path) -> None:
    file = tmp_path / "inline.toml"
    file.write_text(
        builtin_text().replace('url = ""\n', 'url = ""\nclosures = [{ date = 2027-03-15, reason = "First" }]  # inline\n'),
        encoding="utf-8",
    )
    editing.close(file, date(2027, 4, 19), reason="Second", now=NOW)
    assert [(c.date, c.reason) for c in load_schedule(file).closures] == [
        (date(2027, 3, 15), "First"), (date(2027, 4, 19), "Second")
    ]
    editing.reopen(file, date(2027, 3, 15), now=NOW)
    text = file.read_text(encoding="utf-8")
    assert [c.reason for c in load_schedule(file).closures] == ["Second"]
    assert "\n[[closures]]" not in text and "# inline" in text


def test_an_edit_waits_for_the_lock_and_gives_up_with_a_clear_message(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import filelock

    monkeypatch.setattr(editing, "LOCK_TIMEOUT", 0.2)
    before = path.read_bytes()
    with filelock.FileLock(f"{path}.lock"), pytest.raises(ScheduleError, match="try again"):
        editing.close(path, date(2027, 3, 15), reason="x", now=NOW)
    assert path.read_bytes() == before
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW)  # the lock is free again
    assert len(load_schedule(path).closures) == 1


def test_a_read_only_file_is_not_edited(path: Path) -> None:
    os.chmod(path, 0o444)
    before = path.read_bytes()
    with pytest.raises(ScheduleError, match="is read-only") as caught:
        editing.close(path, date(2027, 3, 15), reason="x", now=NOW)
    assert caught.value.source == str(path)
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert not path.with_name("schedule.toml.bak").exists()
    os.chmod(path, 0o644)
    assert editing.close(path, date(2027, 3, 15), reason="x", now=NOW).changed  # writable again


def test_a_failed_edit_of_a_missing_file_leaves_no_lock_file(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="hmis-schedule init"):
        editing.cancel(tmp_path / "mistyped.toml", "second-monday", date(2027, 1, 11), reason="x", now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_edit_leaves_the_file_and_its_backup_untouched(path: Path) -> None:
    editing.close(path, date(2027, 3, 15), reason="x", now=NOW)
    files = {p.name: p.read_bytes() for p in path.parent.iterdir() if not p.name.endswith(".lock")}
    with pytest.raises(ScheduleError):
        editing.move(path, "second-monday", date(2027, 1, 11), start=time(17), now=NOW)  # ends before it starts
    assert {p.name: p.read_bytes() for p in path.parent.iterdir() if not p.name.endswith(".lock")} == files
