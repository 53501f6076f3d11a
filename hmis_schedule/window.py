"""Feed windows: the dates a feed covers, worked out once, where a request or a command comes in.

:func:`feed_window` applies the schedule's ``[feed]`` defaults (``past_days``
back, ``future_months`` ahead) and its limit (``max_years``) to the bounds
asked for, and returns a frozen :class:`Window`, the half-open ``[start,
end)`` of dates that the renderers (:mod:`hmis_schedule.feed`) and the JSON
API take as it is, without checking or working it out again.

>>> from hmis_schedule import clackamas
>>> feed_window(clackamas(), date(2026, 11, 23))
Window(start=datetime.date(2026, 8, 25), end=datetime.date(2028, 2, 23))
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .errors import ScheduleError, WindowError
from .schedule import Schedule
from .values import day

__all__ = ["Window", "add_months", "feed_window"]


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole ``months``, kept within the month (Jan 31 + 1 month = Feb 28).

    >>> add_months(date(2026, 1, 31), 1)
    datetime.date(2026, 2, 28)
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _date_arg(value: object, field: str) -> date:
    try:
        return day(value, field, text=False)
    except ScheduleError as err:
        raise WindowError(err.message, field=field) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """The dates a feed covers: the half-open window ``[start, end)``, ``end > start``.

    ``start`` is the first day covered and ``end`` the day after the last one
    (exclusive); both are dates, not datetimes. A window checks only itself:
    the schedule's limit on its length is applied by :func:`feed_window`, which
    is how windows are normally made. Human interfaces take inclusive dates and
    add a day to the last one.

    Raises
    ------
    WindowError
        If a bound is not a date (field ``start`` or ``end``), or if
        ``end <= start`` (field ``end``).

    >>> Window(start=date(2026, 12, 1), end=date(2027, 1, 1))
    Window(start=datetime.date(2026, 12, 1), end=datetime.date(2027, 1, 1))
    >>> Window(start=date(2026, 12, 1), end=date(2026, 12, 1))
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.WindowError: end: the window must end after it starts (2026-12-01 to 2026-12-01)
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        _date_arg(self.start, "start")
        _date_arg(self.end, "end")
        if self.end <= self.start:
            raise WindowError(f"the window must end after it starts ({self.start} to {self.end})", field="end")


def feed_window(schedule: Schedule, today: date, start: date | None = None, end: date | None = None) -> Window:
    """The dates a feed covers, as a half-open :class:`Window` ``[start, end)``.

    Work it out once, where the request comes in, and pass the window on:
    :func:`render_feed` and :func:`feed_calendar` take it as it is.

    Parameters
    ----------
    schedule:
        The schedule; its ``feed`` settings give the defaults and the limit.
    today:
        Today's date in the schedule's zone (an aware datetime is converted).
    start, end:
        The window asked for; ``end`` is exclusive. Each one left out takes its
        default: ``today`` less ``feed.past_days`` days, and ``today`` plus
        ``feed.future_months`` months.

    Returns
    -------
    The :class:`Window`.

    Raises
    ------
    WindowError
        If a bound is not a date, if ``end <= start``, or if the window is
        longer than ``feed.max_years`` years (field ``start`` or ``end``, the
        one given).

    >>> from hmis_schedule import clackamas
    >>> feed_window(clackamas(), date(2026, 11, 23))
    Window(start=datetime.date(2026, 8, 25), end=datetime.date(2028, 2, 23))
    """
    if isinstance(today, datetime):
        today = schedule.today(today)
    today = _date_arg(today, "today")
    settings = schedule.feed
    first = _date_arg(start, "start") if start is not None else today - timedelta(days=settings.past_days)
    last = _date_arg(end, "end") if end is not None else add_months(today, settings.future_months)
    blame = "end" if end is not None or start is None else "start"
    try:
        window = Window(start=first, end=last)
    except WindowError as err:
        raise WindowError(err.message, field=blame) from None
    try:
        limit = add_months(first, 12 * settings.max_years)
    except (ValueError, OverflowError):
        limit = date.max
    if last > limit:
        raise WindowError(
            f"a feed covers at most {settings.max_years} years: {first} to {last} is longer "
            f"(the latest end for this start is {limit})",
            field=blame,
        )
    return window
