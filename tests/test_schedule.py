"""The schedule's sessions (:class:`hmis_schedule.Schedule`) at the slots' wall-clock times, across clock changes.

The oracle for every instant is zoneinfo's UTC-to-local conversion
(:func:`support.check_instant`, as in ``test_session.py``). Properties of
random schedules with changes, closures and extra sessions are in
``test_schedule_properties.py``.
"""

from __future__ import annotations

from datetime import UTC, date, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from schedule_strategies import DOMAIN, UPDATED, schedules, windows
from support import check_instant, wall_clock_exists

from hmis_schedule import Modality, Schedule, Slot, Text, Weekday
from hmis_schedule.session import local_times


def make_schedule(zone: str, *slot_list: Slot) -> Schedule:
    return Schedule(
        id="test", name=Text.of("T"), title=Text.of("T"), timezone=zone, updated=UPDATED,
        uid_domain=DOMAIN, slots=slot_list,
    )


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
