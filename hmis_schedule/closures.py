"""Stage 3a of the pipeline: days the office is closed.

Two sources: a public-holiday calendar from the ``holidays`` package (country
and subdivision, observed dates included) and the schedule's own dated
closures (a floating holiday, an emergency). A session on a closed day is
never dropped: it stays with status cancelled and the closure's reason.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass
from datetime import date

import holidays

from .errors import ScheduleError
from .facts import Text

__all__ = ["Closure", "HolidayCalendar"]


@functools.cache
def _countries() -> dict[str, list[str]]:
    return {code: list(subdivs) for code, subdivs in holidays.list_supported_countries().items()}


_Tables = dict[int, dict[date, str]]
_TABLES: dict[tuple[str, str | None, bool], _Tables] = {}
"""Holidays by calendar, then by year, then by date: filled on demand, never emptied."""


def _holidays_in(
    country: str, subdivision: str | None, observed: bool, first: int, last: int
) -> list[dict[date, str]]:
    """The holidays of the years ``first`` to ``last`` (inclusive), each by date, in the country's language.

    The years not yet known are computed with one call of the ``holidays``
    package (a call per year costs about three times as much), and kept.
    Each year holds only its own dates: an observed New Year's Day on
    December 31 belongs to the year before.
    """
    tables = _TABLES.setdefault((country, subdivision, observed), {})
    missing = [year for year in range(first, last + 1) if year not in tables]
    if missing:
        years = range(missing[0], missing[-1] + 1)
        found = holidays.country_holidays(country, subdiv=subdivision, years=years, observed=observed)
        by_year: _Tables = {year: {} for year in years}
        for day, name in sorted(found.items()):
            if day.year in by_year:
                by_year[day.year][day] = name
        for year, table in by_year.items():
            tables.setdefault(year, table)
    return [tables[year] for year in range(first, last + 1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class HolidayCalendar:
    """Public holidays from the ``holidays`` package, on which sessions are cancelled.

    ``exclude`` lists holiday dates on which the office works anyway.
    ``closed`` is how people read a holiday's closure: ``{holiday}`` in it
    stands for the holiday's name ("{holiday} - county offices closed");
    without it, the holiday's name alone is the reason.

    >>> oregon = HolidayCalendar(country="US", subdivision="OR")
    >>> oregon.name_on(date(2026, 9, 7))
    'Labor Day'
    >>> oregon.name_on(date(2026, 9, 14)) is None
    True
    """

    country: str
    subdivision: str | None = None
    observed: bool = True
    exclude: tuple[date, ...] = ()
    closed: Text = dataclasses.field(default_factory=lambda: Text.of(""))

    def __post_init__(self) -> None:
        if isinstance(self.closed, str):
            object.__setattr__(self, "closed", Text.of(self.closed))
        countries = _countries()
        if self.country not in countries:
            raise ScheduleError(
                f"unknown holiday country {self.country!r}",
                field="country",
                choices=sorted(countries),
            )
        subdivisions = countries[self.country]
        if self.subdivision is not None and self.subdivision not in subdivisions:
            raise ScheduleError(
                f"unknown subdivision {self.subdivision!r} of {self.country}",
                field="subdivision",
                choices=subdivisions,
            )

    def name_on(self, day: date) -> str | None:
        """The holiday's name if ``day`` is a (observed) holiday, else ``None``."""
        if day in self.exclude:
            return None
        (table,) = _holidays_in(self.country, self.subdivision, self.observed, day.year, day.year)
        return table.get(day)

    def between(self, first: date, end: date) -> dict[date, str]:
        """Every holiday in ``[first, end)`` (``end`` exclusive), by date."""
        found: dict[date, str] = {}
        for table in _holidays_in(self.country, self.subdivision, self.observed, first.year, end.year):
            for day, name in table.items():
                if first <= day < end and day not in self.exclude:
                    found[day] = name
        return dict(sorted(found.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class Closure:
    """A dated closure the schedule adds itself: every session that day is cancelled.

    ``sequence`` is raised each time the closure is edited, so calendars update.
    """

    date: dt.date
    reason: str
    sequence: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.date, date):
            raise ScheduleError(f"expected a date such as 2026-11-27, got {self.date!r}", field="date")
        if not self.reason.strip():
            raise ScheduleError("say why the office is closed", field="reason")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int) or self.sequence < 1:
            raise ScheduleError(f"must be a whole number >= 1, got {self.sequence!r}", field="sequence")
