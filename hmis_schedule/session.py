"""Stage 2 of the pipeline: one occurrence of a slot, the :class:`Session`.

A session's ``uid`` comes from its slot and its *originally* scheduled date
(:func:`session_uid`), so a session that is moved, changed or cancelled keeps
it, and calendars update the event in place instead of adding a new one.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .errors import ScheduleError
from .rules import ORDINALS, Modality

_UTC = ZoneInfo("UTC")
_MIDNIGHT = time(0)
_DAY = timedelta(days=1)

__all__ = ["Session", "Status", "local_datetime", "local_times", "parse_uid", "session_uid"]


class Status(StrEnum):
    """Whether a session takes place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


_UID = re.compile(r"^(?P<slot>[a-z0-9][a-z0-9-]*)-(?P<date>\d{8})@(?P<domain>[^\s@]+)$")


def session_uid(slot_id: str, original_date: date, domain: str) -> str:
    """The stable uid of the occurrence of ``slot_id`` planned for ``original_date``.

    >>> session_uid("first-monday", date(2026, 12, 7), "hmis.example.org")
    'first-monday-20261207@hmis.example.org'
    """
    d = original_date
    return f"{slot_id}-{d.year:04d}{d.month:02d}{d.day:02d}@{domain}"


def parse_uid(uid: str) -> tuple[str, date, str] | None:
    """Split a uid made by :func:`session_uid` into (slot id, original date, domain).

    Returns ``None`` for anything that is not such a uid.

    >>> parse_uid("first-monday-20261207@hmis.example.org")
    ('first-monday', datetime.date(2026, 12, 7), 'hmis.example.org')
    >>> parse_uid("nonsense") is None
    True
    """
    match = _UID.match(uid) if len(uid) < 200 else None
    if match is None:
        return None
    try:
        day = datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        return None
    return match["slot"], day, match["domain"]


def local_datetime(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The instant when wall clocks in ``zone`` show ``clock`` on ``day``.

    A wall-clock time skipped by a daylight-saving change (02:30 on the
    spring-forward night) is taken as the instant just after the gap, as
    clocks read after they jump (03:30); a time that happens twice is its first
    occurrence. The result is expressed in ``zone``.

    >>> local_datetime(date(2026, 3, 9), time(9), ZoneInfo("America/Los_Angeles")).isoformat()
    '2026-03-09T09:00:00-07:00'
    """
    local = datetime.combine(day, clock, tzinfo=zone)
    if local.utcoffset() == local.replace(fold=1).utcoffset():
        return local  # the usual case: the wall-clock time happens exactly once
    if local.replace(fold=1).utcoffset() < local.utcoffset():  # type: ignore[operator]
        return local  # a repeated time: fold=0 is its first occurrence
    return local.astimezone(_UTC).astimezone(zone)  # a skipped time: read after the jump


def local_times(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """:func:`local_datetime` of ``start`` and of ``end`` on ``day``, fast on ordinary days.

    A day whose midnight and next midnight have the same UTC offset has no
    clock change, so every wall-clock time on it happens exactly once (zones
    change their clocks at most once a day). When a clock change pushes the
    start to or past the end (02:30-03:00 on the night clocks jump from 02:00
    to 03:00), the session keeps its planned length from the start it gets.

    >>> start, end = local_times(date(2026, 3, 8), time(2, 30), time(3), ZoneInfo("America/Los_Angeles"))
    >>> start.isoformat(), end.isoformat()
    ('2026-03-08T03:30:00-07:00', '2026-03-08T04:00:00-07:00')
    """
    midnight = datetime.combine(day, _MIDNIGHT, tzinfo=zone)
    if midnight.utcoffset() == (midnight + _DAY).utcoffset():
        return datetime.combine(day, start, tzinfo=zone), datetime.combine(day, end, tzinfo=zone)
    first, last = local_datetime(day, start, zone), local_datetime(day, end, zone)
    if last.astimezone(_UTC) <= first.astimezone(_UTC):
        planned = datetime.combine(day, end) - datetime.combine(day, start)
        last = (first.astimezone(_UTC) + planned).astimezone(zone)
    return first, last


@functools.total_ordering
@dataclass(frozen=True, slots=True, kw_only=True, eq=True)
class Session:
    """One training session, as people attend it.

    Sessions order by ``(start, end, uid)``, so ``sorted()`` needs no key.

    Attributes
    ----------
    uid:
        Stable identity from the slot and the originally scheduled date.
    slot_id:
        The slot (or extra session) it comes from.
    ordinal:
        The slot's ordinal (1 to 5, -1 for last), or ``None`` for an extra session.
    original_date:
        The date the rule (or the extra session) planned, before any move.
    start, end:
        Timezone-aware, in the schedule's time zone.
    status, reason:
        Cancelled sessions stay in results with ``status`` cancelled and a
        ``reason`` (for example the holiday's name).
    sequence:
        0 as planned; higher after each change, so calendars update the event.
    """

    uid: str
    slot_id: str
    ordinal: int | None
    original_date: date
    start: datetime
    end: datetime
    modality: Modality
    location: str = ""
    room: str = ""
    notes: str = ""
    status: Status = Status.SCHEDULED
    reason: str = ""
    sequence: int = 0

    def __post_init__(self) -> None:
        if not self.uid:
            raise ScheduleError("a session needs a uid", field="uid")
        if self.ordinal is not None and self.ordinal not in ORDINALS:
            raise ScheduleError(f"invalid ordinal {self.ordinal!r}", field="ordinal")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ScheduleError(
                    f"expected a timezone-aware datetime, got {value!r}", field=name
                )
        if self.end <= self.start:
            raise ScheduleError("must be after start", field="end")
        if not isinstance(self.modality, Modality):
            raise ScheduleError(
                f"unknown modality {self.modality!r}",
                field="modality",
                choices=[m.value for m in Modality],
            )
        if not isinstance(self.status, Status):
            raise ScheduleError(
                f"unknown status {self.status!r}",
                field="status",
                choices=[s.value for s in Status],
            )
        if self.status is Status.CANCELLED and not self.reason:
            raise ScheduleError("a cancelled session needs a reason", field="reason")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int) or self.sequence < 0:
            raise ScheduleError(f"must be a whole number >= 0, got {self.sequence!r}", field="sequence")

    @classmethod
    def _unchecked(cls, *values: object) -> Session:
        """Build a session from parts already checked (a validated slot), skipping ``__post_init__``.

        Only the pipeline calls this, on its hot path. ``values`` are every
        field in declaration order; each is stored through its slot descriptor,
        which is about twice as fast as the frozen dataclass's ``__init__``.
        """
        session = object.__new__(cls)
        for store, value in zip(_FIELD_SETTERS, values, strict=True):
            store(session, value)
        return session

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Session):
            return NotImplemented
        return (self.start, self.end, self.uid) < (other.start, other.end, other.uid)

    @property
    def day(self) -> date:
        """The local date the session takes place on (after any move)."""
        return self.start.date()

    @property
    def duration(self) -> timedelta:
        """How long the session lasts (elapsed time, so a clock change in between counts)."""
        return self.end.astimezone(_UTC) - self.start.astimezone(_UTC)

    @property
    def cancelled(self) -> bool:
        """Whether the session is cancelled."""
        return self.status is Status.CANCELLED

    @property
    def moved(self) -> bool:
        """Whether the session takes place on another date than planned."""
        return self.day != self.original_date

    @property
    def full_location(self) -> str:
        """Room and address together, e.g. ``"PSB 216, 2051 Kaen Road, ..."``."""
        return ", ".join(part for part in (self.room, self.location) if part)


_FIELD_SETTERS = tuple(
    Session.__dict__[f.name].__set__ for f in dataclasses.fields(Session)
)
"""The slot descriptors' setters of Session's fields, in declaration order (see ``Session._unchecked``)."""
