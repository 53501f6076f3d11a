"""Stage 2: dates become sessions at the slot's wall-clock times in the schedule's zone.

The oracle for every instant is zoneinfo's UTC-to-local conversion, which is
unambiguous: the library's start must be an instant that zoneinfo shows as the
slot's wall-clock time (the first such instant when the time happens twice),
or, for a time the clocks skip, the wall-clock time read after the jump.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schedule_strategies import (
    DOMAIN,
    EDGE_ZONES,
    FIRST_YEAR,
    LAST_YEAR,
    UPDATED,
    days,
    ids,
    schedules,
    windows,
)
from schedule_strategies import (
    clock as seconds_clock,
)

from hmis_schedule import Modality, Schedule, ScheduleError, Session, Slot, Status, Text, Weekday
from hmis_schedule.session import local_datetime, local_times, parse_uid, session_uid


def offset_around(day: date, zone: ZoneInfo, days_away: int) -> timedelta:
    """The zone's UTC offset at noon UTC ``days_away`` days from ``day`` (before or after a change)."""
    instant = datetime.combine(day + timedelta(days=days_away), time(12), tzinfo=UTC)
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def expected_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The oracle, in UTC: the first instant zoneinfo shows as ``clock`` on ``day``, or the reading after a gap."""
    naive = datetime.combine(day, clock)
    before, after = offset_around(day, zone, -1), offset_around(day, zone, 1)
    candidates = sorted({(naive - before).replace(tzinfo=UTC), (naive - after).replace(tzinfo=UTC)})
    shown = [c for c in candidates if c.astimezone(zone).replace(tzinfo=None) == naive]
    if shown:
        return shown[0]
    return (naive - before).replace(tzinfo=UTC)  # skipped: read with the offset before the jump


def wall_clock_exists(day: date, clock: time, zone: ZoneInfo) -> bool:
    naive = datetime.combine(day, clock)
    return expected_instant(day, clock, zone).astimezone(zone).replace(tzinfo=None) == naive


def offset_at(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


@functools.cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """The local wall-clock time (naive) at which each clock change of the zone happens, FIRST_YEAR to LAST_YEAR.

    Found by scanning noon UTC day by day, then bisecting to the second.
    """
    zone = ZoneInfo(zone_name)
    found = []
    lo = datetime(FIRST_YEAR, 1, 1, 12, tzinfo=UTC)
    while lo.year <= LAST_YEAR:
        hi = lo + timedelta(days=1)
        before = offset_at(lo, zone)
        if offset_at(hi, zone) != before:
            a, b = lo, hi  # offset_at(a) == before != offset_at(b)
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) / 2
                a, b = (mid, b) if offset_at(mid, zone) == before else (a, mid)
            found.append((b + before).replace(tzinfo=None))  # the wall clock just before it changes
        lo = hi
    return tuple(found)


@st.composite
def zone_day_times(draw: st.DrawFn, zone_names: tuple[str, ...] = EDGE_ZONES) -> tuple[ZoneInfo, date, time, time]:
    """A zone, a day and a start and end time (end after start on that day).

    Half the time the day is one on which the clocks change and the times lie
    within two hours of the change, where gaps and repeated hours are.
    """
    name = draw(st.sampled_from(zone_names))
    changes = transitions(name)
    if changes and draw(st.integers(0, 1)):
        moment = draw(st.sampled_from(changes))
        day = moment.date()
        middle = moment.hour * 3600 + moment.minute * 60 + moment.second
        start = min(max(middle + draw(st.integers(-7200, 7200)), 0), 86398)
    else:
        day = draw(days)
        start = draw(st.integers(0, 86398))
    end = min(start + draw(st.integers(1, 7200)), 86399)
    return ZoneInfo(name), day, seconds_clock(start), seconds_clock(end)


def check_instant(got: datetime, day: date, clock: time, zone: ZoneInfo) -> None:
    assert got.tzinfo is zone
    # compare in UTC: an aware datetime in a repeated hour never equals one in another zone (PEP 495)
    assert got.astimezone(UTC) == expected_instant(day, clock, zone)
    assert got.utcoffset() == got.astimezone(UTC).astimezone(zone).utcoffset()
    if wall_clock_exists(day, clock, zone):
        assert (got.date(), got.time()) == (day, clock)


@given(case=zone_day_times())
def test_local_datetime_is_the_instant_zoneinfo_shows_as_that_wall_clock(
    case: tuple[ZoneInfo, date, time, time]
) -> None:
    zone, day, clock, _ = case
    check_instant(local_datetime(day, clock, zone), day, clock, zone)


@given(case=zone_day_times())
def test_local_times_agree_with_the_oracle_and_end_after_start(case: tuple[ZoneInfo, date, time, time]) -> None:
    zone, day, *times = case
    start, end = local_times(day, *times, zone)
    check_instant(start, day, times[0], zone)
    if wall_clock_exists(day, times[1], zone) and wall_clock_exists(day, times[0], zone):
        check_instant(end, day, times[1], zone)
    assert end.astimezone(UTC) > start.astimezone(UTC)
    both_exist = all(wall_clock_exists(day, t, zone) for t in times)
    if both_exist and start.utcoffset() == end.utcoffset():
        # no clock change in between: the session lasts exactly as planned
        assert end.astimezone(UTC) - start.astimezone(UTC) == datetime.combine(day, times[1]) - datetime.combine(day, times[0])


def test_a_session_inside_the_spring_forward_gap_keeps_its_length() -> None:
    """02:30-03:00 on the night clocks jump from 02:00 to 03:00: read after the jump, not ending before it starts."""
    zone = ZoneInfo("America/Los_Angeles")
    start, end = local_times(date(2026, 3, 8), time(2, 30), time(3), zone)
    assert start.isoformat() == "2026-03-08T03:30:00-07:00"
    assert end.isoformat() == "2026-03-08T04:00:00-07:00"  # the planned 30 minutes
    schedule = make_schedule(
        "America/Los_Angeles",
        Slot(id="night", ordinal=2, weekday=Weekday.SUNDAY, start=time(2, 30), end=time(3),
             modality=Modality.ONLINE),
    )
    (session,) = schedule.sessions_between(date(2026, 3, 8), date(2026, 3, 9))
    assert session.start < session.end


def test_a_repeated_wall_clock_time_is_its_first_occurrence() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    start = local_datetime(date(2026, 11, 1), time(1, 30), zone)
    assert start.isoformat() == "2026-11-01T01:30:00-07:00"  # still daylight time: the first 01:30


def make_schedule(zone: str, *slot_list: Slot) -> Schedule:
    return Schedule(
        id="test", name=Text.of("T"), title=Text.of("T"), timezone=zone, updated=UPDATED,
        uid_domain=DOMAIN, slots=slot_list,
    )


@given(schedule=schedules(with_changes=False, with_closures=False, with_extras=False), window=windows())
def test_sessions_start_and_end_at_the_slot_wall_clock_times_with_zoneinfo_offsets(
    schedule: Schedule, window: tuple[date, date]
) -> None:
    zone = schedule.zone
    slot_of = {s.id: s for s in schedule.slots}
    for session in schedule.sessions_between(*window):
        slot = slot_of[session.slot_id]
        assert session.original_date == session.day
        assert session.day.weekday() == slot.weekday.number
        check_instant(session.start, session.day, slot.start, zone)
        if wall_clock_exists(session.day, slot.end, zone) and wall_clock_exists(session.day, slot.start, zone):
            check_instant(session.end, session.day, slot.end, zone)
        assert session.end.astimezone(UTC) > session.start.astimezone(UTC)
        assert (session.modality, session.location, session.room, session.notes) == (
            slot.modality, slot.location, slot.room, slot.notes,
        )
        assert session.ordinal == slot.ordinal


@pytest.mark.parametrize(
    ("zone", "monday", "offset"),
    [
        # the Mondays after each clock change of 2026
        ("America/Los_Angeles", date(2026, 3, 9), timedelta(hours=-7)),
        ("America/Los_Angeles", date(2026, 11, 2), timedelta(hours=-8)),
        ("Europe/London", date(2026, 3, 30), timedelta(hours=1)),
        ("Europe/London", date(2026, 10, 26), timedelta(hours=0)),
        ("Australia/Sydney", date(2026, 4, 6), timedelta(hours=10)),
        ("Australia/Sydney", date(2026, 10, 5), timedelta(hours=11)),
        ("America/Phoenix", date(2026, 3, 9), timedelta(hours=-7)),
        ("America/Phoenix", date(2026, 11, 2), timedelta(hours=-7)),
    ],
)
def test_the_monday_after_a_clock_change_keeps_the_wall_clock_time(zone: str, monday: date, offset: timedelta) -> None:
    slots = tuple(
        Slot(id=f"monday-{n}", ordinal=n, weekday=Weekday.MONDAY, start=time(9), end=time(12),
             modality=Modality.ONLINE)
        for n in (1, 2, 3, 4, 5)
    )
    (session,) = make_schedule(zone, *slots).sessions_between(monday, monday + timedelta(days=1))
    assert (session.start.time(), session.end.time()) == (time(9), time(12))
    assert session.start.utcoffset() == session.end.utcoffset() == offset


@given(slot_id=ids, day=st.dates(), domain=st.from_regex(r"[a-z0-9.-]{1,30}", fullmatch=True))
def test_uids_parse_back_into_slot_date_and_domain(slot_id: str, day: date, domain: str) -> None:
    assert parse_uid(session_uid(slot_id, day, domain)) == (slot_id, day, domain)


@pytest.mark.parametrize(
    "junk",
    ["", "nonsense", "first-monday-20261207", "first-monday-20261307@x.org", "first-monday-2026120@x.org",
     "First-Monday-20261207@x.org", "first-monday-20261207@", "a" * 300 + "-20261207@x.org",
     "first-monday-20261207@x.org extra"],
)
def test_parse_uid_refuses_junk(junk: str) -> None:
    assert parse_uid(junk) is None


def session_fields(**fields: object) -> dict[str, object]:
    zone = ZoneInfo("America/Los_Angeles")
    values: dict[str, object] = {
        "uid": "first-monday-20261207@x.org", "slot_id": "first-monday", "ordinal": 1,
        "original_date": date(2026, 12, 7), "start": datetime(2026, 12, 7, 9, tzinfo=zone),
        "end": datetime(2026, 12, 7, 12, tzinfo=zone), "modality": Modality.ONLINE,
    }
    values.update(fields)
    return values


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"uid": ""}, "uid"),
        ({"ordinal": 7}, "ordinal"),
        ({"start": datetime(2026, 12, 7, 9)}, "start"),
        ({"end": date(2026, 12, 7)}, "end"),
        ({"end": datetime(2026, 12, 7, 9, tzinfo=ZoneInfo("America/Los_Angeles"))}, "end"),
        ({"modality": "online"}, "modality"),
        ({"status": "cancelled", "reason": "x"}, "status"),
        ({"status": Status.CANCELLED}, "reason"),
        ({"sequence": -1}, "sequence"),
        ({"sequence": True}, "sequence"),
    ],
)
def test_a_bad_session_names_the_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        Session(**session_fields(**fields))
    assert caught.value.field == field


def test_sessions_order_by_start_then_end_then_uid() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    a = Session(**session_fields())
    b = Session(**session_fields(uid="b@x.org"))
    c = Session(**session_fields(end=datetime(2026, 12, 7, 10, tzinfo=zone)))
    d = Session(**session_fields(start=datetime(2026, 12, 7, 8, tzinfo=zone)))
    assert sorted([a, b, c, d]) == [d, c, b, a]
    assert a.duration == timedelta(hours=3)
    assert not a.moved and not a.cancelled
