"""Safe edits of a schedule file: close and reopen a day, cancel, move or add a session.

Every edit reads top-down in one ``with _editing(path, now) as e:`` block and
takes the same steps, under the file's lock (:func:`hmis_schedule.writer.locked`)
held from the read to the write, so concurrent editors never lose one
another's edits:

1. read the file and check it: a file that is invalid already is not edited
   (the error lists its problems, to be fixed by hand first);
2. change the TOML document with :mod:`hmis_schedule.tomldoc` (``tomlkit``),
   which keeps comments and layout;
3. re-read the edited text with :func:`hmis_schedule.files.from_toml`: an edit
   that would make the file invalid is refused with the reason, and the file
   is untouched; then raise the ``sequence`` of the closure or change it
   edits, make sure every session whose content changes gets a higher
   sequence than before, and set the top-level ``updated`` to the edit time
   ``now``, so calendars update;
4. compute the outcome (what changed, in words) and the text to write;
5. on leaving the block without an error, write that text in one place,
   :func:`hmis_schedule.writer.write_atomic`: the previous version to
   ``<file>.bak``, then the new text through a fsynced temporary file renamed
   over the file, and the folder fsynced. A crash at any moment leaves the
   old file or the new one, never a torn one. A read-only file (``chmod 444``)
   is not replaced.

Before anything is written, the outcome lists what subscribers will see
change (:class:`~hmis_schedule.diff.SessionChange`, over the dates the feeds
publish and the days the edit names), and two rules are checked on it:

- **the past**: an edit that changes a session that has started already (its
  start before ``now``), moves one to a time before ``now``, or closes or
  reopens a day before today (in the schedule's zone), is refused with
  :class:`PastEditRefused` unless ``allow_past=True``;
- **overlaps**: an edit that makes a session take place at the same time as
  another session that takes place is refused with :class:`OverlapRefused`
  unless ``allow_overlap=True``.

Every edit also takes ``dry_run=True`` (a preview: the same checks and the
same :class:`Outcome`, nothing written), ``expect_version`` (the
:attr:`Outcome.version` of the preview: the confirm is refused with
:class:`StaleEditRefused` if the file changed since) and ``actor`` (who: the
edit is then recorded in the audit log, :mod:`hmis_schedule.audit`, under
the same lock). Every refusal reads "Not changed: what and why. What to do."
(:func:`refusal`); every entry an edit adds or changes gets a one-line
comment starting ``# hmis-schedule`` saying what it does.

An edit that changes nothing (closing a day already closed for the same
reason) leaves the file untouched and says so; an edit that fails leaves it
untouched too. The built-in schedule is never edited in place: copy it with
:func:`write_new` (``hmis-schedule init``).

>>> import tempfile
>>> from datetime import UTC, date, datetime
>>> from pathlib import Path
>>> from hmis_schedule.files import builtin_text, load_schedule
>>> folder = tempfile.TemporaryDirectory()
>>> path = write_new(Path(folder.name) / "schedule.toml", builtin_text())
>>> now = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
>>> print(close(path, date(2027, 3, 15), reason="County floating holiday", now=now).summary)
Closed Mon 2027-03-15: County floating holiday.
>>> [s.status.value for s in load_schedule(path).sessions_between(date(2027, 3, 15), date(2027, 3, 16))]
['cancelled']
>>> folder.cleanup()
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import tomlkit
import tomlkit.exceptions
from tomlkit.toml_document import TOMLDocument

from . import audit, tomldoc, values, writer
from .diff import SessionChange, session_changes, visible
from .errors import ScheduleError, SessionNotFoundError
from .files import decode_text, from_toml
from .rules import Modality, check_id
from .schedule import Schedule
from .session import Session, session_uid
from .state import publish_window, state_path
from .writer import LOCK_TIMEOUT

__all__ = [
    "LOCK_TIMEOUT",
    "OVERLAP_ADVICE",
    "PAST_ADVICE",
    "STALE_ADVICE",
    "EditRefused",
    "Outcome",
    "OverlapRefused",
    "PastEditRefused",
    "SessionChange",
    "StaleEditRefused",
    "add_session",
    "cancel",
    "close",
    "file_version",
    "move",
    "refusal",
    "reopen",
    "uncancel",
    "write_new",
]

_UTC = UTC
_NEARBY = timedelta(days=45)
_EDITED_FIELDS = ("to_date", "start", "end", "modality", "location", "room", "notes")
_KEEP_COMMENT = "# hmis-schedule: keeps this session as planned, with a higher sequence so calendars show it again."
_COMMENTS = {
    "close": "# hmis-schedule close: the office is closed this day; its sessions show as cancelled.",
    "cancel": "# hmis-schedule cancel: this session is cancelled; calendars keep it, marked cancelled.",
    "uncancel": "# hmis-schedule uncancel: takes place as planned again (kept so calendars see a higher sequence).",
    "move": "# hmis-schedule move: this session is moved or changed; calendars update it in place.",
    "add-session": "# hmis-schedule add-session: a session outside the recurring pattern.",
}
_EXCLUDE_COMMENT = "hmis-schedule reopen: public holidays that are working days for the training"
_MISSING = "no such file: create one with `hmis-schedule init FILE`"
_SAME = "the file says so already"


class EditRefused(ScheduleError):
    """An edit that was not made; the file is untouched.

    The message reads the same way for every refusal: "Not changed: " what
    was refused and why, then what to do. The parts stay available to
    programs: ``why`` (the first sentence), ``todo`` (what to do, in words a
    caller may replace, see :meth:`text`), ``problems`` (every problem, with
    its field path) and, for a refusal a person may override, ``override``
    (the keyword argument that does it, such as ``"allow_past"``).
    """

    override: str | None = None
    """The keyword argument that makes the edit anyway, or ``None`` if there is none."""

    def __init__(
        self, why: str, err: ScheduleError | None = None, *, todo: str = "", field: str = ""
    ) -> None:
        self.why = why
        self.todo = todo
        self.detail = err is not None
        if err is None:
            super().__init__(why, field=field)
        else:
            super().__init__("", source=err.source, choices=err.choices, problems=err.problems)

    def text(self, todo: str | None = None) -> str:
        """The message, with ``todo`` (for example "Pass --allow-past to change it anyway.") as what to do."""
        todo = self.todo if todo is None else todo
        head = f"{self.why} {todo}".strip()
        return f"{head}\n{ScheduleError.__str__(self)}" if self.detail else head

    def __str__(self) -> str:
        return self.text()


class PastEditRefused(EditRefused):
    """An edit that would change a session that has started already, or a day before today.

    ``sessions`` are the sessions concerned (as they were, or as the edit
    would make them); ``day`` is the past day named, if any.
    """

    override = "allow_past"

    def __init__(self, why: str, *, sessions: tuple[Session, ...] = (), day: date | None = None) -> None:
        super().__init__(why, todo=PAST_ADVICE, field="date")
        self.sessions = sessions
        self.day = day


class OverlapRefused(EditRefused):
    """An edit that would make a session take place at the same time as another one.

    ``session`` is the session as the edit would make it; ``others`` are the
    sessions it would overlap.
    """

    override = "allow_overlap"

    def __init__(self, why: str, *, session: Session, others: tuple[Session, ...]) -> None:
        super().__init__(why, todo=OVERLAP_ADVICE, field="start")
        self.session = session
        self.others = others


class StaleEditRefused(EditRefused):
    """A confirmed edit whose file changed since its preview (``expect_version`` no longer matches).

    ``expected`` is the version the preview was made on; ``found`` the file's version now.
    """

    def __init__(self, why: str, *, expected: str, found: str) -> None:
        super().__init__(why, todo=STALE_ADVICE, field="version")
        self.expected = expected
        self.found = found


PAST_ADVICE = "To change it anyway, confirm that you mean to change the past."
"""What a :class:`PastEditRefused` says to do; callers say how (``--allow-past``, a check box)."""
OVERLAP_ADVICE = "To make the change anyway, confirm that both sessions may take place at once."
"""What an :class:`OverlapRefused` says to do."""
STALE_ADVICE = "Look at the new preview and confirm again."
"""What a :class:`StaleEditRefused` says to do."""


def refusal(err: ScheduleError, todo: str | None = None) -> str:
    """Any error an edit raised, as one message in the style of :class:`EditRefused`: "Not changed: ..., why. What to do."

    The command line and the admin pages print edits' errors through this,
    so every refusal reads the same way. ``todo`` replaces what an
    :class:`EditRefused` says to do (the command line names its flag).

    >>> print(refusal(ScheduleError("slot 'x' has no session on Mon 2027-01-11", field="date")))
    Not changed: slot 'x' has no session on Mon 2027-01-11.
    """
    if isinstance(err, EditRefused):
        return err.text(todo)
    if len(err.problems) == 1:
        problem = err.problems[0]
        # A field path inside a file (changes[0].end) says where; a parameter's name (date) adds nothing.
        body = str(problem) if "[" in problem.field or "." in problem.field else problem.message
        where = f"{err.source}: " if err.source else ""
        return f"Not changed: {where}{body.rstrip('.')}."
    return f"Not changed: {ScheduleError.__str__(err)}"


def file_version(path: str | Path) -> str:
    """The version of the file ``path``: a digest of its bytes (SHA-256, hex), as :attr:`Outcome.version` says.

    A preview's :attr:`Outcome.version`, passed back as ``expect_version``,
    refuses the confirmed edit if the file changed in between.

    Raises
    ------
    ScheduleError
        If the file is missing, a folder, or cannot be read.
    """
    return _digest(_read_bytes(_target(path)))


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What an edit did.

    Attributes
    ----------
    path:
        The file edited (symbolic links resolved).
    changed:
        Whether the file was rewritten; ``False`` when it said so already.
    summary:
        One sentence for a person: what changed.
    notes:
        What else to know (the sessions that day, a closed landing day, ...).
    schedule:
        The schedule as the file now describes it (or would, after a dry run).
    changes:
        What subscribers see change, session by session (over the dates the
        feeds publish and the days the edit names); empty when nothing changed.
    dry_run:
        Whether this was a preview: then nothing was written and ``changed``
        says whether the file would be rewritten.
    version:
        The version (:func:`file_version`) of the file the edit read; pass it
        as ``expect_version`` to confirm a preview.
    """

    path: Path
    changed: bool
    summary: str
    notes: tuple[str, ...] = ()
    schedule: Schedule
    changes: tuple[SessionChange, ...] = ()
    dry_run: bool = False
    version: str = ""


# -- the edits --------------------------------------------------------------


def close(
    path: str | Path,
    day: date,
    *,
    reason: str,
    now: datetime,
    allow_past: bool = False,
    allow_overlap: bool = False,
    dry_run: bool = False,
    expect_version: str | None = None,
    actor: str | None = None,
    audit_file: str | Path | None = None,
) -> Outcome:
    """Close the office on ``day``: every session that day is cancelled with ``reason``.

    If ``day`` has a closure already, its reason is updated and its sequence
    raised (nothing changes when the reason is the same).

    Parameters
    ----------
    path:
        The schedule file.
    day:
        The date to close, in the schedule's zone.
    reason:
        Why, as subscribers will read it ("County floating holiday").
    now:
        The edit time (an aware datetime); it becomes the file's ``updated``.

    Returns
    -------
    An :class:`Outcome`; its notes list the sessions the closure cancels.

    Raises
    ------
    ScheduleError
        For an empty reason, an unreadable or invalid file (:class:`EditRefused`),
        or the built-in schedule. The file is then untouched.

    >>> import tempfile
    >>> from hmis_schedule.files import builtin_text
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_new(Path(folder.name) / "s.toml", builtin_text())
    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> outcome = close(path, date(2027, 3, 15), reason="Floating holiday", now=now)
    >>> outcome.notes
    ('Cancelled: third-monday Mon 2027-03-15 09:00-12:00.',)
    >>> close(path, date(2027, 3, 15), reason="County floating holiday", now=now).summary
    "Changed the reason of the closure on Mon 2027-03-15 to 'County floating holiday' (was 'Floating holiday')."
    >>> folder.cleanup()
    """
    reason = _required_text(reason, "reason", "say why the office is closed")
    options = _Options(
        allow_past=allow_past, allow_overlap=allow_overlap, dry_run=dry_run,
        expect_version=expect_version, actor=actor, audit_file=audit_file,
    )
    with _editing(path, now, "close", options) as e:
        e.affects(day)
        e.names_day(day)
        index = _index(e.before.closures, lambda c: c.date == day)
        if index is None:
            tomldoc.append_entry(e.doc, "closures", {"date": day, "reason": reason}, comment=_COMMENTS["close"])
            summary, same = f"Closed {_day(day)}: {reason}.", _SAME
        else:
            old = e.before.closures[index].reason
            entry = e.entry("closures", index)
            tomldoc.set_key(entry, "reason", reason)
            tomldoc.set_comment(entry, _COMMENTS["close"])
            e.raise_sequence(entry)
            summary = f"Changed the reason of the closure on {_day(day)} to {reason!r} (was {old!r})."
            same = f"{_day(day)} is closed already: {old}"
        after = e.after()
        if after is None:
            return e.unchanged(same)
        landing = after.sessions_between(day, day + timedelta(days=1))
        if landing:
            note = "Cancelled: " + "; ".join(f"{s.slot_id} {_when(s)}" for s in landing) + "."
        else:
            note = (
                f"No session is planned on {_day(day)}, so the closure cancels nothing "
                f"(sessions nearby: {_nearby_sessions(after, day)})."
            )
        return e.outcome(summary, [note])


def reopen(
    path: str | Path,
    day: date,
    *,
    now: datetime,
    allow_past: bool = False,
    allow_overlap: bool = False,
    dry_run: bool = False,
    expect_version: str | None = None,
    actor: str | None = None,
    audit_file: str | Path | None = None,
) -> Outcome:
    """Open the office again on ``day``: remove its closure, or work on its public holiday.

    A dated closure is removed; a public holiday is added to
    ``[holidays].exclude`` (both, when the day is both). Sessions that day take
    place again, each with a higher sequence than when it was cancelled.

    Parameters
    ----------
    path:
        The schedule file.
    day:
        The closed date.
    now:
        The edit time (an aware datetime).

    Returns
    -------
    An :class:`Outcome`; its notes list the sessions that take place again.

    Raises
    ------
    ScheduleError
        If ``day`` is not closed (field ``date``), or the file is unreadable or
        invalid. The file is then untouched.

    >>> import tempfile
    >>> from hmis_schedule.files import builtin_text
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_new(Path(folder.name) / "s.toml", builtin_text())
    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> print(reopen(path, date(2027, 1, 18), now=now).summary)
    Reopened Mon 2027-01-18: Martin Luther King Jr. Day is a working day for the training (added to [holidays].exclude).
    >>> folder.cleanup()
    """

    options = _Options(
        allow_past=allow_past, allow_overlap=allow_overlap, dry_run=dry_run,
        expect_version=expect_version, actor=actor, audit_file=audit_file,
    )
    with _editing(path, now, "reopen", options) as e:
        before = e.before
        e.affects(day)
        e.names_day(day)
        index = _index(before.closures, lambda c: c.date == day)
        holiday = before.holidays.name_on(day) if before.holidays is not None else None
        if index is None and holiday is None:
            cancelled = [
                s for s in before.sessions_between(day, day + timedelta(days=1)) if s.cancelled
            ]
            hint = "".join(
                f"; {s.slot_id} is cancelled on its own ({s.reason}): "
                f"`hmis-schedule uncancel {s.slot_id} {s.original_date}` undoes that"
                for s in cancelled
            )
            raise ScheduleError(
                f"{_day(day)} is not closed: it has no closure and is not a public holiday"
                + (hint or ", so there is nothing to reopen"),
                field="date",
            )
        done = []
        if index is not None:
            done.append(f"removed the closure ({before.closures[index].reason})")
            tomldoc.remove_entry(e.doc, "closures", index)
        if holiday is not None:
            done.append(
                f"{holiday} is a working day for the training (added to [holidays].exclude)"
            )
            tomldoc.append_item(e.doc["holidays"], "exclude", day)
            exclude = e.doc["holidays"]["exclude"]
            if not exclude.trivia.comment:
                exclude.comment(_EXCLUDE_COMMENT)
        after = e.after()
        if after is None:
            return e.unchanged()
        landing = after.sessions_between(day, day + timedelta(days=1))
        on = [s for s in landing if not s.cancelled]
        notes: list[str] = []
        if on:
            notes.append("Taking place again: " + "; ".join(f"{s.slot_id} {_when(s)}" for s in on) + ".")
        notes.extend(f"Still cancelled: {s.slot_id} {_when(s)} ({s.reason})." for s in landing if s.cancelled)
        if not landing:
            notes.append(f"No session is planned on {_day(day)}.")
        return e.outcome(f"Reopened {_day(day)}: {'; '.join(done)}.", notes)


def cancel(
    path: str | Path,
    slot: str,
    day: date,
    *,
    reason: str,
    now: datetime,
    allow_past: bool = False,
    allow_overlap: bool = False,
    dry_run: bool = False,
    expect_version: str | None = None,
    actor: str | None = None,
    audit_file: str | Path | None = None,
) -> Outcome:
    """Cancel the session of ``slot`` on ``day`` (kept in calendars, marked cancelled).

    ``day`` is the session's planned date, or the date it was moved to. A
    session with a change already (moved, another room) has that change
    turned into the cancellation, with a higher sequence; a cancelled one gets
    the new reason.

    Parameters
    ----------
    path:
        The schedule file.
    slot:
        The slot's (or extra session's) id, e.g. ``"second-monday"``.
    day:
        The session's date.
    reason:
        Why, as subscribers will read it ("Trainer out").
    now:
        The edit time (an aware datetime).

    Returns
    -------
    An :class:`Outcome`.

    Raises
    ------
    ScheduleError
        For an unknown slot (listing the ids), a date the slot has no session
        on (listing its dates nearby), an empty reason, or an unreadable or
        invalid file. The file is then untouched.

    >>> import tempfile
    >>> from hmis_schedule.files import builtin_text
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_new(Path(folder.name) / "s.toml", builtin_text())
    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> print(cancel(path, "second-monday", date(2027, 1, 11), reason="Trainer out", now=now).summary)
    Cancelled second-monday Mon 2027-01-11 13:00-16:00: Trainer out.
    >>> cancel(path, "second-monday", date(2027, 1, 12), reason="x", now=now)
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: date: slot 'second-monday' has no session on Tue 2027-01-12 (nearby: Mon 2026-12-14, Mon 2027-01-11, Mon 2027-02-08)
    >>> folder.cleanup()
    """
    reason = _required_text(reason, "reason", "say why the session is cancelled")

    options = _Options(
        allow_past=allow_past, allow_overlap=allow_overlap, dry_run=dry_run,
        expect_version=expect_version, actor=actor, audit_file=audit_file,
    )
    with _editing(path, now, "cancel", options) as e:
        planned, old, notes = e.occurrence(slot, day)
        e.affects(planned, old.day)
        index = _index(e.before.changes, lambda c: c.key == (slot, planned))
        same = _SAME
        if index is None:
            tomldoc.append_entry(
                e.doc, "changes", {"slot": slot, "date": planned, "cancel": True, "reason": reason},
                comment=_COMMENTS["cancel"],
            )
        else:
            change = e.before.changes[index]
            entry = e.entry("changes", index)
            if change.cancel:
                same = f"{slot} {_when(old)} is cancelled already: {change.reason}"
            elif change.to_date is not None and change.to_date != planned:
                notes.append(
                    f"It had been moved to {_day(change.to_date)}; a cancelled session shows on "
                    f"its planned date, {_day(planned)}."
                )
            for name in _EDITED_FIELDS:
                if name in entry:
                    del entry[name]
            tomldoc.set_key(entry, "cancel", True)
            tomldoc.set_key(entry, "reason", reason)
            tomldoc.set_comment(entry, _COMMENTS["cancel"])
            e.raise_sequence(entry)
        if e.after() is None:
            return e.unchanged(same)
        return e.outcome(f"Cancelled {slot} {_when(old)}: {reason}.", notes)


def uncancel(
    path: str | Path,
    slot: str,
    day: date,
    *,
    now: datetime,
    allow_past: bool = False,
    allow_overlap: bool = False,
    dry_run: bool = False,
    expect_version: str | None = None,
    actor: str | None = None,
    audit_file: str | Path | None = None,
) -> Outcome:
    """Undo :func:`cancel`: the session of ``slot`` on ``day`` takes place as planned again.

    Parameters
    ----------
    path:
        The schedule file.
    slot:
        The slot's (or extra session's) id.
    day:
        The session's planned date.
    now:
        The edit time (an aware datetime).

    Returns
    -------
    An :class:`Outcome`.

    Raises
    ------
    ScheduleError
        If the session is not cancelled by a change (a closed day is reopened
        with :func:`reopen`), or as :func:`cancel`.

    >>> import tempfile
    >>> from hmis_schedule.files import builtin_text
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_new(Path(folder.name) / "s.toml", builtin_text())
    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> _ = cancel(path, "second-monday", date(2027, 1, 11), reason="Trainer out", now=now)
    >>> print(uncancel(path, "second-monday", date(2027, 1, 11), now=now).summary)
    second-monday Mon 2027-01-11 13:00-16:00 takes place again.
    >>> folder.cleanup()
    """

    options = _Options(
        allow_past=allow_past, allow_overlap=allow_overlap, dry_run=dry_run,
        expect_version=expect_version, actor=actor, audit_file=audit_file,
    )
    with _editing(path, now, "uncancel", options) as e:
        planned, old, notes = e.occurrence(slot, day)
        e.affects(planned)
        index = _index(e.before.changes, lambda c: c.key == (slot, planned))
        if index is None or not e.before.changes[index].cancel:
            why = (
                f" but the day is closed ({old.reason}): use `hmis-schedule reopen {old.day}`" if old.cancelled
                else ", so there is nothing to undo"
            )
            raise ScheduleError(f"{slot} {_when(old)} was not cancelled with `cancel`{why}", field="date")
        entry = e.entry("changes", index)
        for name in ("cancel", "reason"):
            if name in entry:
                del entry[name]
        tomldoc.set_key(entry, "to_date", planned)  # a change that keeps the session on its date
        tomldoc.set_comment(entry, _COMMENTS["uncancel"])
        e.raise_sequence(entry)
        after = e.after()
        if after is None:
            return e.unchanged()
        new = after.session(old.uid)
        if new.cancelled:
            notes.append(f"It is still cancelled: {new.reason}.")
        return e.outcome(f"{slot} {_when(old)} takes place again.", notes)


def move(
    path: str | Path,
    slot: str,
    day: date,
    *,
    now: datetime,
    to_date: date | None = None,
    start: time | None = None,
    end: time | None = None,
    location: str | None = None,
    room: str | None = None,
    modality: Modality | str | None = None,
    notes: str | None = None,
    allow_past: bool = False,
    allow_overlap: bool = False,
    dry_run: bool = False,
    expect_version: str | None = None,
    actor: str | None = None,
    audit_file: str | Path | None = None,
) -> Outcome:
    """Move the session of ``slot`` on ``day`` to another date, time or place.

    The session keeps its identity (calendars update the event in place). A
    session changed before has that same change updated, with a higher
    sequence; a cancelled one takes place again where the move says.

    Parameters
    ----------
    path:
        The schedule file.
    slot:
        The slot's (or extra session's) id.
    day:
        The session's planned date, or the date it was moved to.
    now:
        The edit time (an aware datetime).
    to_date, start, end, location, room, modality, notes:
        What to change; at least one. ``start``/``end`` are local times in the
        schedule's zone; ``to_date`` equal to the planned date moves it back.

    Returns
    -------
    An :class:`Outcome`; its notes say where the session is now.

    Raises
    ------
    ScheduleError
        If nothing is asked, the session is unknown, or the move would make
        the file invalid (end before start, in person without an address). The
        file is then untouched.

    >>> import tempfile
    >>> from hmis_schedule.files import builtin_text
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_new(Path(folder.name) / "s.toml", builtin_text())
    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> outcome = move(path, "second-monday", date(2027, 2, 8), to_date=date(2027, 2, 9),
    ...                room="PSB 301", now=now)
    >>> print(outcome.summary)
    Changed second-monday Mon 2027-02-08 13:00-16:00: now Tue 2027-02-09 13:00-16:00, in person, PSB 301, 2051 Kaen Road, Oregon City, OR 97045.
    >>> folder.cleanup()
    """
    wanted: dict[str, Any] = {}
    if modality is not None:
        try:
            wanted["modality"] = Modality(modality).value
        except ValueError:
            raise ScheduleError(
                f"unknown modality {modality!r}", field="modality", choices=[m.value for m in Modality]
            ) from None
    for name, value in (("to_date", to_date), ("start", start), ("end", end)):
        if value is not None:
            wanted[name] = _time_text(value, name) if name != "to_date" else values.day(value, name, text=False)
    for name, text in (("location", location), ("room", room), ("notes", notes)):
        if text is not None:
            wanted[name] = text.strip()
    if not wanted:
        raise ScheduleError(
            "say what to change: to_date, start, end, location, room, modality or notes", field="to_date"
        )

    options = _Options(
        allow_past=allow_past, allow_overlap=allow_overlap, dry_run=dry_run,
        expect_version=expect_version, actor=actor, audit_file=audit_file,
    )
    with _editing(path, now, "move", options) as e:
        planned, old, notes_ = e.occurrence(slot, day)
        e.affects(planned, old.day, wanted.get("to_date", planned))
        index = _index(e.before.changes, lambda c: c.key == (slot, planned))
        if index is None:
            tomldoc.append_entry(e.doc, "changes", {"slot": slot, "date": planned, **wanted}, comment=_COMMENTS["move"])
        else:
            change = e.before.changes[index]
            entry = e.entry("changes", index)
            if change.cancel:
                notes_.append(f"It was cancelled ({change.reason}); it takes place again.")
                for name in ("cancel", "reason"):
                    if name in entry:
                        del entry[name]
            for name, value in wanted.items():
                tomldoc.set_key(entry, name, value)
            tomldoc.set_comment(entry, _COMMENTS["move"])
            e.raise_sequence(entry)
        after = e.after()
        if after is None or visible(after.session(old.uid)) == visible(old):
            return e.unchanged(f"{slot} {_when(old)} is there already")
        new = after.session(old.uid)
        if new.cancelled:
            notes_.append(f"{_day(new.day)} is closed ({new.reason}), so the session shows as cancelled.")
        notes_.extend(_overlaps(after, new))
        return e.outcome(f"Changed {slot} {_when(old)}: now {_describe(new)}.", notes_)


def add_session(
    path: str | Path,
    session_id: str,
    day: date,
    *,
    start: time,
    end: time,
    modality: Modality | str,
    now: datetime,
    location: str = "",
    room: str = "",
    notes: str = "",
    allow_past: bool = False,
    allow_overlap: bool = False,
    dry_run: bool = False,
    expect_version: str | None = None,
    actor: str | None = None,
    audit_file: str | Path | None = None,
) -> Outcome:
    """Add a session outside the recurring rules (a make-up date, a Spanish-language session).

    Parameters
    ----------
    path:
        The schedule file.
    session_id:
        Its id, unique among slots and extra sessions (it becomes part of the
        calendar uid): lowercase letters, digits and hyphens.
    day, start, end:
        When, as wall-clock times in the schedule's zone.
    modality:
        ``"online"`` or ``"in_person"`` (which needs ``location``, the address).
    now:
        The edit time (an aware datetime).
    location, room, notes:
        Where, and anything attendees should know.

    Returns
    -------
    An :class:`Outcome`.

    Raises
    ------
    ScheduleError
        For a taken or malformed id, end not after start, an in-person session
        without an address, or an unreadable or invalid file. The file is then
        untouched.

    >>> import tempfile
    >>> from hmis_schedule.files import builtin_text
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_new(Path(folder.name) / "s.toml", builtin_text())
    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> print(add_session(path, "spanish-jan", date(2027, 1, 20), start=time(9), end=time(12),
    ...                   modality="online", location="Microsoft Teams", notes="En español", now=now).summary)
    Added spanish-jan Wed 2027-01-20 09:00-12:00, online, Microsoft Teams.
    >>> folder.cleanup()
    """
    check_id(session_id, "id")
    data: dict[str, Any] = {
        "id": session_id,
        "date": values.day(day, "date", text=False),
        "start": _time_text(start, "start"),
        "end": _time_text(end, "end"),
    }
    try:
        data["modality"] = Modality(modality).value
    except ValueError:
        raise ScheduleError(
            f"unknown modality {modality!r}", field="modality", choices=[m.value for m in Modality]
        ) from None
    for name, text in (("location", location), ("room", room), ("notes", notes)):
        if text.strip():
            data[name] = text.strip()

    options = _Options(
        allow_past=allow_past, allow_overlap=allow_overlap, dry_run=dry_run,
        expect_version=expect_version, actor=actor, audit_file=audit_file,
    )
    with _editing(path, now, "add-session", options) as e:
        taken = {s.id: f"slot {s.id!r}" for s in e.before.slots}
        taken.update({x.id: f"the extra session on {x.date}" for x in e.before.extras})
        if session_id in taken:
            raise ScheduleError(
                f"{session_id!r} is taken by {taken[session_id]}: choose another id, "
                f"such as {session_id}-{day:%Y%m%d}",
                field="id",
            )
        e.affects(day)
        tomldoc.append_entry(e.doc, "extra_sessions", data, comment=_COMMENTS["add-session"])
        after = e.after()
        if after is None:
            return e.unchanged()
        new = after.session(session_uid(session_id, day, e.before.uid_domain))
        notes_: list[str] = []
        if new.cancelled:
            notes_.append(
                f"{_day(day)} is closed ({new.reason}), so the session shows as cancelled "
                "until the day is reopened."
            )
        notes_.extend(_overlaps(after, new))
        return e.outcome(f"Added {session_id} {_describe(new)}.", notes_)


def write_new(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` as a new schedule file at ``path`` (atomically, under the file's lock).

    ``hmis-schedule init`` writes the built-in schedule this way. The text is
    checked first.

    Parameters
    ----------
    path:
        Where to write; its folder must exist.
    text:
        A schedule file's text.
    overwrite:
        Replace an existing file (its previous version is kept as ``<file>.bak``).

    Returns
    -------
    The path written.

    Raises
    ------
    ScheduleError
        If the file exists and ``overwrite`` is false, or ``text`` is not a valid schedule.
    OSError
        If the folder does not exist or cannot be written.

    >>> import tempfile
    >>> from hmis_schedule.files import builtin_text
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = write_new(Path(folder.name) / "s.toml", builtin_text())
    >>> write_new(path, builtin_text())
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: ...s.toml: exists already; pass overwrite=True (--force) to replace it
    >>> folder.cleanup()
    """
    target = _target(path)
    from_toml(text, source=str(target))
    with writer.locked(target, timeout=LOCK_TIMEOUT):
        if target.exists() and not overwrite:
            raise ScheduleError(
                "exists already; pass overwrite=True (--force) to replace it", source=str(target)
            )
        writer.write_atomic(target, text.encode("utf-8"), backup=True)
    return target


# -- the steps every edit takes ----------------------------------------------


class _Occurrence(NamedTuple):
    """A session an edit names: its planned date, the session before the edit, notes about finding it."""

    planned: date
    session: Session
    notes: list[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Options:
    """How an edit is made: the rules it may override, whether it is a preview, whom the audit log names."""

    allow_past: bool = False
    allow_overlap: bool = False
    dry_run: bool = False
    expect_version: str | None = None
    actor: str | None = None
    audit_file: str | Path | None = None

    def __post_init__(self) -> None:
        for name in ("allow_past", "allow_overlap", "dry_run"):
            if not isinstance(getattr(self, name), bool):
                raise ScheduleError(f"expected True or False, got {getattr(self, name)!r}", field=name)
        if self.expect_version is not None and not isinstance(self.expect_version, str):
            raise ScheduleError(f"expected a file version, got {self.expect_version!r}", field="expect_version")
        if self.actor is not None:
            object.__setattr__(self, "actor", audit.check_actor(self.actor))


@dataclass(slots=True, kw_only=True)
class _Edit:
    """One edit in progress, inside :func:`_editing`: the file as read and the document being changed.

    An edit changes :attr:`doc` (with :mod:`hmis_schedule.tomldoc`), says
    which days it :meth:`affects` and which entries it changed
    (:meth:`raise_sequence`), then asks for the schedule :meth:`after` it.
    It ends with :meth:`outcome`, which plans the text to write, or with
    :meth:`unchanged`, which plans nothing. :func:`_editing` writes the
    planned text, once, when the block ends without an error.
    """

    target: Path
    now: datetime
    stamp: datetime
    action: str
    options: _Options
    version: str
    before: Schedule
    doc: TOMLDocument
    days: set[date] = field(default_factory=set)
    named: set[date] = field(default_factory=set)
    raised: list[Any] = field(default_factory=list)
    stamped: Schedule | None = None
    to_write: bytes | None = None
    result: Outcome | None = None

    def occurrence(self, slot: str, day: date) -> _Occurrence:
        """The session of ``slot`` on ``day`` (its planned date or the date it was moved to)."""
        planned, notes = _occurrence(self.before, slot, day)
        return _Occurrence(planned, self.before.session(session_uid(slot, planned, self.before.uid_domain)), notes)

    def entry(self, key: str, index: int) -> Any:
        """Entry ``index`` of the array ``key`` (the ``index``-th closure, change, ...) in the document."""
        return tomldoc.entries(self.doc, key)[index]

    def affects(self, *days: date) -> None:
        """Say that the sessions on ``days`` may change (their sequences must rise if they do)."""
        self.days.update(days)

    def names_day(self, day: date) -> None:
        """Say that the edit is about the whole of ``day`` (close, reopen): refused if ``day`` is before today."""
        self.named.add(day)

    def raise_sequence(self, entry: Any) -> None:
        """Say that ``entry`` (a closure or change) changed: its ``sequence`` goes up by one."""
        self.raised.append(entry)

    def after(self) -> Schedule | None:
        """The schedule after the edit, sequences raised and ``updated`` stamped; ``None`` if it changes nothing.

        Raises :class:`EditRefused` if the edited document is not a valid schedule.
        """
        if self.stamped is not None:
            return self.stamped
        edited = _reread(self.doc, self.target)
        if edited == self.before:
            return None
        for entry in self.raised:
            tomldoc.set_key(entry, "sequence", int(entry.get("sequence", 1)) + 1)
        before = self.before
        updated = self.stamp if self.stamp > before.updated else before.updated + timedelta(seconds=1)
        self.doc["updated"] = updated.astimezone(_UTC)
        self.stamped = self._keep_sequences_rising(_reread(self.doc, self.target))
        return self.stamped

    def outcome(self, summary: str, notes: Iterable[str] = ()) -> Outcome:
        """What the edit did; the edited document is written when the ``with`` block ends.

        Raises :class:`PastEditRefused` or :class:`OverlapRefused` if the
        edit breaks a rule its options do not override.
        """
        if self.stamped is None:
            raise RuntimeError("call after() first: it checks and stamps the edited document")
        changes = self._changes(self.stamped)
        self._check_past(changes)
        self._check_overlaps(self.stamped, changes)
        self.to_write = tomlkit.dumps(self.doc).encode("utf-8")
        self.result = Outcome(
            path=self.target, changed=True, summary=summary, notes=tuple(notes), schedule=self.stamped,
            changes=changes, dry_run=self.options.dry_run, version=self.version,
        )
        return self.result

    def unchanged(self, same: str = _SAME) -> Outcome:
        """An edit that changes nothing (the file says ``same`` already): nothing is written."""
        self.to_write = None
        return Outcome(
            path=self.target, changed=False, summary=f"Nothing to change: {same}.", schedule=self.before,
            dry_run=self.options.dry_run, version=self.version,
        )

    def _changes(self, after: Schedule) -> tuple[SessionChange, ...]:
        """What subscribers see change: over the dates the feeds publish and the days the edit names."""
        start, end = publish_window(self.before, self.before.today(self.now))
        if self.days:
            start, end = min(start, min(self.days)), max(end, max(self.days) + timedelta(days=1))
        return session_changes(self.before, after, start, end)

    def _check_past(self, changes: tuple[SessionChange, ...]) -> None:
        """Refuse a change of a session that has started, or of a day before today (unless ``allow_past``)."""
        if self.options.allow_past:
            return
        today = self.before.today(self.now)
        for day in sorted(self.named):
            if day < today:
                raise PastEditRefused(
                    f"Not changed: {_day(day)} is in the past (today is {_day(today)}).",
                    day=day, sessions=tuple(c.session for c in changes),
                )
        for change in changes:
            old, new = change.before, change.after
            if old is not None and old.start < self.now:
                done = "has already taken place" if old.end <= self.now else "has already started"
                raise PastEditRefused(
                    f"Not changed: the session {old.slot_id} on {_when(old)} {done}.", sessions=(old,)
                )
            if new is not None and new.start < self.now:
                raise PastEditRefused(
                    f"Not changed: the new time of {new.slot_id}, {_when(new)}, is in the past.", sessions=(new,)
                )

    def _check_overlaps(self, after: Schedule, changes: tuple[SessionChange, ...]) -> None:
        """Refuse a session that would newly take place at the time of another (unless ``allow_overlap``)."""
        if self.options.allow_overlap:
            return
        for change in changes:
            new, old = change.after, change.before
            if new is None or new.cancelled:
                continue
            if old is not None and not old.cancelled and (old.start, old.end) == (new.start, new.end):
                continue  # it takes place at the same time as before: no overlap is new
            others = tuple(
                o for o in after.sessions_between(new.day - timedelta(days=1), new.end.date() + timedelta(days=1))
                if o.uid != new.uid and not o.cancelled and o.start < new.end and new.start < o.end
            )
            if others:
                names = "; ".join(f"{o.slot_id} {_when(o)}" for o in others)
                raise OverlapRefused(
                    f"Not changed: {new.slot_id} on {_when(new)} would overlap {names}.",
                    session=new, others=others,
                )

    def _keep_sequences_rising(self, after: Schedule) -> Schedule:
        """Make every session whose content the edit changed get a higher sequence than before.

        Removing a closure lowers the sequence of the sessions it cancelled; calendar
        apps ignore an update whose sequence does not rise. Such a session gets its
        change's (or extra session's) sequence raised, or a change that keeps it on
        its date with a sequence high enough.
        """
        if not self.days:
            return after
        before = self.before
        first, end = min(self.days), max(self.days) + timedelta(days=1)
        uids = {s.uid for s in before.sessions_between(first, end)}
        uids |= {s.uid for s in after.sessions_between(first, end)}
        short: dict[str, tuple[Session, int]] = {}
        for uid in sorted(uids):
            try:
                old, new = before.session(uid), after.session(uid)
            except SessionNotFoundError:
                continue  # a session the edit added or removed
            if visible(old) != visible(new) and new.sequence <= old.sequence:
                short[uid] = (new, old.sequence - new.sequence + 1)
        if not short:
            return after
        for new, step in short.values():
            key = (new.slot_id, new.original_date)
            index = next((i for i, c in enumerate(after.changes) if c.key == key), None)
            extra = next((i for i, x in enumerate(after.extras) if x.id == new.slot_id), None)
            if index is not None:
                tomldoc.set_key(self.entry("changes", index), "sequence", after.changes[index].sequence + step)
            elif extra is not None:
                tomldoc.set_key(self.entry("extra_sessions", extra), "sequence", after.extras[extra].sequence + step)
            else:
                day = new.original_date
                data = {"slot": new.slot_id, "date": day, "to_date": day, "sequence": step}
                tomldoc.append_entry(self.doc, "changes", data, comment=_KEEP_COMMENT)
        return _reread(self.doc, self.target)


@contextlib.contextmanager
def _editing(path: str | Path, now: datetime, action: str, options: _Options) -> Iterator[_Edit]:
    """Lock ``path``, read and check it, yield the edit; write what its outcome planned, once, on a clean exit.

    An error inside the block, a dry run, or an edit that ends with
    :meth:`_Edit.unchanged`, leaves the file untouched. A missing file is
    refused before its lock file is made. A file whose version is not
    ``options.expect_version`` is refused (:class:`StaleEditRefused`). An
    edit written is recorded in the audit log when ``options.actor`` is
    given, under the same lock.
    """
    target = _target(path)
    stamp = _stamp(now)
    with writer.locked(target, timeout=LOCK_TIMEOUT, missing=_MISSING):
        raw = _read_bytes(target)
        version = _digest(raw)
        if options.expect_version is not None and options.expect_version != version:
            raise StaleEditRefused(
                "Not changed: the schedule file changed after the preview was made (another edit was saved).",
                expected=options.expect_version, found=version,
            )
        text = decode_text(raw, str(target))  # refuses a file that is not UTF-8, naming the byte
        try:
            before = from_toml(text, source=str(target))
        except ScheduleError as err:
            raise EditRefused(
                f"Not changed: {target} has problems already, so it is not edited.",
                err,
                todo=f"Fix them first (`hmis-schedule validate --file {target}` lists them).",
            ) from None
        try:
            doc = tomlkit.parse(text)
        except tomlkit.exceptions.TOMLKitError as err:  # tomllib read it, so this is unlikely
            raise ScheduleError(f"cannot be edited: {err}", source=str(target)) from None
        edit = _Edit(
            target=target, now=values.aware_datetime(now, "now", text=False), stamp=stamp, action=action,
            options=options, version=version, before=before, doc=doc,
        )
        yield edit
        if edit.to_write is None or options.dry_run:
            return
        writer.write_atomic(target, edit.to_write, backup=True)
        if options.actor is not None and edit.result is not None:
            log = options.audit_file if options.audit_file is not None else audit.audit_path(state_path(target))
            audit.append(
                log,
                audit.AuditEntry(
                    at=stamp, actor=options.actor, action=action, summary=edit.result.summary,
                    changes=tuple(c.to_data() for c in edit.result.changes),
                ),
            )


def _reread(doc: TOMLDocument, target: Path) -> Schedule:
    """The schedule the edited document describes; :class:`EditRefused` if it is not valid."""
    try:
        return from_toml(tomlkit.dumps(doc), source=str(target))
    except ScheduleError as err:
        raise EditRefused(
            f"Not changed: this edit would make {target} invalid.",
            err,
            todo="Change the values named below and try again.",
        ) from None


def _target(path: str | Path) -> Path:
    """``path`` with symbolic links resolved; refuses the built-in schedule."""
    target = Path(os.path.realpath(path))
    builtin = resources.files(__package__).joinpath("data/clackamas.toml")
    if target == Path(os.path.realpath(str(builtin))):
        raise ScheduleError(
            "the built-in schedule is read-only: run `hmis-schedule init my-schedule.toml` "
            "and edit the copy",
            field="file",
        )
    return target


def _stamp(now: object) -> datetime:
    return values.aware_datetime(now, "now", text=False).astimezone(_UTC).replace(microsecond=0)


def _read_bytes(target: Path) -> bytes:
    """The bytes of the schedule file ``target``; a :class:`ScheduleError` if it cannot be read."""
    try:
        return target.read_bytes()
    except FileNotFoundError:  # removed since the lock was taken
        raise ScheduleError(_MISSING, source=str(target)) from None
    except IsADirectoryError:
        raise ScheduleError("is a folder, not a schedule file", source=str(target)) from None


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# -- small helpers -------------------------------------------------------------


def _index(items: Iterable[Any], match: Callable[[Any], bool]) -> int | None:
    return next((i for i, item in enumerate(items) if match(item)), None)


def _required_text(value: object, name: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ScheduleError(f"the {name} is empty: {what}", field=name)
    return value.strip()


def _time_text(value: object, name: str) -> str:
    if not isinstance(value, time) or value.tzinfo is not None:
        raise ScheduleError(f"expected a local time of day such as 09:00, got {value!r}", field=name)
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _occurrence(schedule: Schedule, slot: str, day: date) -> tuple[date, list[str]]:
    """The planned date of the session of ``slot`` on ``day`` (its planned date or where it was moved)."""
    slots = {s.id: s for s in schedule.slots}
    extras = {e.id: e for e in schedule.extras}
    if slot not in slots and slot not in extras:
        raise ScheduleError(
            f"no slot or extra session has the id {slot!r}", field="slot", choices=[*slots, *extras]
        )
    values.day(day, "date", text=False)
    if (slot in slots and slots[slot].occurs_on(day)) or (slot in extras and extras[slot].date == day):
        return day, []
    for change in schedule.changes:
        if change.slot == slot and change.to_date == day and not change.cancel:
            return change.date, [f"That is the session planned for {_day(change.date)}, moved to {_day(day)}."]
    if slot in extras:
        raise ScheduleError(f"extra session {slot!r} is on {_day(extras[slot].date)}, not {_day(day)}", field="date")
    nearby = ", ".join(_day(d) for d in slots[slot].dates(day - _NEARBY, day + _NEARBY))
    raise ScheduleError(f"slot {slot!r} has no session on {_day(day)} (nearby: {nearby or 'none'})", field="date")


def _day(day: date) -> str:
    return f"{day:%a} {day.isoformat()}"


def _when(session: Session) -> str:
    return f"{_day(session.day)} {session.start:%H:%M}-{session.end:%H:%M}"


def _describe(session: Session) -> str:
    how = "online" if session.modality is Modality.ONLINE else "in person"
    where = f", {session.full_location}" if session.full_location else ""
    state = f" (cancelled: {session.reason})" if session.cancelled else ""
    return f"{_when(session)}, {how}{where}{state}"


def _nearby_sessions(schedule: Schedule, day: date) -> str:
    near = [
        s for s in schedule.sessions_between(day - timedelta(days=14), day + timedelta(days=15))
        if not s.cancelled
    ]
    return ", ".join(f"{s.slot_id} {_day(s.day)}" for s in near[:4]) or "none within two weeks"


def _overlaps(schedule: Schedule, session: Session) -> Iterator[str]:
    if session.cancelled:
        return
    for other in schedule.sessions_between(session.day, session.day + timedelta(days=1)):
        if other.uid != session.uid and not other.cancelled and other.start < session.end and session.start < other.end:
            yield f"It overlaps {other.slot_id} {_when(other)}."
