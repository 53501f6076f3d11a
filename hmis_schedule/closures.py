"""Stage 3a of the pipeline: days the office is closed.

Two sources: a public-holiday calendar from the ``holidays`` package (country
and subdivision, observed dates included) and the schedule's own dated
closures (a floating holiday, an emergency). A session on a closed day is
never dropped: it stays with status cancelled and the closure's reason.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from datetime import date

import holidays

from .errors import ScheduleError

__all__ = ["Closure", "HolidayCalendar"]


@functools.cache
def _countries() -> dict[str, list[str]]:
    return {code: list(subdivs) for code, subdivs in holidays.list_supported_countries().items()}


@functools.lru_cache(maxsize=4096)
def _holidays_in(country: str, subdivision: str | None, observed: bool, year: int) -> dict[date, str]:
    """The holidays of one year, by date, in the country's default language (cached)."""
    table = holidays.country_holidays(country, subdiv=subdivision, years=year, observed=observed)
    return {day: name for day, name in sorted(table.items()) if day.year == year}


@dataclass(frozen=True, slots=True, kw_only=True)
class HolidayCalendar:
    """Public holidays from the ``holidays`` package, on which sessions are cancelled.

    ``exclude`` lists holiday dates on which the office works anyway.

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

    def __post_init__(self) -> None:
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
        return _holidays_in(self.country, self.subdivision, self.observed, day.year).get(day)

    def between(self, first: date, end: date) -> dict[date, str]:
        """Every holiday in ``[first, end)`` (``end`` exclusive), by date."""
        found: dict[date, str] = {}
        for year in range(first.year, end.year + 1):
            for day, name in _holidays_in(self.country, self.subdivision, self.observed, year).items():
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
