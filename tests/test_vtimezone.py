"""The VTIMEZONE: readers that place times by it alone agree with ``zoneinfo``.

Three readers compute offsets from the VTIMEZONE the feed carries, never from
the TZID's name: ``icalendar``'s ``Timezone.to_tz(lookup_tzid=False)`` (built
on dateutil's ``tzical``), allenporter's ``ical`` (``IcsTimezoneInfo``), and
Mozilla's ``ical.js``, which has no time zone database at all (a test below
proves it follows the VTIMEZONE by altering one). For every session from 2020
to 2045 the offset each computes equals ``zoneinfo``'s; generated zones,
years and wall-clock times check the rules themselves, including zones whose
rules changed inside the window.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import icalendar
import pytest
from feed_readers import READERS, ZONES, expected, ical_js, require
from hypothesis import given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from ical.timezone import IcsTimezoneInfo

import hmis_schedule
from hmis_schedule import Modality, Schedule, Slot, Text, Weekday
from hmis_schedule.feed import render_feed
from hmis_schedule.vtimezone import transitions, vtimezone, zone_rules
from hmis_schedule.window import feed_window
from hmis_schedule.zones import zone_named, zone_names

DST_ZONES = ("America/Los_Angeles", "Europe/London", "Australia/Sydney", "Pacific/Auckland", "Australia/Lord_Howe")
FIXED_ZONES = ("America/Phoenix", "Asia/Kolkata", "UTC", "Asia/Tokyo")
CLACKAMAS_WINDOWS = [(date(y, 1, 1), date(min(y + 5, 2046), 1, 1)) for y in range(2020, 2046, 5)]


def _vtimezone_readers(ics: bytes) -> dict[str, tzinfo]:
    """The schedule's zone as two readers build it from the feed's VTIMEZONE alone.

    ``ical`` (up to 14.3 at least) ignores a STANDARD or DAYLIGHT part that has
    no RRULE or RDATE, though RFC 5545 makes its DTSTART an onset (ical4j had
    the same bug, fixed in its pull request 881), and rejects an RRULE whose
    UNTIL is in UTC, which RFC 5545 requires in a VTIMEZONE. Outlook itself
    writes the first for a zone without daylight time, and the second only
    appears when a zone's rules changed inside the window, so the feed keeps
    both and ``ical`` is asked only about VTIMEZONEs in the classic
    open-ended form (the xfail tests below track the two bugs).
    """
    calendar = icalendar.Calendar.from_ical(ics)
    (component,) = calendar.timezones
    readers: dict[str, tzinfo] = {"icalendar (dateutil tzical)": component.to_tz(lookup_tzid=False)}
    if all("RRULE" in part and "UNTIL" not in part["RRULE"] for part in component.subcomponents):
        (ical_zone,) = IcsCalendarStream.calendar_from_ics(ics.decode()).timezones
        readers["ical (IcsTimezoneInfo)"] = IcsTimezoneInfo.from_timezone(ical_zone)
    return readers


@pytest.mark.xfail(reason="ical ignores a VTIMEZONE part without RRULE or RDATE", strict=True)
def test_ical_reads_a_part_without_rrule() -> None:
    ics = _calendar_with(vtimezone("America/Phoenix", date(2026, 1, 1), date(2026, 12, 31)))
    (zone,) = IcsCalendarStream.calendar_from_ics(ics.decode()).timezones
    assert datetime(2026, 6, 1, tzinfo=IcsTimezoneInfo.from_timezone(zone)).utcoffset() == timedelta(hours=-7)


@pytest.mark.xfail(reason="ical rejects UNTIL in UTC in a VTIMEZONE RRULE", raises=ValueError, strict=True)
def test_ical_reads_a_rule_with_until() -> None:
    ics = _calendar_with(vtimezone("America/Mexico_City", date(2021, 1, 1), date(2024, 12, 31)))
    assert b"UNTIL=" in ics
    (zone,) = IcsCalendarStream.calendar_from_ics(ics.decode()).timezones
    assert datetime(2021, 7, 1, tzinfo=IcsTimezoneInfo.from_timezone(zone)).utcoffset() == timedelta(hours=-5)


def _unambiguous(moment: datetime) -> bool:
    """Whether the wall-clock time of ``moment`` happens exactly once in its zone."""
    return moment.replace(fold=0).utcoffset() == moment.replace(fold=1).utcoffset()


@functools.cache
def _clackamas_feed(first: date, end: date) -> bytes:
    schedule = hmis_schedule.clackamas()
    return render_feed(schedule, feed_window(schedule, date(2026, 11, 23), first, end))


@pytest.mark.parametrize(("first", "end"), CLACKAMAS_WINDOWS, ids=[str(w[0].year) for w in CLACKAMAS_WINDOWS])
def test_vtimezone_offsets_equal_zoneinfo_for_every_clackamas_session(
    clackamas: Schedule, first: date, end: date
) -> None:
    ics = _clackamas_feed(first, end)
    sessions = clackamas.sessions_between(first, end)
    assert sessions
    for name, zone in _vtimezone_readers(ics).items():
        for session in sessions:
            for moment in (session.start, session.end):
                wall = moment.replace(tzinfo=None)
                assert wall.replace(tzinfo=zone).utcoffset() == moment.utcoffset(), (name, session.uid)


@pytest.mark.parametrize(("first", "end"), CLACKAMAS_WINDOWS, ids=[str(w[0].year) for w in CLACKAMAS_WINDOWS])
def test_ical_js_places_every_clackamas_session_by_the_vtimezone(
    clackamas: Schedule, first: date, end: date
) -> None:
    ics = _clackamas_feed(first, end)
    assert {r.key for r in ical_js().read(ics)} == expected(clackamas.sessions_between(first, end))


def test_ical_js_uses_the_vtimezone_not_the_zone_name(clackamas: Schedule) -> None:
    first, end = date(2026, 6, 1), date(2026, 7, 1)  # summer: daylight time
    ics = render_feed(clackamas, feed_window(clackamas, first, first, end))
    altered = ics.replace(b"TZOFFSETTO:-0700", b"TZOFFSETTO:-0600")
    assert altered != ics
    honest = {r.uid: r.start for r in ical_js().read(ics)}
    shifted = {r.uid: r.start for r in ical_js().read(altered)}
    assert honest and {uid: start - timedelta(hours=1) for uid, start in honest.items()} == shifted


@pytest.mark.parametrize("zone", DST_ZONES)
def test_a_zone_with_daylight_time_gets_one_standard_and_one_daylight_rule(zone: str) -> None:
    rules = zone_rules(zone, 2020, 2045)
    assert sorted(p.kind for p in rules.parts) == ["DAYLIGHT", "STANDARD"]
    for part in rules.parts:
        assert re.fullmatch(r"FREQ=YEARLY;BYDAY=(-1|[1-4])(SU|MO|TU|WE|TH|FR|SA);BYMONTH=\d{1,2}", part.rrule)
    daylight = next(p for p in rules.parts if p.kind == "DAYLIGHT")
    standard = next(p for p in rules.parts if p.kind == "STANDARD")
    assert daylight.offset_to == standard.offset_from > standard.offset_to == daylight.offset_from
    text = vtimezone(zone, date(2026, 1, 1), date(2026, 12, 31)).to_ical().decode()
    assert text.count("BEGIN:STANDARD") == text.count("BEGIN:DAYLIGHT") == text.count("RRULE:") // 2 == 1


@pytest.mark.parametrize("zone", FIXED_ZONES)
def test_a_zone_without_daylight_time_gets_one_standard_part(zone: str) -> None:
    (part,) = zone_rules(zone, 2020, 2045).parts
    now = datetime(2030, 6, 1, tzinfo=ZoneInfo(zone)).utcoffset()
    assert (part.kind, part.rrule, part.offset_from, part.offset_to) == ("STANDARD", "", now, now)


def test_a_window_across_a_change_of_rules_gets_one_pair_per_era() -> None:
    # Mexico City ended daylight saving time in October 2022.
    rules = zone_rules("America/Mexico_City", 2021, 2024)
    ended = [p for p in rules.parts if p.rrule and "UNTIL=" in p.rrule]
    assert ended, rules.parts
    assert not any(p.kind == "DAYLIGHT" and "UNTIL=" not in p.rrule and p.rrule for p in rules.parts)


@settings(max_examples=60)
@given(
    zone=st.sampled_from(sorted(zone_names())),
    year=st.integers(min_value=1975, max_value=2045),
    span=st.integers(min_value=0, max_value=4),
    moments=st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=30),
)
def test_vtimezone_of_any_zone_gives_zoneinfo_offsets(zone: str, year: int, span: int, moments: list[int]) -> None:
    """Any IANA zone, any window: wall-clock times in the window get zoneinfo's offset from the VTIMEZONE."""
    first, last = date(year, 1, 1), date(year + span, 12, 31)
    component = vtimezone(zone, first, last)
    ics = _calendar_with(component)
    truth = zone_named(zone)
    readers = _vtimezone_readers(ics)
    length = int((datetime(year + span + 1, 1, 1) - datetime(year, 1, 1)).total_seconds())
    for seconds in moments:
        wall = datetime(year, 1, 1) + timedelta(seconds=seconds % length)
        local = wall.replace(tzinfo=truth)
        if not _unambiguous(local) or local.astimezone(UTC).astimezone(truth).replace(tzinfo=None) != wall:
            continue  # a repeated or skipped time: the feed writes those in UTC
        for name, zone_read in readers.items():
            assert wall.replace(tzinfo=zone_read).utcoffset() == local.utcoffset(), (name, wall)


def _calendar_with(component: icalendar.Timezone) -> bytes:
    calendar = icalendar.Calendar.new(uid="test@example.org", prodid="-//test//EN", subcomponents=[component])
    return bytes(calendar.to_ical())


@pytest.mark.parametrize("zone", ZONES)
def test_the_rules_give_every_transition_zoneinfo_has(zone: str) -> None:
    rules = zone_rules(zone, 2020, 2045)
    assert rules.last_year >= 2045 + 30
    truth = transitions(zone_named(zone), datetime(2019, 1, 1), datetime(rules.last_year + 1, 1, 1))
    ours = [c for c in rules.changes if datetime(2019, 1, 1) <= c[0] and c[1] != c[2]]
    assert ours == [(t.utc, t.before, t.after) for t in truth]


def test_transitions_are_found_to_the_second() -> None:
    la = ZoneInfo("America/Los_Angeles")
    (spring, fall) = transitions(la, datetime(2026, 1, 1), datetime(2027, 1, 1))
    for change in (spring, fall):
        before = (change.utc - timedelta(seconds=1)).replace(tzinfo=UTC).astimezone(la)
        after = change.utc.replace(tzinfo=UTC).astimezone(la)
        assert (before.utcoffset(), after.utcoffset()) == (change.before, change.after)


# -- sessions at the very hour clocks change ---------------------------------------


@st.composite
def clock_change_schedules(draw: st.DrawFn) -> tuple[Schedule, date, date]:
    """Sunday slots in the small hours, in zones whose clocks change on Sundays at night."""
    zone = draw(st.sampled_from(DST_ZONES))
    year = draw(st.integers(min_value=2020, max_value=2044))
    slots = []
    for i, ordinal in enumerate(draw(st.lists(st.sampled_from((1, 2, -1)), min_size=1, max_size=2, unique=True))):
        start = draw(st.sampled_from([time(h, m) for h in range(4) for m in (0, 15, 30, 45)]))
        minutes = draw(st.integers(min_value=15, max_value=150))
        end = (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)).time()
        slots.append(
            Slot(id=f"night-{i}", ordinal=ordinal, weekday=Weekday.SUNDAY, start=start, end=end,
                 modality=Modality.ONLINE, location="Online")
        )
    schedule = Schedule(
        id="night", name=Text.of("Night"), title=Text.of("Night"), timezone=zone,
        updated=datetime(2026, 1, 1, tzinfo=UTC), uid_domain="night.example.org", slots=tuple(slots),
    )
    return schedule, date(year, 1, 1), date(year + 1, 1, 1)


@settings(max_examples=40)
@given(case=clock_change_schedules())
def test_every_reader_places_sessions_at_the_hour_clocks_change(case: tuple[Schedule, date, date]) -> None:
    schedule, first, end = case
    ics = render_feed(schedule, feed_window(schedule, first, first, end))
    want = expected(schedule.sessions_between(first, end))
    for name in READERS:
        assert {r.key for r in require(name)(ics)} == want, name


def test_rules_that_disagree_with_zoneinfo_give_way_to_one_part_per_transition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hmis_schedule import vtimezone as module

    def first_weekday_only(day: date) -> set[tuple[str, int, int]]:
        return {("byday", 1, day.weekday())}  # "the first Sunday": wrong for Los Angeles

    monkeypatch.setattr(module, "_day_rules", first_weekday_only)
    module.zone_rules.cache_clear()
    try:
        rules = module.zone_rules("America/Los_Angeles", 2026, 2027)
    finally:
        module.zone_rules.cache_clear()
    assert rules.parts and all(p.rrule == "" for p in rules.parts)
    la = ZoneInfo("America/Los_Angeles")
    readers = _vtimezone_readers(_calendar_with(rules.component()))
    for hour in range(0, 2 * 366 * 24, 7):
        wall = datetime(2026, 1, 1) + timedelta(hours=hour)
        local = wall.replace(tzinfo=la)
        if _unambiguous(local) and local.astimezone(UTC).astimezone(la).replace(tzinfo=None) == wall:
            for zone in readers.values():
                assert wall.replace(tzinfo=zone).utcoffset() == local.utcoffset()
