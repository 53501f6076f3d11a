"""Stage 4: properties of ``Schedule.sessions_between`` and ``next_session`` over arbitrary schedules.

Schedules come from :mod:`schedule_strategies`: arbitrary non-overlapping slot
sets in America/Los_Angeles, Europe/London, Australia/Sydney and
America/Phoenix, with holidays, dated closures, one-off changes and extra
sessions. Oracles: dateutil's rrule for dates, the ``holidays`` package for
closed days, pytz for interoperability; the rest are invariants.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
import pytz
from hypothesis import given
from hypothesis import strategies as st
from schedule_strategies import (
    DOMAIN,
    UPDATED,
    ZONES,
    rrule_dates,
    schedule_instants,
    schedule_windows,
    schedules,
    windows,
    zones,
)

from hmis_schedule import (
    Change,
    HolidayCalendar,
    Modality,
    Schedule,
    Session,
    Slot,
    Status,
    Text,
    Weekday,
)
from hmis_schedule.session import local_times, session_uid

HORIZON = timedelta(days=2 * 366)


@functools.cache
def holiday_table(calendar: HolidayCalendar) -> holidays.HolidayBase:
    """The oracle for closed days: the holidays package itself, growing by year as asked."""
    return holidays.country_holidays(calendar.country, subdiv=calendar.subdivision, observed=calendar.observed)


def holiday_name(schedule: Schedule, day: date) -> str | None:
    calendar = schedule.holidays
    if calendar is None or day in calendar.exclude:
        return None
    name = holiday_table(calendar).get(day)
    return None if name is None else str(name)


def bounds(window: tuple[date, date], zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A date window as the instants it means: midnight at the start of each day in ``zone``."""
    return tuple(datetime.combine(d, time(0), tzinfo=zone) for d in window)  # type: ignore[return-value]


def check_window(sessions: list[Session], lo: datetime, hi: datetime) -> None:
    """Sorted, inside ``[lo, hi)``, unique uids."""
    assert sessions == sorted(sessions)
    assert [s.start.astimezone(UTC) for s in sessions] == sorted(s.start.astimezone(UTC) for s in sessions)
    assert all(lo <= s.start < hi for s in sessions)
    uids = [s.uid for s in sessions]
    assert len(uids) == len(set(uids))


def expected_uids(schedule: Schedule, lo: datetime, hi: datetime) -> set[str]:
    """Every occurrence (rrule dates, extras) that, after its change, starts in ``[lo, hi)``."""
    changes = {c.key: c for c in schedule.changes}
    first = lo.astimezone(schedule.zone).date() - timedelta(days=70)  # changes move at most 60 days
    last = hi.astimezone(schedule.zone).date() + timedelta(days=70)
    planned: list[tuple[str, date, time, time]] = [
        (slot.id, day, slot.start, slot.end)
        for slot in schedule.slots
        for day in rrule_dates(slot.weekday, slot.ordinal, first, last)
    ]
    planned += [(e.id, e.date, e.start, e.end) for e in schedule.extras]
    found = set()
    for slot_id, day, start, end in planned:
        change = changes.get((slot_id, day))
        new_day, new_start, new_end = day, start, end
        if change is not None:
            new_day = change.to_date or day
            new_start, new_end = change.start or start, change.end or end
        starts_at, _ = local_times(new_day, new_start, new_end, schedule.zone)
        if lo <= starts_at < hi:
            found.add(session_uid(slot_id, day, schedule.uid_domain))
    return found


@given(schedule=schedules(with_changes=False, with_closures=False, with_extras=False), window=windows())
def test_session_dates_are_rrule_dates_on_the_slot_weekday_and_week(
    schedule: Schedule, window: tuple[date, date]
) -> None:
    sessions = schedule.sessions_between(*window)
    for slot in schedule.slots:
        got = [s.day for s in sessions if s.slot_id == slot.id]
        last = window[1] - timedelta(days=1)
        assert got == (rrule_dates(slot.weekday, slot.ordinal, window[0], last) if window[1] > window[0] else [])
        for day in got:
            assert day.weekday() == slot.weekday.number
            if slot.ordinal == -1:
                next_week = day + timedelta(days=7)
                assert next_week.month != day.month
            else:
                assert 7 * (slot.ordinal - 1) + 1 <= day.day <= 7 * slot.ordinal


@given(schedule=schedules(with_changes=False, with_closures=False, with_extras=False, with_holidays=False),
       year=st.integers(1995, 2044))
def test_ordinal_five_sessions_exist_exactly_in_months_with_five_such_weekdays(schedule: Schedule, year: int) -> None:
    sessions = schedule.sessions_between(date(year, 1, 1), date(year + 1, 1, 1))
    for slot in schedule.slots:
        months = {s.day.month for s in sessions if s.slot_id == slot.id}
        for month in range(1, 13):
            count = sum(
                1 for d in range(1, 32)
                if _valid(year, month, d) and date(year, month, d).weekday() == slot.weekday.number
            )
            if slot.ordinal == 5:
                assert (month in months) == (count == 5)
            else:
                assert month in months


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


@given(case=schedule_instants(count=3))
def test_windows_add_up(case: tuple[Schedule, list[datetime]]) -> None:
    schedule, (a, b, c) = case
    whole = schedule.sessions_between(a, c)
    assert whole == schedule.sessions_between(a, b) + schedule.sessions_between(b, c)
    check_window(whole, a, c)


@given(case=schedule_windows())
def test_nothing_is_dropped_and_uids_do_not_depend_on_the_window(case: tuple[Schedule, tuple[date, date]]) -> None:
    schedule, window = case
    lo, hi = bounds(window, schedule.zone)
    sessions = schedule.sessions_between(*window)
    check_window(sessions, lo, hi)
    assert {s.uid for s in sessions} == expected_uids(schedule, lo, hi)
    for session in sessions:
        # the same session, found in the smallest window around it and by its uid
        assert schedule.sessions_between(session.start, session.start + timedelta(microseconds=1)) == [session]
        assert schedule.session(session.uid) == session


@given(case=schedule_windows())
def test_status_reason_and_sequence_follow_changes_closures_and_holidays(
    case: tuple[Schedule, tuple[date, date]]
) -> None:
    schedule, window = case
    changes = {c.key: c for c in schedule.changes}
    closures = {c.date: c for c in schedule.closures}
    extras = {e.id: e for e in schedule.extras}
    for session in schedule.sessions_between(*window):
        change = changes.get((session.slot_id, session.original_date))
        planned_sequence = extras[session.slot_id].sequence if session.slot_id in extras else 0
        closure = closures.get(session.day)
        holiday = holiday_name(schedule, session.day)
        if change is not None and change.cancel:
            assert (session.status, session.reason) == (Status.CANCELLED, change.reason)
            assert session.sequence == planned_sequence + change.sequence
            continue
        step = change.sequence if change is not None else 0
        if closure is not None:
            assert (session.status, session.reason) == (Status.CANCELLED, closure.reason)
            step += closure.sequence
        elif holiday is not None:
            assert (session.status, session.reason) == (Status.CANCELLED, holiday)
            step += 1
        else:
            # no scheduled session on a closed day, and no cancelled one on an open day
            assert session.status is Status.SCHEDULED
        assert session.sequence == planned_sequence + step


@given(case=schedule_windows(), modality=st.sampled_from(list(Modality)))
def test_filters_only_filter(case: tuple[Schedule, tuple[date, date]], modality: Modality) -> None:
    schedule, window = case
    everything = schedule.sessions_between(*window)
    cancelled = [s for s in everything if s.cancelled]
    assert all(s.reason for s in cancelled)  # cancelled sessions are kept, with a reason
    assert schedule.sessions_between(*window, include_cancelled=False) == [s for s in everything if not s.cancelled]
    assert schedule.sessions_between(*window, include_cancelled=True) == everything
    of_modality = [s for s in everything if s.modality is modality]
    assert schedule.sessions_between(*window, modality=modality) == of_modality
    assert schedule.sessions_between(*window, modality=modality.value) == of_modality


def moves(schedule: Schedule) -> Iterable[Change]:
    return (c for c in schedule.changes if c.to_date is not None)


@given(schedule=schedules(with_closures=False, with_holidays=False))
def test_a_moved_session_is_found_in_the_window_of_its_new_date_not_its_old(schedule: Schedule) -> None:
    for change in moves(schedule):
        assert change.to_date is not None
        uid = session_uid(change.slot, change.date, schedule.uid_domain)
        new_day = schedule.sessions_between(change.to_date, change.to_date + timedelta(days=1))
        old_day = schedule.sessions_between(change.date, change.date + timedelta(days=1))
        assert uid in {s.uid for s in new_day}
        assert uid not in {s.uid for s in old_day}
        # also when the window's edge falls between the old and the new date
        edge = max(change.date, change.to_date)
        before, after = (
            schedule.sessions_between(edge - timedelta(days=90), edge),
            schedule.sessions_between(edge, edge + timedelta(days=90)),
        )
        moved_later = change.to_date > change.date
        assert (uid in {s.uid for s in after}) == moved_later
        assert (uid in {s.uid for s in before}) == (not moved_later)


@given(schedule=schedules(with_closures=False, with_holidays=False))
def test_a_changed_session_keeps_its_uid_and_gets_a_higher_sequence(schedule: Schedule) -> None:
    slots = {s.id: s for s in schedule.slots}
    for change in schedule.changes:
        uid = session_uid(change.slot, change.date, schedule.uid_domain)
        session = schedule.session(uid)
        assert session.uid == uid and session.original_date == change.date
        assert session.sequence == change.sequence > 0
        slot = slots[change.slot]
        if change.cancel:
            assert session.cancelled and session.reason == change.reason
            assert session.day == change.date
            continue
        assert not session.cancelled
        assert session.day == (change.to_date or change.date)
        assert session.moved == (change.to_date is not None)
        if change.start is not None:
            assert (session.start.time(), session.end.time()) == (change.start, change.end)
        if change.modality is not None:
            assert (session.modality, session.location, session.room) == (
                change.modality, change.location, change.room,
            )
        else:
            assert (session.modality, session.location) == (slot.modality, slot.location)


@given(case=schedule_instants(count=1), modality=st.sampled_from([None, *Modality]))
def test_next_session_is_the_first_uncancelled_session_after(
    case: tuple[Schedule, list[datetime]], modality: Modality | None
) -> None:
    schedule, (after,) = case
    found = schedule.next_session(after, modality=modality)
    candidates = [
        s for s in schedule.sessions_between(after, after + HORIZON, modality=modality)
        if not s.cancelled and s.start > after
    ]
    if candidates:
        assert found == candidates[0]
    else:
        assert found is None or found.start >= after + HORIZON


@given(
    schedule=schedules(),
    start=st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2045, 1, 1)),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=200)),
    zone_name=st.sampled_from([*ZONES, "UTC", "Asia/Kolkata"]),
)
def test_pytz_and_zoneinfo_bounds_give_identical_results(
    schedule: Schedule, start: datetime, length: timedelta, zone_name: str
) -> None:
    pytz_zone = pytz.timezone(zone_name)
    # zoneinfo first, then the same instants in pytz; and pytz first (localize), then zoneinfo
    zi_lo = start.replace(tzinfo=ZoneInfo(zone_name))
    zi_hi = (zi_lo.astimezone(UTC) + length).astimezone(ZoneInfo(zone_name))
    pairs = [(zi_lo, zi_hi, zi_lo.astimezone(pytz_zone), zi_hi.astimezone(pytz_zone))]
    pz_lo = pytz_zone.localize(start)
    pz_hi = pytz_zone.normalize(pz_lo + length)
    pairs.append((pz_lo.astimezone(ZoneInfo(zone_name)), pz_hi.astimezone(ZoneInfo(zone_name)), pz_lo, pz_hi))
    for zi_a, zi_b, pz_a, pz_b in pairs:
        assert schedule.sessions_between(zi_a, zi_b) == schedule.sessions_between(pz_a, pz_b)
        assert schedule.next_session(zi_a) == schedule.next_session(pz_a)


@given(schedule=schedules(with_changes=False, with_closures=False, with_extras=False), zone=zones,
       window=windows(max_days=120))
def test_date_bounds_mean_midnight_in_the_schedule_zone(
    schedule: Schedule, zone: str, window: tuple[date, date]
) -> None:
    lo, hi = bounds(window, schedule.zone)
    assert schedule.sessions_between(*window) == schedule.sessions_between(lo, hi)
    assert schedule.sessions_between(*window) == schedule.sessions_between(
        lo.astimezone(ZoneInfo(zone)), hi.astimezone(ZoneInfo(zone))
    )


def test_a_bound_in_a_repeated_hour_is_the_instant_it_names() -> None:
    """01:15 the second time (fold=1, PST) is after a session at 01:30 the first time (PDT)."""
    zone = ZoneInfo("America/Los_Angeles")
    schedule = Schedule(
        id="night", name=Text.of("Night"), title=Text.of("Night"), timezone="America/Los_Angeles",
        updated=UPDATED, uid_domain=DOMAIN,
        slots=(Slot(id="night", ordinal=1, weekday=Weekday.SUNDAY, start=time(1, 30), end=time(1, 45),
                    modality=Modality.ONLINE),),
    )
    (session,) = schedule.sessions_between(date(2026, 11, 1), date(2026, 11, 2))
    assert session.start.astimezone(UTC) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    second_0115 = datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=zone)
    assert second_0115.astimezone(UTC) == datetime(2026, 11, 1, 9, 15, tzinfo=UTC)
    assert schedule.sessions_between(second_0115, date(2026, 11, 2)) == []
    assert schedule.sessions_between(date(2026, 11, 1), second_0115) == [session]
    assert schedule.next_session(second_0115) != session


@pytest.mark.parametrize(
    ("start", "end"),
    [(date(1, 1, 1), date(1, 2, 1)), (date(9999, 12, 1), date.max),
     (datetime.min.replace(tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))],
)
def test_bounds_beyond_the_calendar_are_a_window_error(start: date, end: date) -> None:
    from hmis_schedule import WindowError, clackamas

    with pytest.raises(WindowError) as caught:
        clackamas().sessions_between(start, end)
    assert caught.value.field in ("start", "end")
    assert "out of range" in str(caught.value)


def test_far_but_valid_bounds_work() -> None:
    from hmis_schedule import clackamas

    s = clackamas()
    assert [x.day for x in s.sessions_between(date(1, 1, 2), date(1, 1, 31))] == sorted(
        d for slot in s.slots for d in rrule_dates(slot.weekday, slot.ordinal, date(1, 1, 2), date(1, 1, 30))
    )
    assert s.sessions_between(date(9999, 11, 1), date(9999, 12, 30))
    assert s.next_session(date(9999, 12, 29)) is None
    assert s.next_session(date(9999, 11, 1)) is not None
