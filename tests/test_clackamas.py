"""The built-in Clackamas County schedule: the published table, its holidays, and queries on it.

The table below is the county's published schedule (the issue's table), the
specification. Dates come from dateutil's rrule, closed days and their names
from ``holidays.country_holidays("US", subdiv="OR")``, UTC offsets from pytz:
none of them from the library under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

import holidays
import pytest
import pytz
from schedule_strategies import rrule_dates

import hmis_schedule
from hmis_schedule import (
    Modality,
    Schedule,
    ScheduleError,
    SessionNotFoundError,
    Status,
    Weekday,
    WindowError,
)


class Row(NamedTuple):
    slot_id: str
    ordinal: int
    start: time
    end: time
    modality: Modality
    where: str


PUBLISHED = (
    Row("first-monday", 1, time(9), time(12), Modality.ONLINE, "Microsoft Teams"),
    Row("second-monday", 2, time(13), time(16), Modality.IN_PERSON, "PSB 216, 2051 Kaen Road, Oregon City, OR 97045"),
    Row("third-monday", 3, time(9), time(12), Modality.ONLINE, "Microsoft Teams"),
    Row("fourth-monday", 4, time(13), time(16), Modality.ONLINE, "Microsoft Teams"),
    Row("fifth-monday", 5, time(9), time(12), Modality.ONLINE, "Microsoft Teams"),
)
LOS_ANGELES = pytz.timezone("America/Los_Angeles")
OREGON = holidays.country_holidays("US", subdiv="OR")


def expected_year(year: int) -> list[tuple[date, str, time, time, Modality, str]]:
    rows = [
        (day, row.slot_id, row.start, row.end, row.modality, row.where)
        for row in PUBLISHED
        for day in rrule_dates(Weekday.MONDAY, row.ordinal, date(year, 1, 1), date(year, 12, 31))
    ]
    return sorted(rows, key=lambda r: (r[0], r[2]))


@pytest.mark.parametrize("year", [2026, 2027])
def test_a_year_of_the_published_schedule(clackamas: Schedule, year: int) -> None:
    sessions = clackamas.sessions_between(date(year, 1, 1), date(year + 1, 1, 1))
    expected = expected_year(year)
    assert [(s.day, s.slot_id, s.start.time(), s.end.time(), s.modality, s.full_location) for s in sessions] == expected
    for session in sessions:
        # the offset pytz gives for that wall-clock time in Los Angeles (daylight time from March to November)
        assert session.start.utcoffset() == LOS_ANGELES.localize(
            datetime.combine(session.day, session.start.time())
        ).utcoffset()
        assert session.start.tzinfo == clackamas.zone
        assert session.duration == timedelta(hours=3)
        holiday = OREGON.get(session.day)
        if holiday is None:
            assert (session.status, session.reason, session.sequence) == (Status.SCHEDULED, "", 0)
        else:
            assert (session.status, session.reason, session.sequence) == (Status.CANCELLED, holiday, 1)
    # 48 sessions from the first four Mondays, plus one for each month with a fifth Monday
    fifth = [s for s in sessions if s.ordinal == 5]
    assert len(sessions) == 48 + len(fifth)
    assert {s.day.month for s in fifth} == {m for m in range(1, 13) if len(_mondays(year, m)) == 5}


def _mondays(year: int, month: int) -> list[date]:
    day = date(year, month, 1)
    found = []
    while day.month == month:
        if day.weekday() == 0:
            found.append(day)
        day += timedelta(days=1)
    return found


@pytest.mark.parametrize(
    ("day", "slot_id", "reason"),
    [
        (date(2026, 9, 7), "first-monday", "Labor Day"),
        (date(2027, 9, 6), "first-monday", "Labor Day"),
        (date(2026, 5, 25), "fourth-monday", "Memorial Day"),
        (date(2027, 5, 31), "fifth-monday", "Memorial Day"),  # the fifth Monday of May
        (date(2028, 5, 29), "fifth-monday", "Memorial Day"),
        (date(2027, 7, 5), "first-monday", "Independence Day (observed)"),  # July 4 2027 is a Sunday
    ],
)
def test_holidays_cancel_the_session_with_the_holiday_name(
    clackamas: Schedule, day: date, slot_id: str, reason: str
) -> None:
    assert OREGON.get(day) == reason  # the oracle agrees with the county's list
    (session,) = clackamas.sessions_between(day, day + timedelta(days=1))
    assert (session.slot_id, session.status, session.reason) == (slot_id, Status.CANCELLED, reason)
    assert clackamas.sessions_between(day, day + timedelta(days=1), include_cancelled=False) == []
    after = clackamas.next_session(datetime.combine(day, time(0), tzinfo=clackamas.zone))
    assert after is not None and after.day > day


def test_every_monday_holiday_of_a_century_is_cancelled(clackamas: Schedule) -> None:
    sessions = clackamas.sessions_between(date(2000, 1, 1), date(2100, 1, 1))
    oregon = holidays.country_holidays("US", subdiv="OR", years=range(1999, 2101))
    cancelled = {s.day: s.reason for s in sessions if s.cancelled}
    assert cancelled == {s.day: oregon[s.day] for s in sessions if s.day in oregon}


def test_today_and_now_are_reckoned_in_los_angeles(clackamas: Schedule, monkeypatch: pytest.MonkeyPatch) -> None:
    instant = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 22:00 on Monday Nov 23 in Los Angeles
    asked: list[object] = []

    def fake_now(zone: object) -> datetime:
        asked.append(zone)
        return instant.astimezone(zone)  # type: ignore[arg-type]

    monkeypatch.setattr(hmis_schedule.clock, "now", fake_now)
    assert clackamas.today() == date(2026, 11, 23)
    assert instant.date() == date(2026, 11, 24)  # a machine on UTC would say the 24th
    upcoming = clackamas.next_session()
    assert upcoming == clackamas.next_session(instant)
    assert upcoming is not None
    assert upcoming.start.isoformat() == "2026-11-30T09:00:00-08:00"
    assert all(zone == clackamas.zone for zone in asked)


def test_next_session_after_a_session_started_is_the_one_after(clackamas: Schedule) -> None:
    zone = clackamas.zone
    nov_23 = datetime(2026, 11, 23, 13, 0, tzinfo=zone)
    upcoming = clackamas.next_session(nov_23 - timedelta(seconds=1))
    assert upcoming is not None and upcoming.start == nov_23  # strictly after: one second before counts
    upcoming = clackamas.next_session(nov_23)
    assert upcoming is not None and upcoming.start.date() == date(2026, 11, 30)
    in_person = clackamas.next_session(nov_23, modality="in_person")
    assert in_person is not None and in_person.slot_id == "second-monday" and in_person.day == date(2026, 12, 14)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.sessions_between(datetime(2026, 1, 1), date(2026, 2, 1)), "start"),
        (lambda s: s.sessions_between(date(2026, 1, 1), datetime(2026, 2, 1)), "end"),
        (lambda s: s.sessions_between("2026-01-01", date(2026, 2, 1)), "start"),
        (lambda s: s.sessions_between(date(2026, 1, 1), None), "end"),
        (lambda s: s.next_session(datetime(2026, 1, 1)), "after"),
        (lambda s: s.next_session(1767225600), "after"),
        (lambda s: s.today(datetime(2026, 1, 1)), "now"),
    ],
)
def test_a_bad_window_is_a_window_error_naming_the_parameter(clackamas: Schedule, call: object, field: str) -> None:
    with pytest.raises(WindowError) as caught:
        call(clackamas)  # type: ignore[operator]
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(f"{field}: ")


def test_a_naive_datetime_error_says_what_to_pass(clackamas: Schedule) -> None:
    with pytest.raises(WindowError, match="no time zone: pass an aware datetime or a date"):
        clackamas.sessions_between(datetime(2026, 1, 1), datetime(2026, 2, 1))


@pytest.mark.parametrize("query", ["sessions_between", "next_session"])
def test_an_unknown_modality_lists_the_choices(clackamas: Schedule, query: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        if query == "sessions_between":
            clackamas.sessions_between(date(2026, 1, 1), date(2026, 2, 1), modality="zoom")
        else:
            clackamas.next_session(date(2026, 1, 1), modality="zoom")
    assert caught.value.field == "modality"
    assert caught.value.choices == ("online", "in_person")
    assert "'online', 'in_person'" in str(caught.value)


def test_an_empty_or_backwards_window_has_no_sessions(clackamas: Schedule) -> None:
    assert clackamas.sessions_between(date(2026, 12, 7), date(2026, 12, 7)) == []
    assert clackamas.sessions_between(date(2026, 12, 8), date(2026, 12, 1)) == []


def test_session_by_uid_round_trips(clackamas: Schedule) -> None:
    for session in clackamas.sessions_between(date(2026, 1, 1), date(2028, 1, 1)):
        assert clackamas.session(session.uid) == session
        assert session.uid == f"{session.slot_id}-{session.original_date:%Y%m%d}@{clackamas.uid_domain}"


@pytest.mark.parametrize(
    "uid",
    [
        "",
        "junk",
        "first-monday-20261207",
        "first-monday-20261207@elsewhere.example.org",  # another schedule's domain
        "first-monday-20261214@hmis-training.clackamas.us",  # the second Monday, not the first
        "sixth-monday-20261207@hmis-training.clackamas.us",  # no such slot
        "first-monday-20261307@hmis-training.clackamas.us",  # no such date
        "fifth-monday-20260427@hmis-training.clackamas.us",  # April 2026 has four Mondays
    ],
)
def test_an_unknown_uid_is_session_not_found(clackamas: Schedule, uid: str) -> None:
    with pytest.raises(SessionNotFoundError) as caught:
        clackamas.session(uid)
    assert caught.value.field == "uid"
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, ValueError)


def test_the_schedule_carries_the_published_facts(clackamas: Schedule) -> None:
    assert clackamas.timezone == "America/Los_Angeles"
    assert clackamas.holidays is not None
    assert (clackamas.holidays.country, clackamas.holidays.subdivision) == ("US", "OR")
    assert clackamas.contact is not None and clackamas.crisis is not None and clackamas.onboarding is not None
    assert clackamas.contact.hmis_email == clackamas.onboarding.email == "hmisadmin@clackamas.us"
    assert (clackamas.contact.phone, clackamas.contact.email) == ("503-655-8591", "cdgeneral@clackamas.us")
    assert clackamas.contact.address == "2051 Kaen Road, Oregon City, OR 97045"
    assert "Monday to Thursday" in str(clackamas.contact.office_hours)
    assert clackamas.crisis.phone == "503-655-8575" and "Coordinated Housing Access" in str(clackamas.crisis.name)
    facts = [str(f) for f in clackamas.onboarding.facts]
    assert facts == [
        "Full name", "Email address", "Job title", "Work phone number",
        "Whether you need Spanish-language training or another accommodation",
    ]
    assert all(f.get("es") != f.get("en") for f in clackamas.onboarding.facts)
    assert "LMS" in str(clackamas.onboarding.lms)
