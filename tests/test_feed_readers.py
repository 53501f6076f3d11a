"""Five independent readers of the feeds agree with the library, session for session.

The readers are ``icalendar``, ``recurring-ical-events``, allenporter's strict
``ical``, Mozilla's ``ical.js`` under Node.js and libical (Evolution's engine)
through a small C program (see ``feed_readers.py``'s ``READERS``).
For each, the set of (uid, start in UTC, end in UTC, STATUS) read from a feed
must equal the library's own sessions for that window: over the built-in
Clackamas schedule from 2020 to 2045, and over generated schedules in time
zones with and without daylight saving time, in both hemispheres. Text with
commas, semicolons, backslashes, line breaks, accents and emoji must come back
exactly as the library wrote it.
"""

from __future__ import annotations

import functools
from datetime import date

import pytest
from feed_readers import (
    READERS,
    ZONES,
    Reader,
    expected,
    require,
    schedules,
    seen_by,
    windows,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BASE

import hmis_schedule
from hmis_schedule.addresses import FeedFilter, page_url
from hmis_schedule.feed import clean_text, render_feed
from hmis_schedule.text import session_description, session_location, session_summary
from hmis_schedule.window import feed_window

TODAY = date(2026, 11, 23)

# Windows of at most five years (the feed's limit) covering 2020 to 2045.
CLACKAMAS_WINDOWS = [
    (date(2020, 1, 1), date(2025, 1, 1)),
    (date(2025, 1, 1), date(2030, 1, 1)),
    (date(2030, 1, 1), date(2035, 1, 1)),
    (date(2035, 1, 1), date(2040, 1, 1)),
    (date(2040, 1, 1), date(2045, 1, 1)),
    (date(2045, 1, 1), date(2046, 1, 1)),
]

@pytest.fixture(scope="session", params=list(READERS))
def reader(request: pytest.FixtureRequest) -> Reader:
    """Each of the five readers in turn (ical.js or libical skips or fails here when missing)."""
    return require(request.param)


@functools.cache
def _clackamas_feed(first: date, end: date, filter: FeedFilter, lang: str) -> bytes:
    schedule = hmis_schedule.clackamas()
    return render_feed(
        schedule, feed_window(schedule, TODAY, first, end), filter=filter, lang=lang, base_url=BASE
    )


@pytest.mark.parametrize(("first", "end"), CLACKAMAS_WINDOWS, ids=[str(w[0].year) for w in CLACKAMAS_WINDOWS])
def test_every_reader_finds_the_clackamas_sessions_2020_to_2045(
    reader: Reader, clackamas: hmis_schedule.Schedule, first: date, end: date
) -> None:
    ics = _clackamas_feed(first, end, FeedFilter.ALL, "en")
    read = reader(ics)
    assert len(read) == len({r.uid for r in read}), "one event per session"
    assert {r.key for r in read} == expected(clackamas.sessions_between(first, end))


@pytest.mark.parametrize("filter", [FeedFilter.ONLINE, FeedFilter.IN_PERSON])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_reader_finds_the_filtered_sessions_in_both_languages(
    reader: Reader, clackamas: hmis_schedule.Schedule, filter: FeedFilter, lang: str
) -> None:
    first, end = CLACKAMAS_WINDOWS[1]
    read = reader(_clackamas_feed(first, end, filter, lang))
    assert {r.key for r in read} == expected(clackamas.sessions_between(first, end, modality=filter.modality))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_every_reader_finds_the_sessions_of_generated_schedules(reader: Reader, data: st.DataObject) -> None:
    first, end = data.draw(windows(max_days=3 * 366), label="window")
    schedule = data.draw(schedules(ZONES, window=(first, end)), label="schedule")
    ics = render_feed(schedule, feed_window(schedule, first, first, end))
    read = reader(ics)
    assert len(read) == len({r.uid for r in read})
    assert {r.key for r in read} == expected(schedule.sessions_between(first, end))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), lang=st.sampled_from(["en", "es"]))
def test_text_survives_every_reader(reader: Reader, data: st.DataObject, lang: str) -> None:
    first, end = data.draw(windows(max_days=120), label="window")
    schedule = data.draw(schedules(ZONES[:5], window=(first, end)), label="schedule")
    ics = render_feed(schedule, feed_window(schedule, first, first, end), lang=lang, base_url=BASE)
    sessions = {s.uid: s for s in schedule.sessions_between(first, end)}
    url = page_url(schedule, BASE)
    read = reader(ics)
    assert {r.uid for r in read} == set(sessions)
    for event in read:
        session = sessions[event.uid]
        assert event.summary == seen_by(reader, clean_text(session_summary(session, schedule, lang)))
        assert event.location == seen_by(reader, clean_text(session_location(session, lang)))
        assert event.description == seen_by(reader, clean_text(session_description(session, schedule, lang, url)))
