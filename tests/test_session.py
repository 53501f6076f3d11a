"""Sessions (:mod:`hmis_schedule.session`): wall-clock times become instants in the zone; UIDs; the Session value.

The oracle for every instant is zoneinfo's UTC-to-local conversion, which is
unambiguous (:func:`support.check_instant`): the library's start must be an
instant that zoneinfo shows as the slot's wall-clock time (the first such
instant when the time happens twice), or, for a time the clocks skip, the
wall-clock time read after the jump. The schedule's sessions at those times
are checked in ``test_schedule.py``.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from schedule_strategies import (
    EDGE_ZONES,
    FIRST_YEAR,
    LAST_YEAR,
    days,
    ids,
)
from schedule_strategies import (
    clock as seconds_clock,
)
from support import check_instant, wall_clock_exists

from hmis_schedule import Modality, ScheduleError, Session, Status
from hmis_schedule.session import local_datetime, local_times, parse_uid, session_uid


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


def test_a_repeated_wall_clock_time_is_its_first_occurrence() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    start = local_datetime(date(2026, 11, 1), time(1, 30), zone)
    assert start.isoformat() == "2026-11-01T01:30:00-07:00"  # still daylight time: the first 01:30


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
