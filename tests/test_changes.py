"""Stage 3b: one-off changes to single occurrences, and extra sessions."""

from __future__ import annotations

import dataclasses
from datetime import date, time, timedelta

import holidays
import pytest

from hmis_schedule import (
    Change,
    ExtraSession,
    Modality,
    Schedule,
    ScheduleError,
    Status,
)
from hmis_schedule.session import session_uid

OREGON = holidays.country_holidays("US", subdiv="OR")


def with_changes(schedule: Schedule, *changes: Change, extras: tuple[ExtraSession, ...] = ()) -> Schedule:
    return dataclasses.replace(schedule, changes=changes, extras=extras)


def uid(schedule: Schedule, slot_id: str, day: date) -> str:
    return session_uid(slot_id, day, schedule.uid_domain)


def test_a_move_keeps_the_uid_raises_the_sequence_and_crosses_window_edges(clackamas: Schedule) -> None:
    feb_8, feb_9 = date(2027, 2, 8), date(2027, 2, 9)
    schedule = with_changes(
        clackamas, Change(slot="second-monday", date=feb_8, to_date=feb_9, room="PSB 301", sequence=2)
    )
    moved = schedule.session(uid(schedule, "second-monday", feb_8))
    planned = clackamas.session(moved.uid)
    assert (moved.day, moved.original_date, moved.moved) == (feb_9, feb_8, True)
    assert (moved.start.time(), moved.end.time()) == (planned.start.time(), planned.end.time())
    assert (moved.room, moved.location) == ("PSB 301", planned.location)
    assert moved.sequence == 2 > planned.sequence
    # found in the window of its new date (which starts after the old date) and not in its old one
    assert schedule.sessions_between(feb_9, feb_9 + timedelta(days=1)) == [moved]
    assert moved.uid not in {s.uid for s in schedule.sessions_between(feb_8, feb_9)}
    # and the other way round: moved to before its planned date, across the window's start
    back = with_changes(clackamas, Change(slot="second-monday", date=feb_8, to_date=date(2027, 1, 29)))
    january = back.sessions_between(date(2027, 1, 1), date(2027, 2, 1))
    assert back.session(moved.uid) in january
    assert moved.uid not in {s.uid for s in back.sessions_between(date(2027, 2, 1), date(2027, 3, 1))}


def test_a_cancellation_keeps_the_session_with_its_reason(clackamas: Schedule) -> None:
    jan_11 = date(2027, 1, 11)
    schedule = with_changes(clackamas, Change(slot="second-monday", date=jan_11, cancel=True, reason="Trainer out"))
    (session,) = schedule.sessions_between(jan_11, jan_11 + timedelta(days=1))
    assert (session.status, session.reason, session.sequence) == (Status.CANCELLED, "Trainer out", 1)
    assert session.uid == clackamas.session(session.uid).uid
    assert schedule.sessions_between(jan_11, jan_11 + timedelta(days=1), include_cancelled=False) == []


def test_a_change_of_place_and_modality(clackamas: Schedule) -> None:
    day = date(2027, 3, 1)  # first Monday: online
    schedule = with_changes(
        clackamas,
        Change(slot="first-monday", date=day, modality=Modality.IN_PERSON, location="2051 Kaen Road",
               room="PSB 100", notes="In person this once", start=time(10), end=time(13)),
    )
    session = schedule.session(uid(schedule, "first-monday", day))
    assert (session.modality, session.full_location, session.notes) == (
        Modality.IN_PERSON, "PSB 100, 2051 Kaen Road", "In person this once",
    )
    assert (session.start.time(), session.end.time(), session.day) == (time(10), time(13), day)
    assert schedule.sessions_between(day, day + timedelta(days=1), modality="in_person") == [session]


def test_a_session_moved_onto_a_holiday_is_cancelled_and_off_one_is_not(clackamas: Schedule) -> None:
    labor_day = date(2027, 9, 6)
    assert labor_day in OREGON
    onto = with_changes(clackamas, Change(slot="second-monday", date=date(2027, 9, 13), to_date=labor_day))
    session = onto.session(uid(onto, "second-monday", date(2027, 9, 13)))
    assert (session.status, session.reason, session.sequence) == (Status.CANCELLED, OREGON[labor_day], 2)
    off = with_changes(clackamas, Change(slot="first-monday", date=labor_day, to_date=date(2027, 9, 7)))
    session = off.session(uid(off, "first-monday", labor_day))
    assert (session.status, session.day, session.sequence) == (Status.SCHEDULED, date(2027, 9, 7), 1)


def test_extra_sessions_join_the_schedule_and_can_be_changed(clackamas: Schedule) -> None:
    spanish = ExtraSession(
        id="spanish-session", date=date(2027, 1, 20), start=time(9), end=time(12),
        modality=Modality.ONLINE, location="Microsoft Teams", notes="Taught in Spanish", sequence=1,
    )
    schedule = with_changes(clackamas, extras=(spanish,))
    january = schedule.sessions_between(date(2027, 1, 1), date(2027, 2, 1))
    (extra,) = [s for s in january if s.slot_id == "spanish-session"]
    assert extra.uid == uid(schedule, "spanish-session", spanish.date)
    assert (extra.ordinal, extra.day, extra.notes, extra.sequence) == (None, spanish.date, "Taught in Spanish", 1)
    assert schedule.session(extra.uid) == extra
    assert january == sorted(january)
    cancelled = with_changes(
        clackamas, Change(slot="spanish-session", date=spanish.date, cancel=True, reason="No sign-ups", sequence=1),
        extras=(spanish,),
    )
    assert cancelled.session(extra.uid).reason == "No sign-ups"
    assert cancelled.session(extra.uid).sequence == 2


@pytest.mark.parametrize(
    ("fields", "field", "text"),
    [
        ({"cancel": True}, "reason", "reason"),
        ({"cancel": True, "reason": "   "}, "reason", "reason"),
        ({"cancel": True, "reason": "x", "to_date": date(2027, 1, 12)}, "cancel", "to_date"),
        ({}, "cancel", "at least one of"),
        ({"slot": "Second Monday", "room": "x"}, "slot", "lowercase"),
        ({"date": "2027-01-11", "room": "x"}, "date", "2026-12-07"),
        ({"to_date": "2027-01-12"}, "to_date", "2026-12-08"),
        ({"start": time(15), "end": time(14)}, "end", "after start"),
        ({"start": "15:00"}, "start", "local time"),
        ({"modality": "zoom"}, "modality", "'in_person'"),
        ({"room": "x", "sequence": 0}, "sequence", ">= 1"),
        ({"room": "x", "sequence": True}, "sequence", ">= 1"),
    ],
)
def test_a_bad_change_names_the_field(fields: dict[str, object], field: str, text: str) -> None:
    values: dict[str, object] = {"slot": "second-monday", "date": date(2027, 1, 11)}
    values.update(fields)
    with pytest.raises(ScheduleError) as caught:
        Change(**values)
    assert caught.value.field == field
    assert text in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"id": "Extra!"}, "id"),
        ({"date": "2027-01-20"}, "date"),
        ({"end": time(8)}, "end"),
        ({"modality": "teams"}, "modality"),
        ({"modality": Modality.IN_PERSON, "location": ""}, "location"),
        ({"sequence": -1}, "sequence"),
    ],
)
def test_a_bad_extra_session_names_the_field(fields: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "id": "extra", "date": date(2027, 1, 20), "start": time(9), "end": time(12), "modality": Modality.ONLINE,
    }
    values.update(fields)
    with pytest.raises(ScheduleError) as caught:
        ExtraSession(**values)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ((Change(slot="second-monday", date=date(2027, 1, 12), room="x"),), "changes[0].date", "2027-01-11"),
        ((Change(slot="sixth-monday", date=date(2027, 1, 11), room="x"),), "changes[0].slot", "'fifth-monday'"),
        (
            (Change(slot="second-monday", date=date(2027, 1, 11), room="x"),
             Change(slot="second-monday", date=date(2027, 1, 11), notes="y")),
            "changes[1]", "changes[0]",
        ),
        ((Change(slot="first-monday", date=date(2027, 1, 4), start=time(13)),), "changes[0].end", "after start"),
    ],
)
def test_a_change_that_matches_no_occurrence_is_refused(
    clackamas: Schedule, changes: tuple[Change, ...], field: str, text: str
) -> None:
    with pytest.raises(ScheduleError) as caught:
        with_changes(clackamas, *changes)
    assert caught.value.field == field
    assert text in str(caught.value)


def test_a_change_to_in_person_needs_an_address(clackamas: Schedule) -> None:
    slots = tuple(dataclasses.replace(s, location="") if s.id == "first-monday" else s for s in clackamas.slots)
    schedule = dataclasses.replace(clackamas, slots=slots)
    with pytest.raises(ScheduleError) as caught:
        with_changes(schedule, Change(slot="first-monday", date=date(2027, 1, 4), modality=Modality.IN_PERSON))
    assert caught.value.field == "changes[0].location"
