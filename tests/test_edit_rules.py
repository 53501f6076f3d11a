"""The edit rules of hmis_schedule.edit (issue 13): no change of the past and no overlap unless allowed,
one style of refusal, a preview (dry run) that writes nothing and reports the same changes as the real edit,
a confirm refused when the file changed since its preview, and a comment on every entry an edit adds."""

from __future__ import annotations

import contextlib
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmis_schedule import edit as editing
from hmis_schedule.diff import SessionChange
from hmis_schedule.errors import ScheduleError
from hmis_schedule.files import builtin_text, load_schedule
from hmis_schedule.session import Status

NOW = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)  # Wed 2026-12-02 11:00 in Oregon
PAST_MONDAY = date(2026, 11, 9)  # second-monday 13:00-16:00, taken place
LATER = date(2027, 1, 11)  # second-monday 13:00-16:00, to come


@pytest.fixture
def path(schedule_file: Path) -> Path:
    return schedule_file


def _refused_untouched(path: Path, kind: type[editing.EditRefused], run: object) -> editing.EditRefused:
    backup = path.with_name(path.name + ".bak")
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    kept = backup.read_bytes() if backup.exists() else None
    with pytest.raises(kind) as caught:
        run()  # type: ignore[operator]
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert (backup.read_bytes() if backup.exists() else None) == kept
    return caught.value


# -- the past ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["close", "reopen", "cancel", "uncancel", "move", "move-into-the-past", "add-session"],
)
def test_an_edit_of_the_past_is_refused_unless_allowed(path: Path, name: str) -> None:
    def run(**allow: bool) -> editing.Outcome:
        if name == "close":
            return editing.close(path, PAST_MONDAY, reason="Snow", now=NOW, **allow)
        if name == "reopen":
            return editing.reopen(path, date(2026, 11, 11), now=NOW, **allow)  # Veterans Day, a Wednesday
        if name == "cancel":
            return editing.cancel(path, "second-monday", PAST_MONDAY, reason="Trainer out", now=NOW, **allow)
        if name == "uncancel":
            return editing.uncancel(path, "second-monday", PAST_MONDAY, now=NOW, **allow)
        if name == "move":
            return editing.move(path, "second-monday", PAST_MONDAY, room="PSB 301", now=NOW, **allow)
        if name == "move-into-the-past":
            return editing.move(path, "second-monday", LATER, to_date=date(2026, 11, 30), now=NOW, **allow)
        return editing.add_session(
            path, "make-up", date(2026, 11, 18), start=time(9), end=time(12), modality="online", now=NOW, **allow
        )

    if name == "uncancel":  # a session cancelled in the past, to undo
        editing.cancel(path, "second-monday", PAST_MONDAY, reason="Trainer out", now=NOW, allow_past=True)
        path.with_name(path.name + ".bak").unlink()
    err = _refused_untouched(path, editing.PastEditRefused, run)
    message = str(err)
    assert message.startswith("Not changed: ") and ("past" in message or "taken place" in message)
    assert "Refused" not in message and "not done" not in message
    assert err.override == "allow_past" and isinstance(err, ScheduleError)
    assert run(allow_past=True).changed


def test_a_session_that_has_started_is_refused_and_one_later_today_is_not(path: Path) -> None:
    # Mon 2027-01-11: second-monday 13:00-16:00 in Oregon; now is 14:00 there, then 10:00.
    during = datetime(2027, 1, 11, 22, 0, tzinfo=UTC)
    err = _refused_untouched(
        path, editing.PastEditRefused,
        lambda: editing.cancel(path, "second-monday", LATER, reason="x", now=during),
    )
    assert "has already started" in str(err) and err.sessions[0].slot_id == "second-monday"
    morning = datetime(2027, 1, 11, 18, 0, tzinfo=UTC)
    assert editing.close(path, LATER, reason="Power cut", now=morning).changed


def test_closing_a_past_day_without_sessions_is_refused_too(path: Path) -> None:
    err = _refused_untouched(
        path, editing.PastEditRefused, lambda: editing.close(path, date(2026, 11, 10), reason="x", now=NOW)
    )
    assert err.day == date(2026, 11, 10) and "Tue 2026-11-10 is in the past" in str(err)


def test_the_past_is_reckoned_in_the_schedules_zone(path: Path) -> None:
    # 2026-12-03 02:00 UTC is still Wed 2026-12-02 in Oregon: closing Wed 2026-12-02 (no session) is today, allowed.
    late = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert editing.close(path, date(2026, 12, 2), reason="Staff day", now=late).changed
    with pytest.raises(editing.PastEditRefused):
        editing.close(path, date(2026, 12, 1), reason="Staff day", now=late)


# -- overlaps ------------------------------------------------------------------------------


def test_an_added_session_that_overlaps_another_is_refused_unless_allowed(path: Path) -> None:
    def add(**allow: bool) -> editing.Outcome:
        return editing.add_session(
            path, "make-up", date(2027, 1, 4), start=time(10), end=time(11), modality="online", now=NOW, **allow
        )

    err = _refused_untouched(path, editing.OverlapRefused, add)
    assert err.override == "allow_overlap" and [o.slot_id for o in err.others] == ["first-monday"]
    assert str(err).startswith("Not changed: make-up on Mon 2027-01-04 10:00-11:00 would overlap first-monday")
    done = add(allow_overlap=True)
    assert done.changed and any("overlaps first-monday" in n for n in done.notes)


def test_a_session_next_to_another_does_not_overlap_it(path: Path) -> None:
    done = editing.add_session(
        path, "make-up", date(2027, 1, 4), start=time(12), end=time(13), modality="online", now=NOW
    )
    assert done.changed


def test_a_move_onto_another_sessions_time_is_refused_unless_allowed(path: Path) -> None:
    # second-monday (13:00-16:00) moved to the first Monday of February, 2027-02-01, at 09:00-12:00.
    def move(**allow: bool) -> editing.Outcome:
        return editing.move(
            path, "second-monday", date(2027, 2, 8), to_date=date(2027, 2, 1), start=time(9), end=time(12),
            now=NOW, **allow,
        )

    _refused_untouched(path, editing.OverlapRefused, move)
    assert move(allow_overlap=True).changed


def test_an_overlap_with_a_cancelled_session_is_no_overlap(path: Path) -> None:
    editing.cancel(path, "first-monday", date(2027, 1, 4), reason="Trainer out", now=NOW)
    done = editing.add_session(
        path, "make-up", date(2027, 1, 4), start=time(9), end=time(12), modality="online", now=NOW
    )
    assert done.changed


# -- one style of message ------------------------------------------------------------------------------


def test_every_refusal_reads_what_why_and_what_to_do(path: Path) -> None:
    cases = [
        lambda: editing.close(path, PAST_MONDAY, reason="x", now=NOW),
        lambda: editing.cancel(path, "second-monday", date(2027, 1, 12), reason="x", now=NOW),
        lambda: editing.reopen(path, date(2027, 3, 16), now=NOW),
        lambda: editing.move(path, "second-monday", LATER, start=time(17), now=NOW),
        lambda: editing.cancel(path, "no-such-slot", LATER, reason="x", now=NOW),
    ]
    for case in cases:
        with pytest.raises(ScheduleError) as caught:
            case()
        message = editing.refusal(caught.value)
        assert message.startswith("Not changed: "), message
        assert "not done" not in message.lower() and "Refused" not in message
        assert caught.value.field  # the field stays on the exception for programs
    with pytest.raises(editing.PastEditRefused) as past:
        cases[0]()
    assert editing.refusal(past.value, "Pass --allow-past to change it anyway.").endswith(
        "is in the past (today is Wed 2026-12-02). Pass --allow-past to change it anyway."
    )


# -- the preview ---------------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_says_what_would_change(path: Path) -> None:
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    preview = editing.close(path, LATER, reason="Office closed", now=NOW, dry_run=True)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    assert not path.with_name(path.name + ".bak").exists()
    assert preview.dry_run and preview.changed and preview.version == editing.file_version(path)
    assert [c.describe() for c in preview.changes] == ["Mon 2027-01-11 13:00-16:00 in person: cancelled (Office closed)"]
    assert [c.describe("es") for c in preview.changes] == [
        "lun 2027-01-11 13:00-16:00 presencial: cancelada (Office closed)"
    ]
    change = preview.changes[0]
    assert change.before is not None and change.before.status is Status.SCHEDULED
    assert change.after is not None and change.after.status is Status.CANCELLED


def test_a_confirm_after_the_file_changed_is_refused(path: Path) -> None:
    preview = editing.cancel(path, "second-monday", LATER, reason="Trainer out", now=NOW, dry_run=True)
    editing.close(path, date(2027, 3, 15), reason="Floating holiday", now=NOW)
    err = _refused_untouched(
        path, editing.StaleEditRefused,
        lambda: editing.cancel(
            path, "second-monday", LATER, reason="Trainer out", now=NOW, expect_version=preview.version
        ),
    )
    assert err.expected == preview.version and err.found == editing.file_version(path)
    assert str(err).startswith("Not changed: the schedule file changed after the preview")
    fresh = editing.cancel(path, "second-monday", LATER, reason="Trainer out", now=NOW, dry_run=True)
    assert editing.cancel(
        path, "second-monday", LATER, reason="Trainer out", now=NOW, expect_version=fresh.version
    ).changed


def test_a_move_is_described_from_and_to(path: Path) -> None:
    done = editing.move(path, "second-monday", date(2027, 2, 8), to_date=date(2027, 2, 9), room="PSB 301", now=NOW)
    assert [c.describe() for c in done.changes] == [
        "Mon 2027-02-08 13:00-16:00 in person: moved to Tue 2027-02-09 13:00-16:00; room PSB 301 (was PSB 216)"
    ]


def _edits() -> st.SearchStrategy[tuple[str, date, int]]:
    """An edit (its name), a date from 4 weeks back to a year ahead, and a small number for its details."""
    days = st.integers(-28, 365).map(lambda n: NOW.date() + timedelta(days=n))
    kinds = st.sampled_from(["close", "reopen", "cancel", "uncancel", "move", "add-session"])
    return st.tuples(kinds, days, st.integers(0, 6))


def _run(path: Path, kind: str, day: date, n: int, **options: object) -> editing.Outcome:
    schedule = load_schedule(path)
    near = schedule.sessions_between(day, day + timedelta(days=40))
    session = near[n % len(near)] if near else None
    slot, planned = (session.slot_id, session.original_date) if session else ("second-monday", day)
    if kind == "close":
        return editing.close(path, day, reason="Closed", now=NOW, **options)  # type: ignore[arg-type]
    if kind == "reopen":
        return editing.reopen(path, day, now=NOW, **options)  # type: ignore[arg-type]
    if kind == "cancel":
        return editing.cancel(path, slot, planned, reason="Trainer out", now=NOW, **options)  # type: ignore[arg-type]
    if kind == "uncancel":
        return editing.uncancel(path, slot, planned, now=NOW, **options)  # type: ignore[arg-type]
    if kind == "move":
        return editing.move(
            path, slot, planned, to_date=planned + timedelta(days=n - 3), room=f"Room {n}", now=NOW, **options  # type: ignore[arg-type]
        )
    return editing.add_session(
        path, f"extra-{n}", day, start=time(8 + n), end=time(9 + n), modality="online", now=NOW, **options  # type: ignore[arg-type]
    )


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=_edits(), second=_edits(), allow=st.booleans())
def test_a_dry_run_reports_what_the_real_edit_then_does(
    tmp_path_factory: pytest.TempPathFactory, first: tuple[str, date, int], second: tuple[str, date, int], allow: bool
) -> None:
    path = tmp_path_factory.mktemp("dry") / "s.toml"
    editing.write_new(path, builtin_text())
    options = {"allow_past": allow, "allow_overlap": allow}
    with contextlib.suppress(ScheduleError):  # a first edit, so the second one works on a file with changes in it
        _run(path, *first, **options)
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    try:
        preview = _run(path, *second, dry_run=True, **options)
    except ScheduleError as err:
        assert path.read_bytes() == before
        with pytest.raises(type(err)) as again:
            _run(path, *second, **options)
        assert str(again.value) == str(err)  # the real edit is refused the same way
        return
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime
    real = _run(path, *second, expect_version=preview.version, **options)
    assert real.changes == preview.changes and real.summary == preview.summary and real.changed == preview.changed
    assert (path.read_bytes() != before) == real.changed
    for change in real.changes:
        assert isinstance(change, SessionChange) and change.describe() and change.describe("es")
        if not allow:
            assert all(s.start >= NOW for s in (change.before, change.after) if s is not None)


# -- comments ---------------------------------------------------------------------------------


def test_every_entry_an_edit_adds_carries_a_comment_saying_what_it_does(path: Path) -> None:
    editing.close(path, date(2027, 3, 15), reason="Floating holiday", now=NOW)
    editing.cancel(path, "second-monday", LATER, reason="Trainer out", now=NOW)
    editing.uncancel(path, "second-monday", LATER, now=NOW)
    editing.move(path, "second-monday", date(2027, 2, 8), to_date=date(2027, 2, 9), now=NOW)
    editing.add_session(path, "make-up", date(2027, 1, 20), start=time(9), end=time(12), modality="online", now=NOW)
    editing.reopen(path, date(2027, 1, 18), now=NOW)  # a holiday: added to [holidays].exclude
    text = path.read_text()
    lines = text.splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith("[[")]
    added = len(headers) - sum(line.startswith("[[") for line in builtin_text().splitlines())
    commented = [i for i in headers if lines[i + 1].startswith("# hmis-schedule")]
    assert added == 5 and len(commented) == added  # close, cancel (then uncancel), move, add, reopen's keeping change
    assert "# hmis-schedule uncancel:" in text and "# hmis-schedule cancel:" not in text  # replaced, not stacked
    assert "# hmis-schedule reopen:" in next(line for line in text.splitlines() if line.startswith("exclude"))
    tomllib.loads(text)


def test_every_description_of_a_change_is_translated_into_spanish() -> None:
    import ast

    from hmis_schedule.i18n import translations

    source = (Path(__file__).resolve().parent.parent / "hmis_schedule" / "diff.py").read_text()
    messages = {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_"
        and node.args and isinstance(node.args[0], ast.Constant)
    }  # fmt: skip
    assert len(messages) >= 15
    spanish = translations("es", "cli").gettext
    assert [m for m in sorted(messages) if spanish(m) == m] == []
