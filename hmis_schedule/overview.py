"""What the public page shows at one instant: the next sessions, a month grid, the upcoming list.

:func:`overview` asks the schedule (and nothing else) for everything a
person looks for at a glance, reckoned in the schedule's zone:

- the next session that takes place, overall and of each modality;
- a month grid of this month and the next ones, each day with its sessions
  (cancelled ones included, with their reason);
- the upcoming sessions: those that have not ended yet, to the end of the grid.

It also says until when it stays true (:attr:`Overview.valid_until`), so a
server can keep a rendered page exactly that long. This module computes dates
so that the web app does not have to; it renders nothing.

>>> from datetime import datetime
>>> from hmis_schedule import clackamas
>>> s = clackamas()
>>> o = overview(s, datetime(2026, 11, 23, 10, 0, tzinfo=s.zone))
>>> o.today.isoformat(), o.next.start.isoformat()
('2026-11-23', '2026-11-23T13:00:00-08:00')
>>> [m.first.isoformat() for m in o.months]
['2026-11-01', '2026-12-01', '2027-01-01']
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from .errors import ScheduleError, WindowError
from .rules import Modality
from .schedule import Schedule
from .session import Session, local_datetime

__all__ = ["Day", "Month", "Overview", "months_ahead", "overview"]

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class Day:
    """One cell of a month grid: a date, whether it belongs to the month shown, its sessions."""

    date: date
    in_month: bool
    today: bool
    sessions: tuple[Session, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Month:
    """One month as a grid of whole weeks (``weeks[i][j]`` is a :class:`Day`)."""

    first: date
    weeks: tuple[tuple[Day, ...], ...]

    @property
    def sessions(self) -> tuple[Session, ...]:
        """The sessions of the days that belong to this month, in order."""
        return tuple(s for week in self.weeks for day in week if day.in_month for s in day.sessions)


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview:
    """Everything the public page shows, as of ``now``.

    Attributes
    ----------
    now, today:
        The instant asked for and its date in the schedule's zone.
    next:
        The first session that takes place (not cancelled) starting after ``now``.
    next_by_modality:
        The same for each modality, in the order of :class:`Modality`.
    months:
        The month grid: this month and the following ones.
    upcoming:
        Sessions that end after ``now`` and start before the end of the grid,
        cancelled ones included, sorted by start.
    valid_until:
        The first instant at which any of this changes (a session starts or
        ends, or the day changes): the overview of any instant in
        ``[now, valid_until)`` is the same.
    """

    now: datetime
    today: date
    next: Session | None
    next_by_modality: tuple[tuple[Modality, Session | None], ...]
    months: tuple[Month, ...]
    upcoming: tuple[Session, ...]
    valid_until: datetime


def months_ahead(today: date, count: int) -> list[date]:
    """The first days of the month of ``today`` and of the ``count - 1`` months after it.

    >>> [d.isoformat() for d in months_ahead(date(2026, 11, 23), 3)]
    ['2026-11-01', '2026-12-01', '2027-01-01']
    """
    firsts = []
    year, month = today.year, today.month
    for _ in range(count):
        firsts.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return firsts


def overview(
    schedule: Schedule,
    now: datetime,
    *,
    months: int = 3,
    first_weekday: int = calendar.SUNDAY,
) -> Overview:
    """The public page's view of ``schedule`` at the instant ``now``.

    Parameters
    ----------
    schedule:
        The schedule.
    now:
        An aware datetime (any zone); it is reckoned in the schedule's zone.
    months:
        How many months the grid shows (1 to 12), starting with this one.
    first_weekday:
        The first column of the grid: 0 for Monday to 6 for Sunday (US calendars
        start on Sunday).

    Returns
    -------
    An :class:`Overview`.

    Raises
    ------
    WindowError
        If ``now`` is naive or ``months`` is out of range.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> o = overview(s, datetime(2026, 9, 1, tzinfo=s.zone), months=1)
    >>> [(x.day.day, x.status.value, x.reason) for x in o.upcoming][:2]
    [(7, 'cancelled', 'Labor Day'), (14, 'scheduled', '')]
    >>> [d.date.day for d in o.months[0].weeks[0]]
    [30, 31, 1, 2, 3, 4, 5]
    """
    if not isinstance(now, datetime) or now.utcoffset() is None:
        raise WindowError(f"expected an aware datetime, got {now!r}", field="now")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 12:
        raise ScheduleError(f"must be a whole number from 1 to 12, got {months!r}", field="months")
    zone = schedule.zone
    local_now = now.astimezone(zone)
    today = local_now.date()
    firsts = months_ahead(today, months + 1)
    grids = [calendar.Calendar(first_weekday).monthdatescalendar(f.year, f.month) for f in firsts[:-1]]
    grid_start = grids[0][0][0]
    grid_end = grids[-1][-1][-1] + _DAY
    sessions = schedule.sessions_between(grid_start, grid_end)
    by_day: dict[date, list[Session]] = {}
    for session in sessions:
        by_day.setdefault(session.day, []).append(session)
    month_list = tuple(
        Month(
            first=first,
            weeks=tuple(
                tuple(
                    Day(
                        date=d,
                        in_month=d.month == first.month,
                        today=d == today,
                        sessions=tuple(by_day.get(d, ())),
                    )
                    for d in week
                )
                for week in grid
            ),
        )
        for first, grid in zip(firsts, grids, strict=False)
    )
    upcoming = tuple(s for s in sessions if s.end > local_now and s.start < _midnight(firsts[-1], schedule))
    first_next = schedule.next_session(local_now)
    by_modality = tuple((m, schedule.next_session(local_now, modality=m)) for m in Modality)
    changes = [_midnight(today + _DAY, schedule)]
    changes += [s.start for s in (first_next, *(n for _, n in by_modality)) if s is not None]
    # No other start matters: a later scheduled session starts after the next
    # one, and a cancelled session stays in ``upcoming`` until it ends.
    changes += [s.end for s in upcoming]
    return Overview(
        now=now,
        today=today,
        next=first_next,
        next_by_modality=by_modality,
        months=month_list,
        upcoming=upcoming,
        valid_until=min(changes),
    )


def _midnight(day: date, schedule: Schedule) -> datetime:
    return local_datetime(day, time(0), schedule.zone)
