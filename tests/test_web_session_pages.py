"""Each session's own page, ``/sessions/<uid>``: what it shows, its schema.org Event, and a 404 for any other uid.

The schedule is the built-in one with one session moved (with notes and a
reason), so the three kinds of page are there: a scheduled session, a
cancelled one (a public holiday) and a moved one. The library is the oracle
for every date, place and reason; the JSON-LD is checked against the fields
schema.org and Google's event documentation expect of an ``Event``.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, time, timedelta
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import BASE, FROZEN, Node, parse, schedule_app

from hmis_schedule import Change, Schedule, clackamas
from hmis_schedule.addresses import session_page_path, session_path
from hmis_schedule.links import map_link
from hmis_schedule.text import long_date, session_reason, session_summary

BUILT_IN = clackamas()
SCHEDULE = dataclasses.replace(
    BUILT_IN,
    changes=(
        Change(
            slot="second-monday", date=date(2027, 1, 11), to_date=date(2027, 1, 12), room="PSB 301",
            reason="Room 216 is being painted", notes="Use the north entrance",
        ),
    ),
)  # fmt: skip
SCHEDULED = f"first-monday-20261207@{SCHEDULE.uid_domain}"
CANCELLED = f"third-monday-20270118@{SCHEDULE.uid_domain}"  # Martin Luther King Jr. Day
MOVED = f"second-monday-20270111@{SCHEDULE.uid_domain}"
IN_PERSON = f"second-monday-20261214@{SCHEDULE.uid_domain}"
LANGS = ("en", "es")
SCHEMA = "https://schema.org/"
BUDGET = 30 * 1024
"""A session page's weight budget, in bytes (its HTML; the stylesheet is shared with the other pages)."""

APP = schedule_app(SCHEDULE)
"""One app for the module (Hypothesis refuses function-scoped fixtures)."""


def _get(uid: str, lang: str) -> tuple[str, Node]:
    response = APP.test_client().get(session_page_path(uid, lang))
    assert response.status_code == 200, uid
    assert response.content_type == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    return html, parse(html)


def _event(doc: Node) -> dict[str, object]:
    (script,) = doc.find("script", type="application/ld+json")
    data = json.loads(script.text())
    assert isinstance(data, dict)
    return data


def _check_event(event: dict[str, object], schedule: Schedule, uid: str, lang: str) -> None:
    """``event`` has the fields schema.org expects of an Event, with the library's values."""
    session = schedule.session(uid)
    assert event["@context"] == "https://schema.org"
    assert event["@type"] in ("Event", "EducationEvent")  # EducationEvent is an Event
    assert event["name"] == session_summary(session, schedule, lang)
    assert datetime.fromisoformat(str(event["startDate"])) == session.start
    assert datetime.fromisoformat(str(event["endDate"])) == session.end
    assert str(event["startDate"]) == session.start.isoformat()  # with its offset
    assert event["url"] == BASE + session_page_path(uid, lang)
    assert event["inLanguage"] == lang
    online = session.modality.value == "online"
    assert event["eventAttendanceMode"] == SCHEMA + (
        "OnlineEventAttendanceMode" if online else "OfflineEventAttendanceMode"
    )
    location = event["location"]
    assert isinstance(location, dict)
    if online:
        assert location["@type"] == "VirtualLocation" and str(location["url"]).startswith("https://")
    else:
        assert location["@type"] == "Place"
        address = location["address"]
        assert isinstance(address, dict) and address["@type"] == "PostalAddress"
        assert address["streetAddress"] in session.location
    organizer = event["organizer"]
    assert isinstance(organizer, dict) and organizer["@type"] == "Organization" and organizer["name"]
    planned = schedule.planned(uid)
    if session.cancelled:
        assert event["eventStatus"] == SCHEMA + "EventCancelled"
    elif planned.start != session.start:
        assert event["eventStatus"] == SCHEMA + "EventRescheduled"
        assert datetime.fromisoformat(str(event["previousStartDate"])) == planned.start
    else:
        assert event["eventStatus"] == SCHEMA + "EventScheduled"
        assert "previousStartDate" not in event


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("uid", [SCHEDULED, CANCELLED, MOVED, IN_PERSON])
def test_each_session_page_has_a_schema_org_event(uid: str, lang: str) -> None:
    html, doc = _get(uid, lang)
    _check_event(_event(doc), SCHEDULE, uid, lang)
    assert len(html.encode()) < BUDGET
    assert doc.find("html")[0].attrs["lang"] == lang


@pytest.mark.parametrize("lang", LANGS)
def test_a_scheduled_session_page_says_when_where_and_what_to_do_first(lang: str) -> None:
    session = SCHEDULE.session(SCHEDULED)
    _, doc = _get(SCHEDULED, lang)
    text = doc.text()
    assert session_summary(session, SCHEDULE, lang) == doc.find("h1")[0].text()
    assert long_date(session.day, lang) in text
    times = [t.attrs["datetime"] for t in doc.iter("time")]
    assert times == [session.start.isoformat(), session.end.isoformat()]
    assert SCHEDULE.online is not None
    assert SCHEDULE.online.join.get(lang) in text  # how the link arrives
    # what to do before attending: the schedule's steps, the email's facts
    assert SCHEDULE.onboarding is not None
    for fact in SCHEDULE.onboarding.facts:
        assert fact.get(lang) in text
    for step in SCHEDULE.onboarding.steps:
        assert step.title.get(lang) in text
    links = [a.attrs.get("href") for a in doc.iter("a")]
    assert BASE + session_path(SCHEDULED) + ("" if lang == "en" else "?lang=es") in links
    google = BASE + f"/sessions/{SCHEDULED}/google" + ("" if lang == "en" else "?lang=es")
    assert google in links  # the redirect to Google Calendar's form (tests/test_web_session_google.py)


@pytest.mark.parametrize("lang", LANGS)
def test_an_in_person_session_page_links_its_address_to_a_map(lang: str) -> None:
    session = SCHEDULE.session(IN_PERSON)
    _, doc = _get(IN_PERSON, lang)
    assert session.full_location in doc.text()
    links = [a.attrs.get("href") for a in doc.iter("a")]
    assert map_link(session.location) in links
    assert map_link(session.location) == "https://www.openstreetmap.org/search?query=" + quote(session.location, safe="")


@pytest.mark.parametrize("lang", LANGS)
def test_a_cancelled_session_page_says_why_and_offers_no_calendar_link(lang: str) -> None:
    session = SCHEDULE.session(CANCELLED)
    assert session.cancelled
    _, doc = _get(CANCELLED, lang)
    text = doc.text()
    assert session_reason(session, SCHEDULE, lang) in text
    links = [str(a.attrs.get("href")) for a in doc.iter("a")]
    assert not any("calendar.google.com" in link or link.endswith(".ics") for link in links)
    assert not doc.find("section")  # nothing to do before a session that does not take place


@pytest.mark.parametrize("lang", LANGS)
def test_a_moved_session_page_says_where_it_was_moved_from_with_its_notes_and_reason(lang: str) -> None:
    session = SCHEDULE.session(MOVED)
    assert session.moved
    _, doc = _get(MOVED, lang)
    text = doc.text()
    assert long_date(date(2027, 1, 11), lang) in text  # the planned date
    assert long_date(date(2027, 1, 12), lang) in text  # the date it takes place
    assert "Use the north entrance" in text and "Room 216 is being painted" in text
    assert "PSB 301" in text


def test_the_main_page_links_to_each_session_page() -> None:
    html = APP.test_client().get("/?lang=es").get_data(as_text=True)
    doc = parse(html)
    links = {a.attrs.get("href") for a in doc.iter("a")}
    months = [a for td in doc.iter("td") for span in td.find("span") if span.has_class("ev") for a in span.iter("a")]
    assert months, "calendar entries are links"
    for a in months:
        assert str(a.attrs["href"]).startswith(BASE + "/sessions/") and str(a.attrs["href"]).endswith("?lang=es")
    assert BASE + session_page_path(MOVED, "es") in links
    # the moved session shows its move and notes in the upcoming list
    assert "Use the north entrance" in doc.text()
    assert "Trasladada desde el " + long_date(date(2027, 1, 11), "es") in doc.text()


@pytest.mark.parametrize(
    "uid",
    [
        "nonsense",
        f"first-monday-20261208@{BUILT_IN.uid_domain}",  # not a first Monday
        "first-monday-20261207@another.example.org",  # another schedule's
        f"no-such-slot-20261207@{BUILT_IN.uid_domain}",
        f"first-monday-20261399@{BUILT_IN.uid_domain}",  # no such date
        "x" * 5000,
        "%00",
        "..",
        "<script>",
    ],
)
def test_an_unknown_or_malformed_uid_gets_the_404_page(uid: str) -> None:
    response = APP.test_client().get("/sessions/" + quote(uid, safe=""))
    assert response.status_code == 404
    assert response.content_type == "text/html; charset=utf-8"
    assert "<script>" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_session_calendar_route_still_answers_the_ics() -> None:
    response = APP.test_client().get(session_path(SCHEDULED))
    assert response.status_code == 200 and response.content_type.startswith("text/calendar")


def test_a_session_page_is_cached_and_revalidated_like_the_main_page() -> None:
    client = APP.test_client()
    first = client.get(session_page_path(SCHEDULED))
    main = client.get("/")
    assert first.headers["Cache-Control"] == main.headers["Cache-Control"]
    assert first.headers["Content-Security-Policy"] == main.headers["Content-Security-Policy"]
    again = client.get(session_page_path(SCHEDULED), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert "Accept-Language" in first.headers["Vary"]


@given(
    first=st.dates(min_value=date(2026, 1, 1), max_value=date(2031, 12, 31)),
    days=st.integers(min_value=1, max_value=90),
    lang=st.sampled_from(LANGS),
)
def test_every_session_in_any_window_has_a_page_whose_event_starts_when_it_does(
    first: date, days: int, lang: str
) -> None:
    client = APP.test_client()
    for session in SCHEDULE.sessions_between(first, first + timedelta(days=days)):
        response = client.get(session_page_path(session.uid, lang))
        assert response.status_code == 200
        event = _event(parse(response.get_data(as_text=True)))
        assert event["startDate"] == session.start.isoformat()
        moved = SCHEDULE.planned(session.uid).start != session.start
        status = "EventCancelled" if session.cancelled else "EventRescheduled" if moved else "EventScheduled"
        assert event["eventStatus"] == SCHEMA + status


def test_frozen_now_is_before_the_sessions_checked() -> None:
    """The pages above are of sessions still to come at the tests' "now" (the page has no past/future wording)."""
    assert all(SCHEDULE.session(uid).start > FROZEN for uid in (SCHEDULED, CANCELLED, MOVED, IN_PERSON))


def test_a_session_moved_to_another_time_the_same_day_is_rescheduled() -> None:
    later = dataclasses.replace(
        BUILT_IN, changes=(Change(slot="first-monday", date=date(2027, 2, 1), start=time(10), end=time(13)),)
    )
    uid = f"first-monday-20270201@{later.uid_domain}"
    response = schedule_app(later).test_client().get(session_page_path(uid))
    doc = parse(response.get_data(as_text=True))
    _check_event(_event(doc), later, uid, "en")  # EventRescheduled, previousStartDate 09:00
    assert "Moved from Monday, February 1, 2027, 9:00" in " ".join(doc.text().split())
