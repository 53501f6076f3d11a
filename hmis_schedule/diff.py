"""What subscribers see change between two versions of a schedule: :class:`SessionChange` and :func:`session_changes`.

An edit (:mod:`hmis_schedule.edit`) compares the schedule before and after
it, over the dates it publishes, and reports each session whose public face
changed: its status and reason, start and end, modality, location, room and
notes (not its sequence, which only tells calendars to update). Each change
is a frozen value with the session before and after (``None`` for a session
added or removed), a plain-words description in English or Spanish
(:meth:`SessionChange.describe`) for the command line and the admin pages,
and plain data (:meth:`SessionChange.to_data`) for the audit log.

>>> from datetime import date
>>> from hmis_schedule import clackamas
>>> from hmis_schedule.closures import Closure
>>> import dataclasses
>>> before = clackamas()
>>> after = dataclasses.replace(before, closures=(*before.closures, Closure(date=date(2027, 3, 15), reason="Office closed")))
>>> [c.describe() for c in session_changes(before, after, date(2027, 3, 1), date(2027, 4, 1))]
['Mon 2027-03-15 09:00-12:00 online: cancelled (Office closed)']
>>> session_changes(before, after, date(2027, 3, 1), date(2027, 4, 1))[0].describe("es")
'lun 2027-03-15 09:00-12:00 en línea: cancelada (Office closed)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from babel.dates import format_date

from .errors import ScheduleError, SessionNotFoundError
from .i18n import check_language, translations
from .rules import Modality
from .schedule import Schedule
from .session import Session

__all__ = ["DOMAIN", "SessionChange", "session_changes", "visible"]

DOMAIN = "cli"
"""The gettext domain of the descriptions (``hmis_schedule/locale/<lang>/LC_MESSAGES/cli.po``)."""


def visible(session: Session) -> tuple[object, ...]:
    """Everything about a session a subscriber sees (not its sequence)."""
    s = session
    return (s.start, s.end, s.modality, s.location, s.room, s.notes, s.status, s.reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionChange:
    """One session whose public face an edit changes.

    Attributes
    ----------
    uid:
        The session's uid (kept when it is moved or cancelled).
    before:
        The session as subscribers saw it before, or ``None`` if the edit adds it.
    after:
        The session as subscribers will see it, or ``None`` if the edit removes it.
    """

    uid: str
    before: Session | None
    after: Session | None

    def __post_init__(self) -> None:
        if self.before is None and self.after is None:
            raise ScheduleError("a change needs the session before or after it", field="before")
        for name in ("before", "after"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, Session) or value.uid != self.uid):
                raise ScheduleError(f"expected the session {self.uid!r} or None, got {value!r}", field=name)

    @property
    def session(self) -> Session:
        """The session after the change, or before it if the change removes it."""
        found = self.after or self.before
        assert found is not None  # __post_init__ makes sure
        return found

    def describe(self, lang: str = "en") -> str:
        """The change in plain words, in ``lang`` (``"en"`` or ``"es"``).

        Examples: ``"Mon 2026-12-14 13:00-16:00 in person: cancelled (Office closed)"``,
        ``"Mon 2027-02-08 13:00-16:00 in person: moved to Tue 2027-02-09 13:00-16:00; room PSB 301 (was PSB 216)"``.
        """
        _ = translations(check_language(lang), DOMAIN).gettext
        before, after = self.before, self.after
        if before is None:
            assert after is not None
            head = _head(after, lang)
            if after.cancelled:
                return _("%(session)s: added, cancelled (%(reason)s)") % {"session": head, "reason": after.reason}
            return _("%(session)s: added") % {"session": head}
        head = _head(before, lang)
        if after is None:
            return _("%(session)s: removed") % {"session": head}
        parts: list[str] = []
        if after.cancelled and not before.cancelled:
            parts.append(_("cancelled (%(reason)s)") % {"reason": after.reason})
        elif before.cancelled and not after.cancelled:
            parts.append(_("takes place again"))
        elif after.cancelled and after.reason != before.reason:
            parts.append(_("reason now %(new)s (was %(old)s)") % {"new": after.reason, "old": before.reason})
        if (after.start, after.end) != (before.start, before.end):
            parts.append(_("moved to %(when)s") % {"when": _when(after, lang)})
        if after.modality is not before.modality:
            parts.append(_("now %(how)s") % {"how": _how(after.modality, lang)})
        for name, label in (("location", _("location")), ("room", _("room")), ("notes", _("notes"))):
            old, new = getattr(before, name), getattr(after, name)
            if old != new:
                parts.append(_was(label, new, old, _))
        if not parts:  # only the sequence differs: not a change subscribers see
            parts.append(_("no visible change"))
        return f"{head}: " + "; ".join(parts)

    def to_data(self) -> dict[str, Any]:
        """The change as plain data (JSON-ready): uid, and the session before and after as subscribers see it.

        >>> from hmis_schedule import clackamas
        >>> s = clackamas().sessions_between(date(2027, 3, 1), date(2027, 3, 2))[0]
        >>> SessionChange(uid=s.uid, before=None, after=s).to_data()["after"]["start"]
        '2027-03-01T09:00:00-08:00'
        """
        return {"uid": self.uid, "before": _data(self.before), "after": _data(self.after)}


def session_changes(before: Schedule, after: Schedule, start: date, end: date) -> tuple[SessionChange, ...]:
    """The sessions whose public face differs between ``before`` and ``after``, planned or held in ``[start, end)``.

    The end is exclusive. A session is found by its uid in both versions, so
    one moved out of the window, added or removed is reported too. The changes
    are in the order of the sessions (by start, the later version's first).

    Parameters
    ----------
    before, after:
        Two versions of one schedule.
    start, end:
        The dates to compare, half-open.

    Returns
    -------
    The changes, each with the session before and after (``None`` when absent).
    """
    old = {s.uid: s for s in before.sessions_between(start, end)}
    new = {s.uid: s for s in after.sessions_between(start, end)}
    changes: list[SessionChange] = []
    for uid in old.keys() | new.keys():
        was = old.get(uid) or _find(before, uid)
        now = new.get(uid) or _find(after, uid)
        if was is None or now is None or visible(was) != visible(now):
            changes.append(SessionChange(uid=uid, before=was, after=now))
    return tuple(sorted(changes, key=lambda c: (c.session.start, c.uid)))


def _find(schedule: Schedule, uid: str) -> Session | None:
    try:
        return schedule.session(uid)
    except SessionNotFoundError:
        return None


def _data(session: Session | None) -> dict[str, Any] | None:
    if session is None:
        return None
    return {
        "slot": session.slot_id,
        "status": session.status.value,
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "modality": session.modality.value,
        "location": session.location,
        "room": session.room,
        "notes": session.notes,
        "reason": session.reason,
    }


def _day(day: date, lang: str) -> str:
    name = format_date(day, "EEE", locale=lang).rstrip(".")
    return f"{name} {day.isoformat()}"


def _when(session: Session, lang: str) -> str:
    return f"{_day(session.day, lang)} {session.start:%H:%M}-{session.end:%H:%M}"


def _how(modality: Modality, lang: str) -> str:
    _ = translations(lang, DOMAIN).gettext
    return _("online") if modality is Modality.ONLINE else _("in person")


def _head(session: Session, lang: str) -> str:
    return f"{_when(session, lang)} {_how(session.modality, lang)}"


def _was(label: str, new: str, old: str, _: Callable[[str], str]) -> str:
    if not old:
        return _("%(what)s %(new)s (was none)") % {"what": label, "new": new}
    if not new:
        return _("%(what)s removed (was %(old)s)") % {"what": label, "old": old}
    return _("%(what)s %(new)s (was %(old)s)") % {"what": label, "new": new, "old": old}
