"""libical, the engine of GNOME Evolution, reads the feeds as the library means them.

libical reads through ``tests/c/read_ics.c`` (see ``feed_readers.py``): every
time with a TZID is placed by the feed's own VTIMEZONE, and every calendar is
also put through ``icalrestriction_check``, libical's check of RFC 5545 and
RFC 5546's rules for the calendar's METHOD. Here:

- every reader that places times by the VTIMEZONE (libical, ical.js, and
  ``icalendar`` under a TZID no zone database knows) finds ``zoneinfo``'s
  instant for every event: Clackamas from 2020 to 2045 in both languages
  and every filter, and schedules in eight zones with sessions around each
  local clock change (30-minute shifts, midnight changes, a "negative"
  daylight saving time, Ramadan changes, zones that dropped DST);
- the restriction check passes on every kind of feed the library renders,
  and fails on one without an ORGANIZER (so the check is live);
- libical's own quirk found on the way is an xfail test with a minimal file.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from feed_readers import READERS, Read, Reader, expected, libical, require, schedules, windows, with_max_years
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BASE

import hmis_schedule
from hmis_schedule import ExtraSession, Modality, Schedule, Slot, Text, Weekday
from hmis_schedule.addresses import FeedFilter
from hmis_schedule.feed import render_feed, render_session
from hmis_schedule.vtimezone import transitions
from hmis_schedule.window import feed_window

TODAY = date(2026, 11, 23)
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_test%40thread.v2/0?context=%7b%7d"

WINDOWS = [(date(y, 1, 1), date(min(y + 5, 2046), 1, 1)) for y in range(2020, 2046, 5)]
"""2020 to 2045 in windows of at most five years (the feed's limit)."""

TRANSITION_ZONES = (
    "America/Denver",
    "Pacific/Honolulu",  # no daylight saving time at all
    "Australia/Lord_Howe",  # a 30-minute shift
    "Europe/Dublin",  # winter time is the "negative" daylight saving time in the tz data
    "America/Santiago",  # changes at midnight, rules that move
    "Asia/Tehran",  # fixed-date changes at midnight, dropped in 2022
    "America/St_Johns",  # -03:30
    "Africa/Casablanca",  # an hour back for Ramadan, a moving date every year
)


def vtimezone_only(ics: bytes) -> list[Read]:
    """``icalendar``'s reading with the TZID renamed, so only the feed's VTIMEZONE can place times.

    icalendar keeps the first VTIMEZONE it sees for a TZID for the rest of the
    process, so each feed gets a name of its own.
    """
    calendar = icalendar.Calendar.from_ical(ics)
    (zone,) = calendar.timezones
    tzid = str(zone["TZID"]).encode()
    renamed = b"X-VTIMEZONE-ONLY-" + hashlib.sha256(ics).hexdigest()[:16].encode()
    altered = ics.replace(b"TZID:" + tzid + b"\r\n", b"TZID:" + renamed + b"\r\n").replace(
        b";TZID=" + tzid + b":", b";TZID=" + renamed + b":"
    )
    assert b"TZID:" + renamed + b"\r\n" in altered and b";TZID=" + tzid not in altered
    return READERS["icalendar"](altered)


VTIMEZONE_READERS: dict[str, Reader] = {
    "libical": READERS["libical"],
    "ical.js": READERS["ical.js"],
    "icalendar (VTIMEZONE only)": vtimezone_only,
}


@pytest.fixture(scope="session", params=list(VTIMEZONE_READERS))
def vtimezone_reader(request: pytest.FixtureRequest) -> Reader:
    """Each reader that places times by the feed's VTIMEZONE alone (libical and ical.js skip or fail if missing)."""
    if request.param in READERS:
        return require(request.param)
    return VTIMEZONE_READERS[request.param]


# -- Clackamas, 2020 to 2045 ----------------------------------------------------------


@functools.cache
def _clackamas_feed(first: date, end: date, filter: FeedFilter, lang: str) -> bytes:
    schedule = hmis_schedule.clackamas()
    return render_feed(schedule, feed_window(schedule, TODAY, first, end), filter=filter, lang=lang, base_url=BASE)


@pytest.mark.parametrize("filter", list(FeedFilter))
@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize(("first", "end"), WINDOWS, ids=[str(w[0].year) for w in WINDOWS])
def test_vtimezone_readers_place_every_clackamas_session_as_zoneinfo_does(
    vtimezone_reader: Reader, clackamas: Schedule, first: date, end: date, lang: str, filter: FeedFilter
) -> None:
    read = vtimezone_reader(_clackamas_feed(first, end, filter, lang))
    assert len(read) == len({r.uid for r in read})
    assert {r.key for r in read} == expected(clackamas.sessions_between(first, end, modality=filter.modality))


# -- eight zones, sessions around every clock change -----------------------------------


def _around(wall: datetime) -> list[tuple[time, time]]:
    """Sessions starting from an hour before ``wall`` to an hour after, 30 to 150 minutes long, within the day."""
    found = []
    for shift in range(-60, 61, 30):
        start = wall + timedelta(minutes=shift)
        for minutes in (30, 90, 150):
            end = start + timedelta(minutes=minutes)
            if start.date() == wall.date() and end.date() == wall.date():
                found.append((start.time(), end.time()))
    return found


@functools.cache
def transition_schedule(zone: str, first: date, end: date) -> Schedule:
    """A schedule in ``zone`` with sessions around each local clock change in ``[first, end)``.

    A monthly 01:00-03:30 Sunday slot (the usual hour of changes) runs
    through the whole window; extra sessions start from an hour before to an
    hour after the wall-clock time each change happens at, on both sides of
    midnight for a change at midnight.
    """
    tz = ZoneInfo(zone)
    extras = []
    window_start = datetime.combine(first, time(0)) - timedelta(days=1)
    window_end = datetime.combine(end, time(0)) + timedelta(days=1)
    for i, change in enumerate(transitions(tz, window_start, window_end)):
        wall = change.onset  # the wall-clock time of the change, read in the offset before it
        # A change at midnight: sessions late on the day before too.
        for wall_time in {wall, wall - timedelta(minutes=1)} if wall.time() == time(0) else {wall}:
            for j, (start, stop) in enumerate(_around(wall_time)):
                day = wall_time.date()
                if first <= day < end:
                    extras.append(ExtraSession(id=f"t{i}-{wall_time:%d%H%M}-{j}", date=day, start=start, end=stop,
                                               modality=Modality.ONLINE, location="Online"))
    slot = Slot(id="night", ordinal=-1, weekday=Weekday.SUNDAY, start=time(1), end=time(3, 30),
                modality=Modality.ONLINE, location="Online")
    schedule = Schedule(id="transitions", name=Text.of("Clock changes"), title=Text.of("Clock changes"),
                        timezone=zone, updated=datetime(2026, 1, 1, tzinfo=UTC),
                        uid_domain="transitions.example.org", slots=(slot,), extras=tuple(extras))
    return schedule


@functools.cache
def _transition_feed(zone: str, first: date, end: date) -> bytes:
    schedule = transition_schedule(zone, first, end)
    return render_feed(schedule, feed_window(schedule, first, first, end))


@pytest.mark.parametrize(("first", "end"), WINDOWS, ids=[str(w[0].year) for w in WINDOWS])
@pytest.mark.parametrize("zone", TRANSITION_ZONES)
def test_every_reader_places_sessions_around_each_clock_change_as_zoneinfo_does(
    zone: str, first: date, end: date
) -> None:
    schedule = transition_schedule(zone, first, end)
    want = expected(schedule.sessions_between(first, end))
    assert want
    ics = _transition_feed(zone, first, end)
    for name, reader in {**{n: require(n) for n in READERS}, "icalendar (VTIMEZONE only)": vtimezone_only}.items():
        read = reader(ics)
        assert len(read) == len({r.uid for r in read}), name
        assert {r.key for r in read} == want, name


def test_the_transition_schedules_do_put_sessions_in_repeated_and_skipped_hours() -> None:
    schedule = transition_schedule("America/Denver", date(2026, 1, 1), date(2027, 1, 1))
    sessions = schedule.sessions_between(date(2026, 1, 1), date(2027, 1, 1))
    repeated = [s for s in sessions if s.start.replace(fold=1 - s.start.fold).utcoffset() != s.start.utcoffset()]
    skipped = [s for s in sessions if s.start.date() == date(2026, 3, 8) and s.start.hour == 3]
    assert repeated and skipped


# -- libical places times by the VTIMEZONE, not by the name -----------------------------------


def test_libical_uses_the_vtimezone_not_the_zone_name(clackamas: Schedule) -> None:
    first, end = date(2026, 6, 1), date(2026, 7, 1)  # summer: daylight time
    ics = render_feed(clackamas, feed_window(clackamas, first, first, end))
    altered = ics.replace(b"TZOFFSETTO:-0700", b"TZOFFSETTO:-0600")
    assert altered != ics
    honest = {r.uid: r.start for r in libical().read(ics)}
    shifted = {r.uid: r.start for r in libical().read(altered)}
    assert honest and {uid: start - timedelta(hours=1) for uid, start in honest.items()} == shifted


def test_libical_refuses_to_guess_a_zone_the_feed_does_not_carry(clackamas: Schedule) -> None:
    ics = render_feed(clackamas, feed_window(clackamas, TODAY, date(2026, 12, 7), date(2026, 12, 8)))
    head, _, rest = ics.partition(b"BEGIN:VTIMEZONE")
    without = head + rest.partition(b"END:VTIMEZONE\r\n")[2]
    with pytest.raises(AssertionError, match="no VTIMEZONE for TZID America/Los_Angeles"):
        libical().read(without)


# -- RFC 5546: libical's restriction check ------------------------------------------------------


def _feeds_of_every_kind(clackamas: Schedule) -> dict[str, bytes]:
    no_contact = dataclasses.replace(clackamas, contact=None)
    with_page = dataclasses.replace(clackamas, url="http://www.clackamas.us/hmis?x=1&y=%20")
    window = feed_window(clackamas, TODAY)
    feeds = {
        f"{filter.value}-{lang}": render_feed(clackamas, window, filter=filter, lang=lang, base_url=BASE)
        for filter in FeedFilter
        for lang in ("en", "es")
    }
    feeds["private"] = render_feed(clackamas, window, base_url=BASE, join_url=JOIN)
    feeds["private-online-es"] = render_feed(clackamas, window, filter="online", lang="es", join_url=JOIN)
    feeds["no-contact"] = render_feed(no_contact, window)
    feeds["no-contact-session"] = render_session(no_contact, f"first-monday-20261207@{clackamas.uid_domain}")
    feeds["page-url"] = render_feed(with_page, window)
    for s in clackamas.sessions_between(date(2026, 9, 1), date(2026, 10, 1)):  # Labor Day: one cancelled
        feeds[f"session-{s.uid}"] = render_session(clackamas, s.uid, lang="es", base_url=BASE)
    long = with_max_years(clackamas, 30)
    feeds["2020-2046"] = render_feed(long, feed_window(long, TODAY, date(2020, 1, 1), date(2046, 1, 1)))
    return feeds


def test_libicals_restriction_check_passes_on_every_kind_of_feed(clackamas: Schedule) -> None:
    reader = libical()
    for name, ics in _feeds_of_every_kind(clackamas).items():
        assert reader.restriction_errors(ics) == [], name
        assert reader.answer(ics)["errors"] == [], name
        assert {r.uid for r in reader.read(ics)}, name


def test_without_a_method_or_an_organizer_the_feed_is_a_plain_calendar_libical_accepts(clackamas: Schedule) -> None:
    ics = render_feed(dataclasses.replace(clackamas, contact=None), feed_window(clackamas, TODAY))
    assert b"METHOD:" not in ics and b"ORGANIZER" not in ics
    assert libical().restriction_errors(ics) == []


def test_the_restriction_check_fails_a_published_feed_without_an_organizer(clackamas: Schedule) -> None:
    ics = render_feed(clackamas, feed_window(clackamas, TODAY))
    stripped = b"".join(line for line in ics.splitlines(keepends=True) if not line.startswith(b"ORGANIZER:"))
    assert b"METHOD:PUBLISH" in stripped and stripped != ics
    errors = libical().restriction_errors(stripped)
    assert errors and all("ORGANIZER" in e for e in errors)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), lang=st.sampled_from(["en", "es"]), private=st.booleans())
def test_the_restriction_check_passes_on_generated_feeds(data: st.DataObject, lang: str, private: bool) -> None:
    first, end = data.draw(windows(max_days=2 * 366), label="window")
    schedule = data.draw(schedules(window=(first, end)), label="schedule")
    if data.draw(st.booleans(), label="without contact"):
        schedule = dataclasses.replace(schedule, contact=None)
    ics = render_feed(schedule, feed_window(schedule, first, first, end), lang=lang, base_url=BASE,
                      join_url=JOIN if private else None)
    assert libical().restriction_errors(ics) == []
    assert {r.key for r in libical().read(ics)} == expected(schedule.sessions_between(first, end))


# -- libical's own bugs, each on a minimal file --------------------------------------------------

_TRIMMED = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//libical//EN\r\n"
    b"BEGIN:VEVENT\r\nUID:trim@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
    b"DTSTART:20260105T170000Z\r\nDTEND:20260105T200000Z\r\nSTATUS:CONFIRMED\r\n"
    b"SUMMARY:  (Online) \r\nLOCATION:\tRoom 2\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.mark.xfail(
    strict=True,
    reason="libical (3.0.16) trims spaces and tabs at both ends of every value, though RFC 5545 keeps them in TEXT",
)
def test_libical_keeps_white_space_at_the_ends_of_text() -> None:
    (event,) = libical().read(_TRIMMED)
    assert (event.summary, event.location) == ("  (Online) ", "\tRoom 2")


@pytest.mark.xfail(
    strict=True,
    reason="libical (3.0.16) drops a TEXT value of only white space, with the X-LIC-ERROR 'No value for ...'",
)
def test_libical_keeps_a_text_value_of_only_white_space() -> None:
    blank = _TRIMMED.replace(b"LOCATION:\tRoom 2", b"LOCATION: ")
    reply = libical().answer(blank)
    assert reply["errors"] == [] and reply["events"][0]["location"] == " "


def test_the_other_readers_keep_white_space_at_the_ends_of_text() -> None:
    for name in READERS:
        if name != "libical":
            (event,) = require(name)(_TRIMMED)
            assert (event.summary, event.location) == ("  (Online) ", "\tRoom 2"), name
