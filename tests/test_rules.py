"""Stage 1: slot rules and the n-th weekday arithmetic, checked against dateutil's rrule.

``rrule(MONTHLY, byweekday=MO(+5))`` skips months without a fifth Monday and
``MO(-1)`` is the last Monday, so rrule is an independent oracle for every
ordinal the library accepts.
"""

from __future__ import annotations

import calendar
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schedule_strategies import days, ordinals, rrule_dates, slots, weekdays

from hmis_schedule import LAST, ORDINALS, Modality, ScheduleError, Slot, Weekday, nth_weekday


def count_weekdays(year: int, month: int, weekday: Weekday) -> int:
    """How many times ``weekday`` occurs in the month (4 or 5), by counting its days."""
    return sum(
        1 for day in range(1, calendar.monthrange(year, month)[1] + 1)
        if date(year, month, day).weekday() == weekday.number
    )


def in_person(**fields: object) -> Slot:
    values: dict[str, object] = {
        "id": "second-monday", "ordinal": 2, "weekday": Weekday.MONDAY, "start": time(13),
        "end": time(16), "modality": Modality.IN_PERSON, "location": "2051 Kaen Road",
    }
    values.update(fields)
    return Slot(**values)


@pytest.mark.parametrize("ordinal", ORDINALS)
@pytest.mark.parametrize("weekday", list(Weekday))
def test_nth_weekday_gives_the_same_dates_as_rrule_for_two_centuries(weekday: Weekday, ordinal: int) -> None:
    first, last = date(1900, 1, 1), date(2100, 12, 31)
    ours = [
        d for year in range(first.year, last.year + 1) for month in range(1, 13)
        if (d := nth_weekday(year, month, weekday, ordinal)) is not None
    ]
    assert ours == rrule_dates(weekday, ordinal, first, last)


@given(
    year=st.integers(1, 9999), month=st.integers(1, 12), weekday=weekdays, ordinal=ordinals
)
def test_nth_weekday_lies_in_its_week_of_the_month(year: int, month: int, weekday: Weekday, ordinal: int) -> None:
    found = nth_weekday(year, month, weekday, ordinal)
    days_in_month = calendar.monthrange(year, month)[1]
    if ordinal == 5 and count_weekdays(year, month, weekday) == 4:
        assert found is None
        return
    assert found is not None
    assert (found.year, found.month) == (year, month)
    assert found.weekday() == weekday.number
    if ordinal == LAST:
        assert days_in_month - 7 < found.day <= days_in_month
    else:
        assert 7 * (ordinal - 1) + 1 <= found.day <= 7 * ordinal


@given(year=st.integers(1, 9999), month=st.integers(1, 12), weekday=weekdays)
def test_fifth_weekday_only_in_months_that_have_five(year: int, month: int, weekday: Weekday) -> None:
    has_five = count_weekdays(year, month, weekday) == 5
    assert (nth_weekday(year, month, weekday, 5) is not None) == has_five
    assert nth_weekday(year, month, weekday, LAST) == nth_weekday(year, month, weekday, 5 if has_five else 4)


@given(slot=slots(), first=days, length=st.integers(0, 800))
def test_slot_dates_are_rrule_dates_in_the_half_open_window(slot: Slot, first: date, length: int) -> None:
    end = first + timedelta(days=length)
    got = list(slot.dates(first, end))
    expected = rrule_dates(slot.weekday, slot.ordinal, first, end - timedelta(days=1)) if length else []
    assert got == expected
    assert all(slot.occurs_on(d) for d in got)


@given(slot=slots(), day=days)
def test_occurs_on_agrees_with_rrule(slot: Slot, day: date) -> None:
    month_start = day.replace(day=1)
    month_end = date(day.year + day.month // 12, day.month % 12 + 1, 1) - timedelta(days=1)
    assert slot.occurs_on(day) == (day in rrule_dates(slot.weekday, slot.ordinal, month_start, month_end))


@pytest.mark.parametrize("same_weekday", [True, False])
@pytest.mark.parametrize("a", ORDINALS)
@pytest.mark.parametrize("b", ORDINALS)
def test_may_share_a_day_exactly_when_the_calendar_says_so(a: int, b: int, same_weekday: bool) -> None:
    one = in_person(id="one", ordinal=a)
    other = in_person(id="other", ordinal=b, weekday=Weekday.MONDAY if same_weekday else Weekday.TUESDAY)
    # 28 years repeat the whole calendar of weekdays between 1901 and 2099
    first, last = date(2001, 1, 1), date(2028, 12, 31)
    shared = set(rrule_dates(one.weekday, a, first, last)) & set(rrule_dates(other.weekday, b, first, last))
    assert one.may_share_a_day_with(other) == bool(shared) == other.may_share_a_day_with(one)


def test_overlap_needs_a_shared_day_and_overlapping_times() -> None:
    morning = in_person(id="morning", ordinal=LAST, start=time(9), end=time(12))
    assert morning.overlaps(in_person(id="fourth", ordinal=4, start=time(11), end=time(13)))
    assert not morning.overlaps(in_person(id="fourth", ordinal=4, start=time(12), end=time(13)))  # back to back
    assert not morning.overlaps(in_person(id="third", ordinal=3, start=time(9), end=time(12)))


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"ordinal": 0}, "ordinal", "1 to 5"),
        ({"ordinal": 6}, "ordinal", "1 to 5"),
        ({"ordinal": -2}, "ordinal", "-1"),
        ({"ordinal": True}, "ordinal", "1 to 5"),
        ({"weekday": "monday"}, "weekday", "'tuesday'"),
        ({"start": time(16), "end": time(13)}, "end", "after start"),
        ({"end": time(13)}, "end", "after start"),
        ({"start": time(13, tzinfo=ZoneInfo("UTC"))}, "start", "local time"),
        ({"start": "13:00"}, "start", "local time"),
        ({"modality": "teams"}, "modality", "'in_person'"),
        ({"location": "  "}, "location", "address"),
        ({"id": "Second Monday"}, "id", "lowercase"),
        ({"id": ""}, "id", "lowercase"),
        ({"id": "-second"}, "id", "starting with a letter or digit"),
    ],
)
def test_a_bad_slot_names_the_field(fields: dict[str, object], field: str, text: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        in_person(**fields)
    assert caught.value.field == field
    assert text in str(caught.value)


def test_an_online_slot_needs_no_address() -> None:
    slot = in_person(modality=Modality.ONLINE, location="")
    assert slot.location == ""


@pytest.mark.parametrize("ordinal", [0, 6, -2, 99])
def test_nth_weekday_rejects_other_ordinals(ordinal: int) -> None:
    with pytest.raises(ScheduleError) as caught:
        nth_weekday(2026, 3, Weekday.MONDAY, ordinal)
    assert caught.value.field == "ordinal"


@given(day=st.dates())
def test_weekday_of_agrees_with_date_weekday(day: date) -> None:
    weekday = Weekday.of(day)
    assert weekday.number == day.weekday()
    assert weekday.value == calendar.day_name[day.weekday()].lower()
