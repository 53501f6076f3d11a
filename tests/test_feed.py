"""The feed's contract: windows, filters, properties, text, languages, bytes.

Readers' agreement is in ``test_feed_readers.py`` and the VTIMEZONE in
``test_vtimezone.py``; golden files are in ``test_feed_golden.py``.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import holidays
import icalendar
import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from dateutil.relativedelta import relativedelta
from feed_readers import TEXT, read_icalendar, schedules, windows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import BASE

from hmis_schedule import (
    Change,
    FeedSettings,
    Modality,
    Schedule,
    ScheduleError,
    SessionNotFoundError,
    WindowError,
)
from hmis_schedule.addresses import FeedFilter, feed_filter, feed_path, session_page_path, session_path
from hmis_schedule.feed import PRODID, clean_text, fold_line, render_feed, render_session, session_summary
from hmis_schedule.i18n import LOCALE_DIR
from hmis_schedule.text import HOLIDAY_NAMES, holiday_name
from hmis_schedule.window import Window, add_months, feed_window

TODAY = date(2026, 11, 23)
ROOT = Path(__file__).parent.parent


def _calendar(ics: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(ics)


# -- windows ------------------------------------------------------------------------


@given(day=st.dates(date(1900, 1, 1), date(2900, 12, 31)), months=st.integers(-1200, 1200))
def test_add_months_keeps_the_day_within_the_month_like_relativedelta(day: date, months: int) -> None:
    assert add_months(day, months) == day + relativedelta(months=months)


@given(
    today=st.dates(date(2000, 1, 1), date(2090, 1, 1)),
    past=st.integers(0, 3660),
    future=st.integers(1, 120),
)
def test_default_window_runs_from_past_days_ago_to_future_months_ahead(
    clackamas: Schedule, today: date, past: int, future: int
) -> None:
    schedule = dataclasses.replace(clackamas, feed=FeedSettings(past_days=past, future_months=future, max_years=50))
    assert feed_window(schedule, today) == Window(
        start=today - timedelta(days=past), end=today + relativedelta(months=future)
    )


def test_today_given_as_an_instant_is_reckoned_in_the_schedules_zone(clackamas: Schedule) -> None:
    # 2026-11-24 03:00 UTC is still the 23rd in Oregon.
    instant = datetime(2026, 11, 24, 3, tzinfo=UTC)
    assert feed_window(clackamas, instant) == feed_window(clackamas, date(2026, 11, 23))  # type: ignore[arg-type]


@given(start=st.dates(date(2000, 1, 1), date(2090, 1, 1)), years=st.integers(1, 10))
def test_an_explicit_window_may_span_up_to_max_years(clackamas: Schedule, start: date, years: int) -> None:
    schedule = dataclasses.replace(clackamas, feed=FeedSettings(max_years=years))
    limit = start + relativedelta(years=years)
    assert feed_window(schedule, TODAY, start, limit) == Window(start=start, end=limit)
    with pytest.raises(WindowError) as err:
        feed_window(schedule, TODAY, start, limit + timedelta(days=1))
    assert err.value.field == "end"
    assert f"at most {years} years" in str(err.value)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2026, 5, 1), date(2026, 5, 1), "end"),
        (date(2026, 5, 2), date(2026, 5, 1), "end"),
        (date(2030, 1, 1), None, "start"),  # after the default end
        (None, date(2026, 1, 1), "end"),  # before the default start
    ],
)
def test_a_window_that_ends_before_it_starts_names_the_bound_given(
    clackamas: Schedule, start: date | None, end: date | None, field: str
) -> None:
    with pytest.raises(WindowError) as err:
        feed_window(clackamas, TODAY, start, end)
    assert err.value.field == field


@pytest.mark.parametrize("bad", ["2026-01-01", datetime(2026, 1, 1, tzinfo=UTC), 20260101])
def test_a_window_bound_that_is_not_a_date_is_refused(clackamas: Schedule, bad: object) -> None:
    with pytest.raises(WindowError) as err:
        feed_window(clackamas, TODAY, bad)  # type: ignore[arg-type]
    assert err.value.field == "start"


def test_a_window_is_a_frozen_half_open_range_of_dates() -> None:
    window = Window(start=date(2026, 12, 1), end=date(2026, 12, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        window.end = date(2027, 1, 1)  # type: ignore[misc]
    assert window == Window(start=date(2026, 12, 1), end=date(2026, 12, 2))
    assert hash(window) == hash(Window(start=date(2026, 12, 1), end=date(2026, 12, 2)))


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2026, 12, 1), date(2026, 12, 1), "end"),
        (date(2026, 12, 2), date(2026, 12, 1), "end"),
        (datetime(2026, 12, 1, tzinfo=UTC), date(2026, 12, 2), "start"),
        (date(2026, 12, 1), "2026-12-02", "end"),
    ],
)
def test_a_window_refuses_bounds_that_are_not_dates_or_do_not_end_after_they_start(
    start: object, end: object, field: str
) -> None:
    with pytest.raises(WindowError) as err:
        Window(start=start, end=end)  # type: ignore[arg-type]
    assert err.value.field == field


def test_the_renderers_take_the_window_as_it_is(clackamas: Schedule) -> None:
    # a window made by hand (longer than max_years here) is rendered, not checked again
    window = Window(start=date(2026, 1, 1), end=date(2032, 1, 1))
    assert render_feed(clackamas, window).count(b"BEGIN:VEVENT") == len(clackamas.sessions_between(window.start, window.end))


def test_render_feed_refuses_a_too_long_window(clackamas: Schedule) -> None:
    with pytest.raises(WindowError):
        render_feed(clackamas, feed_window(clackamas, TODAY, date(2020, 1, 1), date(2025, 1, 2)))


# -- choices ------------------------------------------------------------------------


def test_unknown_language_lists_the_choices(clackamas: Schedule) -> None:
    with pytest.raises(ScheduleError) as err:
        render_feed(clackamas, feed_window(clackamas, TODAY), lang="fr")
    assert (err.value.field, err.value.choices) == ("lang", ("en", "es"))


@pytest.mark.parametrize("bad", ["hybrid", "", None, 3])
def test_unknown_filter_lists_the_choices(clackamas: Schedule, bad: object) -> None:
    with pytest.raises(ScheduleError) as err:
        render_feed(clackamas, feed_window(clackamas, TODAY), filter=bad)  # type: ignore[arg-type]
    assert (err.value.field, err.value.choices) == ("filter", ("all", "online", "in_person"))


def test_filters_are_accepted_as_written_in_urls() -> None:
    assert [feed_filter(v) for v in ("all", "online", "in-person", "in_person")] == [
        FeedFilter.ALL,
        FeedFilter.ONLINE,
        FeedFilter.IN_PERSON,
        FeedFilter.IN_PERSON,
    ]


def test_paths_match_the_server_routes() -> None:
    assert [feed_path(f) for f in FeedFilter] == ["/calendar.ics", "/calendar/online.ics", "/calendar/in-person.ics"]
    assert feed_path("in_person", "es") == "/calendar/in-person.ics?lang=es"
    assert session_path("a-20260101@x.org") == "/sessions/a-20260101@x.org.ics"


def test_an_unknown_session_is_not_found(clackamas: Schedule) -> None:
    with pytest.raises(SessionNotFoundError):
        render_session(clackamas, f"first-monday-20261208@{clackamas.uid_domain}")  # a Tuesday


# -- the calendar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter", "lang", "name"),
    [
        (FeedFilter.ALL, "en", "Clackamas County HMIS new user training"),
        (FeedFilter.ONLINE, "en", "Clackamas County HMIS new user training (online)"),
        (FeedFilter.IN_PERSON, "es", "Capacitación para nuevos usuarios de HMIS del Condado de Clackamas (presencial)"),
    ],
)
def test_calendar_properties(clackamas: Schedule, filter: FeedFilter, lang: str, name: str) -> None:
    ics = render_feed(clackamas, feed_window(clackamas, TODAY), filter=filter, lang=lang, base_url=BASE)
    cal = _calendar(ics)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["PRODID"]) == PRODID
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["NAME"]) == str(cal["X-WR-CALNAME"]) == name
    # icalendar leaves X- properties escaped as it read them
    assert str(cal["DESCRIPTION"]) == icalendar.vText.from_ical(str(cal["X-WR-CALDESC"]))
    assert clackamas.description.get(lang) in str(cal["DESCRIPTION"])
    assert str(cal["X-WR-TIMEZONE"]) == "America/Los_Angeles"
    lines = ics.decode().split("\r\n")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in lines
    assert "X-PUBLISHED-TTL:PT6H" in lines


def test_refresh_interval_comes_from_the_schedule(clackamas: Schedule) -> None:
    schedule = dataclasses.replace(clackamas, feed=FeedSettings(refresh_interval=timedelta(minutes=90)))
    lines = render_feed(schedule, feed_window(schedule, TODAY)).decode().split("\r\n")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H30M" in lines
    assert "X-PUBLISHED-TTL:PT1H30M" in lines


@pytest.mark.parametrize("filter", list(FeedFilter))
def test_each_filter_holds_exactly_its_sessions(clackamas: Schedule, filter: FeedFilter) -> None:
    window = feed_window(clackamas, TODAY)
    ics = render_feed(clackamas, window, filter=filter)
    want = clackamas.sessions_between(window.start, window.end, modality=filter.modality)
    assert [r.uid for r in read_icalendar(ics)] == [s.uid for s in want]


def test_one_event_per_session_with_its_identity_and_stamps(clackamas: Schedule) -> None:
    window = feed_window(clackamas, TODAY)
    ics = render_feed(clackamas, window)
    sessions = {s.uid: s for s in clackamas.sessions_between(window.start, window.end)}
    events = _calendar(ics).events
    assert len(events) == len(sessions)
    stamp = clackamas.updated.astimezone(UTC)
    for event in events:
        session = sessions[str(event["UID"])]
        assert "RRULE" not in event and "RDATE" not in event
        assert event["DTSTAMP"].dt == stamp
        assert event["LAST-MODIFIED"].dt == stamp
        assert event["SEQUENCE"] == session.sequence
        assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
        assert event.start == session.start and event.end == session.end
        assert str(event["STATUS"]) == ("CANCELLED" if session.cancelled else "CONFIRMED")
        label = "Online" if session.modality is Modality.ONLINE else "In person"
        assert event.categories == [label]


def test_in_person_and_online_sessions_say_where(clackamas: Schedule) -> None:
    sessions = clackamas.sessions_between(date(2026, 12, 1), date(2027, 1, 1))
    ics = render_feed(clackamas, feed_window(clackamas, TODAY, date(2026, 12, 1), date(2027, 1, 1)))
    events = {str(e["UID"]): e for e in _calendar(ics).events}
    for session in sessions:
        event = events[session.uid]
        if session.modality is Modality.IN_PERSON:
            assert str(event["SUMMARY"]) == "HMIS new user training (in person, PSB 216)"
            assert str(event["LOCATION"]) == "PSB 216, 2051 Kaen Road, Oregon City, OR 97045"
            assert "Microsoft Teams link" not in str(event["DESCRIPTION"])
        else:
            assert str(event["SUMMARY"]) == "HMIS new user training (Microsoft Teams)"
            assert str(event["LOCATION"]) == "Microsoft Teams"
            assert "The Microsoft Teams link is emailed to you after you complete the LMS." in str(event["DESCRIPTION"])


def test_description_says_what_comes_first_and_whom_to_contact(clackamas: Schedule) -> None:
    ics = render_feed(
        clackamas, feed_window(clackamas, TODAY, date(2026, 12, 7), date(2026, 12, 8)), base_url=BASE
    )
    (event,) = _calendar(ics).events
    text = str(event["DESCRIPTION"])
    assert clackamas.onboarding is not None and clackamas.contact is not None
    for expected in (
        clackamas.description.get("en"),
        "videos",
        "quiz",
        "completion certificate is emailed",
        clackamas.onboarding.lms.get("en"),
        clackamas.onboarding.email,
        *(fact.get("en") for fact in clackamas.onboarding.facts),
        clackamas.contact.phone,
        f"{BASE}/",
    ):
        assert expected in text, expected
    # the event's URL is the session's own page on the server
    assert str(event["URL"]) == f"{BASE}{session_page_path(str(event['UID']))}"


def test_the_event_url_is_the_session_page_else_the_schedules_page(clackamas: Schedule) -> None:
    page = "https://www.clackamas.us/hmis/training"
    schedule = dataclasses.replace(clackamas, url=page)
    window = feed_window(schedule, TODAY, date(2026, 12, 7), date(2026, 12, 8))
    (event,) = _calendar(render_feed(schedule, window, base_url=BASE, lang="es")).events
    assert str(event["URL"]) == f"{BASE}{session_page_path(str(event['UID']), 'es')}"
    # without session pages (the static export) or without a base URL: the schedule's page
    (static,) = _calendar(render_feed(schedule, window, base_url=BASE, session_pages=False)).events
    assert str(static["URL"]) == page
    (unserved,) = _calendar(render_feed(schedule, window)).events
    assert str(unserved["URL"]) == page
    (bare,) = _calendar(render_feed(clackamas, window)).events
    assert "URL" not in bare


@pytest.mark.parametrize(
    ("lang", "summary", "reason"),
    [
        ("en", "Cancelled: HMIS new user training (Microsoft Teams)", "Labor Day - county offices closed"),
        ("es", "Cancelada: Capacitación para nuevos usuarios de HMIS (Microsoft Teams)",
         "Día del Trabajo: oficinas del condado cerradas"),
    ],
)
def test_a_session_on_a_holiday_stays_cancelled_with_the_reason(
    clackamas: Schedule, lang: str, summary: str, reason: str
) -> None:
    (session,) = clackamas.sessions_between(date(2026, 9, 7), date(2026, 9, 8))
    ics = render_feed(
        clackamas, feed_window(clackamas, TODAY, date(2026, 9, 1), date(2026, 10, 1)), lang=lang
    )
    event = next(e for e in _calendar(ics).events if str(e["UID"]) == session.uid)
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == session.sequence > 0
    assert str(event["SUMMARY"]) == summary
    assert reason in str(event["DESCRIPTION"])
    assert str(event["TRANSP"]) == "TRANSPARENT"


def test_a_cancellation_and_a_move_keep_the_uid_and_raise_the_sequence(clackamas: Schedule) -> None:
    moved = Change(slot="second-monday", date=date(2027, 2, 8), to_date=date(2027, 2, 9), room="PSB 301", sequence=2)
    cancelled = Change(slot="first-monday", date=date(2027, 2, 1), cancel=True, reason="Trainer out, sorry; really")
    schedule = dataclasses.replace(clackamas, changes=(moved, cancelled))
    ics = render_feed(schedule, feed_window(schedule, TODAY, date(2027, 2, 1), date(2027, 3, 1)))
    events = {str(e["UID"]): e for e in _calendar(ics).events}
    move = events[f"second-monday-20270208@{clackamas.uid_domain}"]
    assert move.start.date() == date(2027, 2, 9) and move["SEQUENCE"] == 2
    assert str(move["SUMMARY"]) == "HMIS new user training (in person, PSB 301)"
    assert "Moved from Monday, February 8, 2027." in str(move["DESCRIPTION"])
    cancel = events[f"first-monday-20270201@{clackamas.uid_domain}"]
    assert (str(cancel["STATUS"]), cancel["SEQUENCE"]) == ("CANCELLED", 1)
    assert str(cancel["SUMMARY"]).startswith("Cancelled: ")
    assert "Trainer out, sorry; really" in str(cancel["DESCRIPTION"])


def test_a_single_session_calendar_is_not_a_subscription(clackamas: Schedule) -> None:
    uid = f"second-monday-20261214@{clackamas.uid_domain}"
    ics = render_session(clackamas, uid, lang="es", base_url=BASE)
    cal = _calendar(ics)
    (event,) = cal.events
    assert str(event["UID"]) == uid
    assert str(event["SUMMARY"]) == session_summary(clackamas.session(uid), clackamas, "es")
    assert str(cal["METHOD"]) == "PUBLISH" and len(cal.timezones) == 1
    for key in ("NAME", "X-WR-CALNAME", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        assert key not in cal


def test_a_window_without_sessions_is_still_a_calendar(clackamas: Schedule) -> None:
    ics = render_feed(clackamas, feed_window(clackamas, TODAY, date(2026, 12, 8), date(2026, 12, 13)))
    cal = _calendar(ics)
    assert cal.events == [] and len(cal.timezones) == 1


# -- bytes -------------------------------------------------------------------------------


def _check_lines(ics: bytes) -> None:
    """CRLF line ends, at most 75 octets a line, no UTF-8 character or escape split by a fold."""
    assert ics.endswith(b"\r\n")
    lines = ics[:-2].split(b"\r\n")
    for number, line in enumerate(lines):
        assert b"\r" not in line and b"\n" not in line, number
        assert len(line) <= 75, (number, line)
        line.decode("utf-8")  # a fold never splits a character
        if number + 1 < len(lines) and lines[number + 1].startswith(b" "):
            trailing = len(line) - len(line.rstrip(b"\\"))
            assert trailing % 2 == 0, f"an escape is split by the fold after line {number}: {line!r}"


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), lang=st.sampled_from(["en", "es"]))
def test_lines_are_crlf_folded_at_75_octets_without_splitting_characters_or_escapes(
    data: st.DataObject, lang: str
) -> None:
    first, end = data.draw(windows(max_days=120))
    schedule = data.draw(schedules(window=(first, end)))
    _check_lines(render_feed(schedule, feed_window(schedule, first, first, end), lang=lang, base_url=BASE))


def test_the_clackamas_feeds_are_folded_properly(clackamas: Schedule) -> None:
    for lang in ("en", "es"):
        _check_lines(render_feed(clackamas, feed_window(clackamas, TODAY), lang=lang, base_url=BASE))


@given(text=TEXT)
def test_text_is_cleaned_to_what_ical_text_can_carry(text: str) -> None:
    cleaned = clean_text(text + "\r\n\x00\x1f\x7f")
    assert cleaned == clean_text(text) + "\n"
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", cleaned)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_equal_inputs_give_identical_bytes(data: st.DataObject) -> None:
    first, end = data.draw(windows(max_days=2 * 366))
    schedule = data.draw(schedules(window=(first, end)))
    window = feed_window(schedule, first, first, end)
    kwargs = {"base_url": BASE, "lang": data.draw(st.sampled_from(["en", "es"]))}
    once = render_feed(schedule, window, **kwargs)
    assert render_feed(copy.deepcopy(schedule), window, **kwargs) == once
    uid = next((s.uid for s in schedule.sessions_between(first, end)), None)
    if uid is not None:
        assert render_session(schedule, uid) == render_session(copy.deepcopy(schedule), uid)


def test_the_feed_is_the_same_in_another_process(clackamas: Schedule) -> None:
    """No hash seed, clock or random number reaches the bytes."""
    script = (
        "import sys, datetime, hmis_schedule\n"
        "from hmis_schedule.feed import render_feed\n"
        "from hmis_schedule.window import feed_window\n"
        "s = hmis_schedule.clackamas()\n"
        "sys.stdout.buffer.write(render_feed(s, feed_window(s, datetime.date(2026, 11, 23)), lang='es'))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Asia/Tokyo"}
    other = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True).stdout
    assert other == render_feed(clackamas, feed_window(clackamas, TODAY), lang="es")


# -- languages ----------------------------------------------------------------------------


def _catalog() -> dict[str, tuple[str, set[str]]]:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "feed.po").open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): (str(m.string), set(m.flags)) for m in catalog if m.id}


def test_every_message_of_the_feed_has_a_spanish_translation() -> None:
    extracted = {message for _, message, _, _ in extract_from_file("python", ROOT / "hmis_schedule" / "text.py")}
    catalog = _catalog()
    assert extracted, "no messages found"
    for message in extracted:
        assert isinstance(message, str)
        translation, flags = catalog.get(message, ("", set()))
        assert translation, f"no Spanish for {message!r}"
        assert "fuzzy" not in flags, message
        placeholders = sorted(re.findall(r"%\(\w+\)s", message))
        assert sorted(re.findall(r"%\(\w+\)s", translation)) == placeholders, message


def test_every_oregon_holiday_name_is_translated() -> None:
    names = set(holidays.country_holidays("US", subdiv="OR", years=range(2020, 2046)).values())
    for name in names:
        assert holiday_name(name, "es") != name, name
    assert all(holiday_name(n, "es") != n for n in HOLIDAY_NAMES if n != "Diwali")  # the same in Spanish


def test_the_spanish_feed_has_no_english_sentences(clackamas: Schedule) -> None:
    english = render_feed(clackamas, feed_window(clackamas, TODAY)).decode()
    spanish = render_feed(clackamas, feed_window(clackamas, TODAY), lang="es").decode()
    for sentence in ("Before the session", "To sign up", "Questions:", "in person", "Cancelled:", "Online"):
        assert sentence in english.replace("\r\n ", "")
        assert sentence not in spanish.replace("\r\n ", ""), sentence


@given(
    name=st.sampled_from(["DESCRIPTION:", "SUMMARY;LANGUAGE=es:", "X-A:"]),
    value=st.lists(st.sampled_from(["\\\\", "\\,", "\\;", "\\n", "é", "😀", "a", " ", "ñ"]) | TEXT, max_size=80).map(
        "".join
    ),
)
def test_fold_line_unfolds_to_the_same_line_and_splits_nothing(name: str, value: str) -> None:
    line = (name + value.replace("\n", "\\n").replace("\r", "")).encode()
    folded = fold_line(line)
    assert folded.replace(b"\r\n ", b"") == line
    _check_lines(folded + b"\r\n")
