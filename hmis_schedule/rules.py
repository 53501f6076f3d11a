"""Stage 1 of the pipeline: recurring slot rules and the dates they give.

A :class:`Slot` says "the n-th <weekday> of every month, from <start> to <end>
local time". :func:`nth_weekday` is the calendar arithmetic; ordinal 5 yields a
date only in months that have five such weekdays, and ordinal -1 ("last")
yields one in every month.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

from .errors import ScheduleError

__all__ = [
    "LAST",
    "ORDINALS",
    "Modality",
    "Slot",
    "Weekday",
    "nth_weekday",
]

LAST = -1
"""The ordinal that means "the last such weekday of the month"."""

ORDINALS = (1, 2, 3, 4, 5, LAST)
"""Every ordinal a slot may have."""

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Weekday(StrEnum):
    """A day of the week, spelled as in schedule files (``"monday"``)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:
        """0 for Monday to 6 for Sunday, as :meth:`datetime.date.weekday`."""
        return _WEEKDAY_INDEX[self]

    @classmethod
    def of(cls, day: date) -> Weekday:
        """The weekday of ``day``.

        >>> Weekday.of(date(2026, 11, 23))
        <Weekday.MONDAY: 'monday'>
        """
        return _WEEKDAYS[day.weekday()]


_WEEKDAYS = tuple(Weekday)
_WEEKDAY_INDEX = {w: i for i, w in enumerate(_WEEKDAYS)}


class Modality(StrEnum):
    """How a session is attended."""

    ONLINE = "online"
    IN_PERSON = "in_person"


def check_id(value: object, field: str = "id") -> str:
    """Return ``value`` if it is a valid stable id, else raise :class:`ScheduleError`.

    Ids are lowercase letters, digits and hyphens (at most 63), because they
    become part of calendar uids and URLs.
    """
    if not isinstance(value, str) or not _ID.match(value):
        raise ScheduleError(
            f"{value!r} is not a valid id: use 1 to 63 lowercase letters, digits "
            "and hyphens, starting with a letter or digit",
            field=field,
        )
    return value


def check_times(start: object, end: object) -> None:
    """Raise :class:`ScheduleError` unless ``start`` and ``end`` are naive times with end after start."""
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, time) or value.tzinfo is not None:
            raise ScheduleError(
                f"expected a local time of day such as 09:00, got {value!r}", field=name
            )
    assert isinstance(start, time) and isinstance(end, time)
    if end <= start:
        raise ScheduleError(
            f"must be after start ({start:%H:%M}), got {end:%H:%M}", field="end"
        )


def nth_weekday(year: int, month: int, weekday: Weekday, ordinal: int) -> date | None:
    """The ``ordinal``-th ``weekday`` of a month, or ``None`` if the month has none.

    Parameters
    ----------
    year, month:
        The month.
    weekday:
        The day of the week.
    ordinal:
        1 to 5 for the first to fifth; -1 (:data:`LAST`) for the last.

    Returns
    -------
    The date, or ``None`` when ``ordinal`` is 5 and the month has only four
    such weekdays.

    Raises
    ------
    ScheduleError
        If ``ordinal`` is not one of :data:`ORDINALS`.

    >>> nth_weekday(2026, 3, Weekday.MONDAY, 5)
    datetime.date(2026, 3, 30)
    >>> nth_weekday(2026, 4, Weekday.MONDAY, 5) is None
    True
    >>> nth_weekday(2026, 4, Weekday.MONDAY, LAST)
    datetime.date(2026, 4, 27)
    """
    first_weekday, days = calendar.monthrange(year, month)
    if ordinal == LAST:
        return date(year, month, days - (first_weekday + days - 1 - weekday.number) % 7)
    if ordinal not in ORDINALS:
        raise ScheduleError(
            f"ordinal must be 1 to 5, or -1 for the last, got {ordinal!r}", field="ordinal"
        )
    day = 1 + (weekday.number - first_weekday) % 7 + 7 * (ordinal - 1)
    return date(year, month, day) if day <= days else None


def months_between(first: date, last: date) -> Iterator[tuple[int, int]]:
    """Every (year, month) from the month of ``first`` to the month of ``last``, inclusive."""
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Slot:
    """A recurring session: the ``ordinal``-th ``weekday`` of every month.

    ``start`` and ``end`` are wall-clock times in the schedule's time zone.
    ``location`` is the street address for in-person slots (required) and the
    platform name (e.g. "Microsoft Teams") for online ones.

    >>> slot = Slot(id="second-monday", ordinal=2, weekday=Weekday.MONDAY,
    ...             start=time(13), end=time(16), modality=Modality.IN_PERSON,
    ...             location="PSB 216, 2051 Kaen Road, Oregon City, OR 97045")
    >>> list(slot.dates(date(2026, 1, 1), date(2026, 3, 1)))
    [datetime.date(2026, 1, 12), datetime.date(2026, 2, 9)]
    """

    id: str
    ordinal: int
    weekday: Weekday
    start: time
    end: time
    modality: Modality
    location: str = ""
    room: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        check_id(self.id)
        if isinstance(self.ordinal, bool) or self.ordinal not in ORDINALS:
            raise ScheduleError(
                f"must be 1 to 5, or -1 for the last, got {self.ordinal!r}",
                field="ordinal",
            )
        if not isinstance(self.weekday, Weekday):
            raise ScheduleError(
                f"unknown weekday {self.weekday!r}",
                field="weekday",
                choices=[w.value for w in Weekday],
            )
        check_times(self.start, self.end)
        if not isinstance(self.modality, Modality):
            raise ScheduleError(
                f"unknown modality {self.modality!r}",
                field="modality",
                choices=[m.value for m in Modality],
            )
        if self.modality is Modality.IN_PERSON and not self.location.strip():
            raise ScheduleError(
                "an in-person slot needs the street address", field="location"
            )

    def dates(self, first: date, end: date) -> Iterator[date]:
        """The dates of this slot in ``[first, end)``, in order (``end`` is exclusive)."""
        if end <= first:
            return
        for year, month in months_between(first, end):
            day = nth_weekday(year, month, self.weekday, self.ordinal)
            if day is not None and first <= day < end:
                yield day

    def occurs_on(self, day: date) -> bool:
        """Whether this slot's rule gives a session on ``day``."""
        return nth_weekday(day.year, day.month, self.weekday, self.ordinal) == day

    def may_share_a_day_with(self, other: Slot) -> bool:
        """Whether the two rules can ever fall on the same date."""
        if self.weekday is not other.weekday:
            return False
        a, b = sorted((self.ordinal, other.ordinal))
        return a == b or (a == LAST and b in (4, 5))

    def overlaps(self, other: Slot) -> bool:
        """Whether the two slots can fall on the same date at overlapping times."""
        return (
            self.may_share_a_day_with(other)
            and self.start < other.end
            and other.start < self.end
        )
