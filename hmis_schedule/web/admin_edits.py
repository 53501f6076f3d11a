"""The admin pages' edit forms: one form's fields checked once into an :class:`EditRequest`, then the library's edit.

Every edit form (close a day, reopen it, cancel, uncancel, move or change a
session, add one) posts the same named fields; :func:`edit_request` checks
them, naming the field in its error, and :func:`apply` calls the same
function of :mod:`hmis_schedule.edit` the command line calls, as a preview
(``dry_run``) or for real with the preview's file version, the overrides
the administrator confirmed, the actor ``admin:NAME`` and the audit log.

Dates come from ``<input type="date">`` (``YYYY-MM-DD``) and times from
``<input type="time">`` (``HH:MM``, wall-clock time in the schedule's zone).
A move's fields arrive filled in with the session's current values: only
those that differ are passed on, so an unchanged field is never an edit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TypedDict

from hmis_schedule import edit as editing
from hmis_schedule import values
from hmis_schedule.errors import ScheduleError, SessionNotFoundError
from hmis_schedule.rules import check_id
from hmis_schedule.schedule import Schedule
from hmis_schedule.session import Session

__all__ = ["ACTIONS", "EditRequest", "FormError", "apply", "edit_request", "session_of"]

ACTIONS = ("close", "reopen", "cancel", "uncancel", "move", "add-session")
"""The edits the forms make, by the name the audit log gives them."""

MAX_TEXT = 500
"""The longest reason, note, location or room accepted from a form, in characters."""

_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")
_VERSION = re.compile(r"[0-9a-f]{64}")


_LABELS = {
    "action": "Edit", "day": "Date", "to_date": "Date", "slot": "Session", "reason": "Reason",
    "start": "Start", "end": "End", "modality": "How", "location": "Address or platform", "room": "Room",
    "notes": "Notes", "version": "Preview",
}  # fmt: skip


class FormError(ScheduleError):
    """A form field that is not valid; ``field`` names it (as the form does)."""

    def text(self) -> str:
        """The refusal as the page says it, naming the field by its label.

        >>> FormError("is required", field="reason").text()
        'Not changed: Reason: is required.'
        >>> FormError("the fields hold the session's current values. Change at least one of them").text()
        "Not changed: the fields hold the session's current values. Change at least one of them."
        """
        if not self.field:  # about the form as a whole
            return f"Not changed: {self.message.rstrip('.')}."
        return f"Not changed: {_LABELS.get(self.field, self.field)}: {self.message.rstrip('.')}."


_CLEARABLE = ("room", "notes")
"""A move's fields whose empty value means "remove it" (kept in the confirm form's hidden fields)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EditRequest:
    """One edit as a form asked for it, checked: what to do, to which session or day, and the new values."""

    action: str
    day: date
    slot: str = ""
    reason: str = ""
    to_date: date | None = None
    start: time | None = None
    end: time | None = None
    modality: str | None = None
    location: str | None = None
    room: str | None = None
    notes: str | None = None
    allow_past: bool = False
    allow_overlap: bool = False

    def form(self) -> dict[str, str]:
        """The request as the hidden fields of a confirm form (the same names :func:`edit_request` reads)."""
        found: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None or value is False or (value == "" and item.name not in _CLEARABLE):
                continue
            if value is True:
                found[item.name] = "1"
            elif isinstance(value, time):
                found[item.name] = value.strftime("%H:%M")
            elif isinstance(value, date):
                found[item.name] = value.isoformat()
            else:
                found[item.name] = str(value)
        return found


def _text(form: Mapping[str, str], name: str, *, required: bool = False, what: str = "") -> str | None:
    value = form.get(name)
    if value is None or not value.strip():
        if required:
            raise FormError(f"is required: {what}", field=name)
        return None
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise FormError(f"too long ({len(text)} characters; at most {MAX_TEXT})", field=name)
    if any(not c.isprintable() for c in text):
        raise FormError("must be one line of printable text", field=name)
    return text


def _day(form: Mapping[str, str], name: str, *, required: bool = False) -> date | None:
    value = (form.get(name) or "").strip()
    if not value:
        if required:
            raise FormError("is required: a date such as 2027-03-15", field=name)
        return None
    try:
        return values.day(value, name)
    except ScheduleError:
        raise FormError(f"expected a date such as 2027-03-15, got {value[:20]!r}", field=name) from None


def _time(form: Mapping[str, str], name: str, *, required: bool = False) -> time | None:
    value = (form.get(name) or "").strip()
    if not value:
        if required:
            raise FormError("is required: a time such as 09:00", field=name)
        return None
    if _TIME.fullmatch(value):
        try:
            return time.fromisoformat(value.zfill(5) if len(value) == 4 else value).replace(second=0)
        except ValueError:
            pass
    raise FormError(f"expected a 24-hour time such as 09:00 or 13:30, got {value[:20]!r}", field=name)


def _modality(form: Mapping[str, str], *, required: bool = False) -> str | None:
    value = (form.get("modality") or "").strip()
    if not value:
        if required:
            raise FormError("is required: online or in_person", field="modality")
        return None
    try:
        return values.modality(value, "modality").value
    except ScheduleError as err:
        raise FormError(f"expected one of {', '.join(err.choices)}", field="modality") from None


def edit_request(form: Mapping[str, str]) -> EditRequest:
    """The edit a form asks for, checked.

    Raises
    ------
    ScheduleError
        Naming the first field that is missing or not valid, and what it accepts.

    >>> edit_request({"action": "close", "day": "2027-03-15", "reason": "Floating holiday"}).form()
    {'action': 'close', 'day': '2027-03-15', 'reason': 'Floating holiday'}
    >>> edit_request({"action": "close", "day": "2027-03-15"})
    Traceback (most recent call last):
    ...
    hmis_schedule.web.admin_edits.FormError: reason: is required: why, as subscribers will read it
    """
    action = (form.get("action") or "").strip()
    if action not in ACTIONS:
        raise FormError("unknown edit", field="action", choices=ACTIONS)
    day = _day(form, "day", required=True)
    assert day is not None
    past, overlap = form.get("allow_past") == "1", form.get("allow_overlap") == "1"
    why = "why, as subscribers will read it"
    if action in ("close", "reopen"):
        reason = _text(form, "reason", required=action == "close", what=why) or ""
        return EditRequest(action=action, day=day, reason=reason, allow_past=past, allow_overlap=overlap)
    slot = _text(form, "slot", required=True, what="the session's slot or id") or ""
    if action in ("cancel", "uncancel"):
        reason = _text(form, "reason", required=action == "cancel", what=why) or ""
        return EditRequest(action=action, slot=slot, day=day, reason=reason, allow_past=past, allow_overlap=overlap)
    adding = action == "add-session"
    if adding:
        try:
            slot = check_id(slot, "slot")
        except ScheduleError:
            raise FormError(
                "use 1 to 63 lowercase letters, digits and hyphens, such as spanish-2027-01", field="slot"
            ) from None
    start, end = _time(form, "start", required=adding), _time(form, "end", required=adding)
    if start is not None and end is not None and end <= start:
        raise FormError(f"must be after the start ({start:%H:%M})", field="end")
    modality, location = _modality(form, required=adding), _text(form, "location")
    if adding and modality == "in_person" and not location:
        raise FormError("an in-person session needs the street address", field="location")
    room, notes = _text(form, "room"), _text(form, "notes")
    if not adding:  # the change form holds the current values: a room or notes emptied are removed (`move --notes ""`)
        room = "" if room is None and "room" in form else room
        notes = "" if notes is None and "notes" in form else notes
    return EditRequest(
        action=action, slot=slot, day=day,
        to_date=None if adding else _day(form, "to_date"),
        start=start, end=end, modality=modality,
        location=location, room=room, notes=notes,
        allow_past=past, allow_overlap=overlap,
    )  # fmt: skip


def session_of(schedule: Schedule, slot: str, day: date) -> Session:
    """The session of ``slot`` planned on ``day`` (its uid's date), as the schedule has it now.

    Raises
    ------
    SessionNotFoundError
        If there is none.
    """
    wide = timedelta(days=400)  # a move of up to about a year either way is found
    for session in schedule.sessions_between(day - wide, day + wide):
        if session.slot_id == slot and session.original_date == day:
            return session
    raise SessionNotFoundError(f"no session of {slot!r} is planned on {day}", field="slot")


def _changed_only(request: EditRequest, schedule: Schedule) -> dict[str, object]:
    """A move's new values that differ from the session's current ones (``{}``: nothing to change)."""
    current = session_of(schedule, request.slot, request.day)
    given: dict[str, object] = {
        "to_date": request.to_date if request.to_date not in (None, current.day) else None,
        "start": request.start if request.start not in (None, current.start.time().replace(tzinfo=None)) else None,
        "end": request.end if request.end not in (None, current.end.time().replace(tzinfo=None)) else None,
        "modality": request.modality if request.modality not in (None, current.modality.value) else None,
        "location": request.location if request.location not in (None, current.location) else None,
        "room": request.room if request.room not in (None, current.room) else None,
        "notes": request.notes if request.notes not in (None, current.notes) else None,
    }
    return {k: v for k, v in given.items() if v is not None}


class _Options(TypedDict):
    now: datetime
    allow_past: bool
    allow_overlap: bool
    dry_run: bool
    expect_version: str | None
    actor: str | None
    audit_file: Path | None


def apply(
    request: EditRequest,
    path: Path,
    schedule: Schedule,
    *,
    now: datetime,
    dry_run: bool,
    expect_version: str | None = None,
    actor: str | None = None,
    audit_file: Path | None = None,
) -> editing.Outcome:
    """Make (or preview) ``request`` on the schedule file ``path`` with the library's edit of that name.

    ``schedule`` is the file's schedule as the form was made from it (to
    tell a move's changed fields from the unchanged ones).

    Raises
    ------
    ScheduleError
        What the library refuses (:class:`hmis_schedule.edit.EditRefused`
        and its kinds, naming the override where there is one), or a move
        that changes nothing.
    """
    if expect_version is not None and not _VERSION.fullmatch(expect_version):
        raise FormError("the preview's file version is missing or not valid: preview the change again", field="version")
    options = _Options(
        now=now, allow_past=request.allow_past, allow_overlap=request.allow_overlap,
        dry_run=dry_run, expect_version=expect_version, actor=actor, audit_file=audit_file,
    )  # fmt: skip
    action = request.action
    if action == "close":
        return editing.close(path, request.day, reason=request.reason, **options)
    if action == "reopen":
        return editing.reopen(path, request.day, **options)
    if action == "cancel":
        return editing.cancel(path, request.slot, request.day, reason=request.reason, **options)
    if action == "uncancel":
        return editing.uncancel(path, request.slot, request.day, **options)
    if action == "move":
        changed = _changed_only(request, schedule)
        if not changed:
            raise FormError("the fields hold the session's current values. Change at least one of them")
        return editing.move(path, request.slot, request.day, **changed, **options)  # type: ignore[arg-type]
    assert request.start is not None and request.end is not None and request.modality is not None
    return editing.add_session(
        path, request.slot, request.day, start=request.start, end=request.end, modality=request.modality,
        location=request.location or "", room=request.room or "", notes=request.notes or "",
        **options,
    )  # fmt: skip
