"""Stage 3a: public holidays and the schedule's own closures.

The oracle for holidays is the ``holidays`` package, asked directly with the
country and subdivision (observed dates included), never a hand-typed list.
"""

from __future__ import annotations

import dataclasses
from datetime import date, time, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st
from schedule_strategies import DOMAIN, UPDATED, days

from hmis_schedule import (
    LAST,
    Closure,
    HolidayCalendar,
    Modality,
    Schedule,
    ScheduleError,
    Slot,
    Status,
    Text,
    Weekday,
)

CALENDARS = [("US", "OR"), ("US", None), ("GB", "ENG"), ("AU", "NSW"), ("DE", "BY"), ("CA", "BC"), ("MX", None)]


@given(
    where=st.sampled_from(CALENDARS),
    observed=st.booleans(),
    first=days,
    length=st.integers(0, 800),
    exclude=st.lists(days, max_size=3),
)
def test_holiday_calendar_agrees_with_the_holidays_package(
    where: tuple[str, str | None], observed: bool, first: date, length: int, exclude: list[date]
) -> None:
    country, subdivision = where
    end = first + timedelta(days=length)
    calendar = HolidayCalendar(country=country, subdivision=subdivision, observed=observed, exclude=tuple(exclude))
    oracle = holidays.country_holidays(
        country, subdiv=subdivision, observed=observed, years=range(first.year, end.year + 1)
    )
    expected = {d: n for d, n in sorted(oracle.items()) if first <= d < end and d not in exclude}
    assert calendar.between(first, end) == expected
    day = first + timedelta(days=length // 2)
    assert calendar.name_on(day) == (None if day in exclude else oracle.get(day))


def test_new_years_day_observed_on_the_last_day_of_the_year_before() -> None:
    """New Year's Day 2022 is a Saturday: Oregon observes it on Friday Dec 31 2021."""
    oregon = holidays.country_holidays("US", subdiv="OR", years=[2021, 2022])
    assert "New Year" in oregon[date(2021, 12, 31)]
    last_friday = Slot(id="last-friday", ordinal=LAST, weekday=Weekday.FRIDAY, start=time(9), end=time(12),
                       modality=Modality.ONLINE)
    schedule = Schedule(
        id="fridays", name=Text.of("Fridays"), title=Text.of("Fridays"), timezone="America/Los_Angeles",
        updated=UPDATED, uid_domain=DOMAIN, slots=(last_friday,),
        holidays=HolidayCalendar(country="US", subdivision="OR"),
    )
    (session,) = schedule.sessions_between(date(2021, 12, 31), date(2022, 1, 1))
    assert (session.status, session.reason) == (Status.CANCELLED, oregon[date(2021, 12, 31)])


def test_an_excluded_holiday_is_a_working_day(clackamas: Schedule) -> None:
    labor_day = date(2026, 9, 7)
    assert clackamas.holidays is not None
    open_on_labor_day = dataclasses.replace(
        clackamas, holidays=dataclasses.replace(clackamas.holidays, exclude=(labor_day,))
    )
    (session,) = open_on_labor_day.sessions_between(labor_day, labor_day + timedelta(days=1))
    assert (session.status, session.reason, session.sequence) == (Status.SCHEDULED, "", 0)


def test_a_dated_closure_cancels_every_session_that_day_and_wins_over_a_holiday(clackamas: Schedule) -> None:
    floating, labor_day = date(2027, 3, 15), date(2027, 9, 6)
    schedule = dataclasses.replace(
        clackamas,
        closures=(
            Closure(date=floating, reason="County floating holiday"),
            Closure(date=labor_day, reason="Office closed", sequence=3),
            Closure(date=date(2027, 3, 16), reason="No session that day anyway"),
        ),
    )
    (session,) = schedule.sessions_between(floating, floating + timedelta(days=1))
    assert (session.status, session.reason, session.sequence) == (Status.CANCELLED, "County floating holiday", 1)
    (session,) = schedule.sessions_between(labor_day, labor_day + timedelta(days=1))
    assert (session.status, session.reason, session.sequence) == (Status.CANCELLED, "Office closed", 3)
    # a closure on a day without sessions changes nothing else
    untouched = [s for s in schedule.sessions_between(date(2027, 3, 1), date(2027, 4, 1)) if s.day != floating]
    assert untouched == [s for s in clackamas.sessions_between(date(2027, 3, 1), date(2027, 4, 1)) if s.day != floating]


@pytest.mark.parametrize(
    ("fields", "field", "choice"),
    [
        ({"country": "XX"}, "country", "US"),
        ({"country": "us"}, "country", "US"),
        ({"country": "US", "subdivision": "ZZ"}, "subdivision", "OR"),
        ({"country": "US", "subdivision": "Oregon"}, "subdivision", "OR"),
    ],
)
def test_an_unknown_holiday_calendar_lists_the_choices(fields: dict[str, str], field: str, choice: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        HolidayCalendar(**fields)
    assert caught.value.field == field
    assert choice in caught.value.choices


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"date": "2027-03-15", "reason": "x"}, "date"),
        ({"date": date(2027, 3, 15), "reason": " "}, "reason"),
        ({"date": date(2027, 3, 15), "reason": "x", "sequence": 0}, "sequence"),
    ],
)
def test_a_bad_closure_names_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        Closure(**fields)
    assert caught.value.field == field


def test_two_closures_on_one_day_are_refused(clackamas: Schedule) -> None:
    with pytest.raises(ScheduleError) as caught:
        dataclasses.replace(
            clackamas,
            closures=(Closure(date=date(2027, 3, 15), reason="a"), Closure(date=date(2027, 3, 15), reason="b")),
        )
    assert caught.value.field == "closures[1].date"
    assert "closures[0]" in str(caught.value)
