"""Feeds conform to RFC 5545 and 5546 as strict readers check them.

- ``METHOD:PUBLISH`` comes only with an ORGANIZER in every event (RFC 5546
  section 3.2.1): the schedule's contact address; a schedule without a
  contact gets no METHOD and no ORGANIZER.
- The schedule's ``url`` (written into URL) is an absolute http(s) URI, and
  its ``uid_domain`` (the end of every UID) a host name, both checked when
  the schedule is made, with an error naming the field.
- Both ends of an event take the same form: both with the TZID, or both in
  UTC when either must be (a session squeezed by a clock change).

libical's own restriction check over every rendered feed is in
``test_libical.py``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
from feed_readers import schedules, windows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmis_schedule import Contact, Modality, Schedule, ScheduleError, Slot, Text, Weekday, from_toml
from hmis_schedule.feed import organizer, render_feed, render_session
from hmis_schedule.files import builtin_text
from hmis_schedule.values import hostname, web_url
from hmis_schedule.window import feed_window

TODAY = date(2026, 11, 23)


def _calendar(ics: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(ics)


# -- METHOD and ORGANIZER -----------------------------------------------------------


def test_every_event_of_a_published_feed_has_the_contact_as_organizer(clackamas: Schedule) -> None:
    cal = _calendar(render_feed(clackamas, feed_window(clackamas, TODAY)))
    assert str(cal["METHOD"]) == "PUBLISH"
    assert cal.events
    for event in cal.events:
        assert str(event["ORGANIZER"]) == "mailto:hmisadmin@clackamas.us"


def test_a_session_calendar_has_the_organizer_too(clackamas: Schedule) -> None:
    cal = _calendar(render_session(clackamas, f"first-monday-20261207@{clackamas.uid_domain}"))
    assert str(cal["METHOD"]) == "PUBLISH"
    assert [str(e["ORGANIZER"]) for e in cal.events] == ["mailto:hmisadmin@clackamas.us"]


def test_a_schedule_without_a_contact_publishes_no_method_and_no_organizer(clackamas: Schedule) -> None:
    schedule = dataclasses.replace(clackamas, contact=None)
    for ics in (
        render_feed(schedule, feed_window(schedule, TODAY)),
        render_session(schedule, f"first-monday-20261207@{schedule.uid_domain}"),
    ):
        assert b"\r\nMETHOD:" not in ics and b"\r\nORGANIZER" not in ics
        assert _calendar(ics).events


def test_the_organizer_is_a_mailto_uri_even_for_unusual_addresses(clackamas: Schedule) -> None:
    contact = Contact(hmis_email="o'brien+hmis/training@county.example.org")
    assert organizer(dataclasses.replace(clackamas, contact=contact)) == (
        "mailto:o'brien+hmis%2Ftraining@county.example.org"
    )


# -- url and uid_domain ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.org/hmis training",  # a space
        "https://www.exämple.org/hmis",  # not ASCII
        "https://www.example.org/\u00e9",
        "www.example.org/hmis",  # not absolute
        "ftp://example.org/hmis",
        "mailto:hmis@example.org",
        "https://",
        'https://example.org/"quoted"',
        "https://user:secret@example.org/",
        "https://example.org:port/",
        "https://example.org/\nX-INJECTED:1",
    ],
)
def test_a_schedule_refuses_a_url_that_is_not_an_absolute_web_address(clackamas: Schedule, url: str) -> None:
    with pytest.raises(ScheduleError) as err:
        dataclasses.replace(clackamas, url=url)
    assert err.value.field == "url"
    assert "http or https URL" in str(err.value)


@pytest.mark.parametrize("url", ["", "http://county.example.org/hmis", "https://www.example.org/a%20b?x=1#top"])
def test_a_schedule_takes_an_empty_or_http_or_https_url(clackamas: Schedule, url: str) -> None:
    assert dataclasses.replace(clackamas, url=url).url == url


def test_a_url_with_spaces_around_it_is_kept_without_them(clackamas: Schedule) -> None:
    schedule = dataclasses.replace(clackamas, url="  https://www.example.org/hmis\n")
    assert schedule.url == "https://www.example.org/hmis"
    (event,) = _calendar(render_feed(schedule, feed_window(schedule, TODAY, date(2026, 12, 7), date(2026, 12, 8)))).events
    assert str(event["URL"]) == "https://www.example.org/hmis"


def test_a_schedule_file_with_a_bad_url_names_the_file_and_the_field() -> None:
    text = builtin_text().replace('url = ""\n', 'url = "https://www.clackamas.us/hmis training"\n')
    assert text != builtin_text()
    with pytest.raises(ScheduleError) as err:
        from_toml(text, source="schedule.toml")
    assert err.value.field == "url"
    assert str(err.value).startswith("schedule.toml: url: expected an absolute http or https URL")


@given(st.text(max_size=40))
def test_web_url_returns_only_absolute_ascii_http_addresses(value: str) -> None:
    try:
        url = web_url(value, "url")
    except ScheduleError as err:
        assert err.field == "url"
        return
    if url:
        parts = urlsplit(url)
        assert parts.scheme.lower() in ("http", "https") and parts.hostname
        assert url.isascii() and url.isprintable() and not any(c.isspace() for c in url)


@pytest.mark.parametrize(
    "domain",
    ["hmis;training.org", "hmis,training.org", "hmis training.org", "hmis@training.org", "a..b", ".a.org",
     "a.org.", "a/b.org", "é.org", "", "x" * 64 + ".org", ".".join(["a" * 63] * 4) + ".org"],
)
def test_a_schedule_refuses_a_uid_domain_that_is_not_a_host_name(clackamas: Schedule, domain: str) -> None:
    with pytest.raises(ScheduleError) as err:
        dataclasses.replace(clackamas, uid_domain=domain)
    assert err.value.field == "uid_domain"


@pytest.mark.parametrize("domain", ["localhost", "hmis-training.clackamas.us", "x" * 63 + ".org", "A1.b-2.C"])
def test_a_schedule_takes_a_host_name_as_uid_domain(clackamas: Schedule, domain: str) -> None:
    assert dataclasses.replace(clackamas, uid_domain=domain).uid_domain == domain


@given(st.text(alphabet="ab-.;,@ é", max_size=12))
def test_an_accepted_uid_domain_needs_no_escaping_in_a_uid(value: str) -> None:
    try:
        hostname(value, "uid_domain")
    except ScheduleError as err:
        assert err.field == "uid_domain"
        return
    assert value and not set(value) - set("ab-.")
    assert "" not in value.split(".")


# -- both ends in the same form ---------------------------------------------------------


def _night(zone: str, start: time, end: time, ordinal: int = 1) -> Schedule:
    slot = Slot(id="night", ordinal=ordinal, weekday=Weekday.SUNDAY, start=start, end=end,
                modality=Modality.ONLINE, location="Online")
    return Schedule(id="night", name=Text.of("Night"), title=Text.of("Night"), timezone=zone,
                    updated=datetime(2026, 1, 1, tzinfo=UTC), uid_domain="night.example.org", slots=(slot,))


def _forms(ics: bytes) -> list[tuple[bytes, bytes]]:
    """(DTSTART line, DTEND line) of each event."""
    found = []
    for block in ics.split(b"BEGIN:VEVENT")[1:]:
        lines = block.split(b"\r\n")
        found.append((
            next(x for x in lines if x.startswith(b"DTSTART")),
            next(x for x in lines if x.startswith(b"DTEND")),
        ))
    return found


def _same_form(start: bytes, end: bytes) -> bool:
    utc = (start.endswith(b"Z"), end.endswith(b"Z"))
    tzid = (b";TZID=" in start, b";TZID=" in end)
    return utc in ((True, True), (False, False)) and tzid in ((True, True), (False, False)) and utc != tzid


def test_a_session_ending_after_the_repeated_hour_is_written_in_utc_at_both_ends() -> None:
    # 2026-11-01 01:30-02:30 in Los Angeles: 01:30 happens twice (so it is written in UTC),
    # 02:30 once; the end is in UTC too, an hour and a half after the first 01:30.
    schedule = _night("America/Los_Angeles", time(1, 30), time(2, 30))
    ics = render_feed(schedule, feed_window(schedule, TODAY, date(2026, 11, 1), date(2026, 11, 2)))
    assert _forms(ics) == [(b"DTSTART:20261101T083000Z", b"DTEND:20261101T103000Z")]


def test_a_session_clear_of_clock_changes_keeps_the_tzid_at_both_ends() -> None:
    schedule = _night("America/Los_Angeles", time(1, 30), time(2, 30))
    ics = render_feed(schedule, feed_window(schedule, TODAY, date(2026, 12, 6), date(2026, 12, 7)))
    assert _forms(ics) == [
        (b"DTSTART;TZID=America/Los_Angeles:20261206T013000", b"DTEND;TZID=America/Los_Angeles:20261206T023000")
    ]


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    zone=st.sampled_from(["America/Los_Angeles", "Europe/London", "Australia/Lord_Howe", "America/Santiago",
                          "America/St_Johns", "Europe/Dublin"]),
    year=st.integers(2020, 2040),
    ordinal=st.sampled_from([1, 2, -1]),
    start=st.integers(0, 4 * 4).map(lambda q: time(q // 4, q % 4 * 15)),
    minutes=st.integers(15, 180),
)
def test_both_ends_of_every_event_take_the_same_form(
    zone: str, year: int, ordinal: int, start: time, minutes: int
) -> None:
    end = (datetime.combine(date(2000, 1, 1), start) + timedelta(minutes=minutes)).time()
    schedule = _night(zone, start, end, ordinal)
    first = date(year, 1, 1)
    ics = render_feed(schedule, feed_window(schedule, first, first, date(year + 1, 1, 1)))
    forms = _forms(ics)
    assert forms
    for start_line, end_line in forms:
        assert _same_form(start_line, end_line), (start_line, end_line)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_generated_feeds_pair_their_ends_and_publish_with_an_organizer(data: st.DataObject) -> None:
    first, end = data.draw(windows(max_days=2 * 366), label="window")
    schedule = data.draw(schedules(window=(first, end)), label="schedule")
    ics = render_feed(schedule, feed_window(schedule, first, first, end))
    assert all(_same_form(*pair) for pair in _forms(ics))
    assert ics.count(b"\r\nORGANIZER:mailto:admin@example.org\r\n") == ics.count(b"BEGIN:VEVENT")
