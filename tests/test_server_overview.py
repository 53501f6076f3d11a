"""What the page shows (hmis_schedule.overview) and the links it offers (hmis_schedule.links).

The server keeps a rendered page until :attr:`Overview.valid_until`, so the
overview must not change before then: Hypothesis checks it at random
instants, against the library's own queries as the oracle.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

import hmis_schedule
from hmis_schedule.links import google_event_link, mailto_link, subscribe_links, webcal_url
from hmis_schedule.overview import months_ahead, overview

SCHEDULE = hmis_schedule.clackamas()
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2032, 12, 31),
    timezones=st.sampled_from([ZoneInfo("America/Los_Angeles"), ZoneInfo("UTC"), ZoneInfo("Asia/Tokyo")]),
)


def _same(a: hmis_schedule.overview.Overview, b: hmis_schedule.overview.Overview) -> bool:
    return (a.today, a.next, a.next_by_modality, a.months, a.upcoming) == (
        b.today,
        b.next,
        b.next_by_modality,
        b.months,
        b.upcoming,
    )


@given(now=INSTANTS)
def test_the_overview_is_the_librarys_answer(now: datetime) -> None:
    view = overview(SCHEDULE, now)
    local = now.astimezone(SCHEDULE.zone)
    assert view.today == local.date()
    assert view.next == SCHEDULE.next_session(now)
    assert dict(view.next_by_modality) == {
        m: SCHEDULE.next_session(now, modality=m) for m in hmis_schedule.Modality
    }
    assert [m.first for m in view.months] == months_ahead(view.today, 3)
    end = months_ahead(view.today, 4)[-1]
    expected = [s for s in SCHEDULE.sessions_between(view.today - timedelta(days=1), end) if s.end > now]
    assert list(view.upcoming) == expected
    for month in view.months:
        assert month.sessions == tuple(
            SCHEDULE.sessions_between(month.first, months_ahead(month.first, 2)[-1])
        )
        for week in month.weeks:
            assert len(week) == 7
            assert week[0].date.weekday() == calendar.SUNDAY


@given(now=INSTANTS)
# 2032-07-05 is a Monday closed for Independence Day (observed): the cancelled
# session's start changes nothing on the page, so the view holds past it.
@example(now=datetime(2032, 7, 5, tzinfo=ZoneInfo("America/Los_Angeles")))
def test_the_overview_holds_until_valid_until_and_not_after(now: datetime) -> None:
    view = overview(SCHEDULE, now)
    assert view.valid_until > now
    assert view.valid_until <= now.astimezone(SCHEDULE.zone).replace(hour=0, minute=0) + timedelta(
        days=1, hours=1
    )
    just_before = overview(SCHEDULE, view.valid_until - timedelta(microseconds=1))
    assert _same(view, just_before)
    at = overview(SCHEDULE, view.valid_until)
    changed_day = at.today != view.today
    assert changed_day or not _same(view, at)


def test_months_ahead_crosses_the_year() -> None:
    assert months_ahead(date(2026, 11, 30), 4) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]


# -- links ------------------------------------------------------------------------------------

URLS = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}{path}{query}",
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,6}){1,2}(:[0-9]{2,5})?", fullmatch=True),
    st.from_regex(r"(/[A-Za-z0-9._~-]{1,12}){0,3}/calendar\.ics", fullmatch=True),
    st.sampled_from(["", "?lang=es", "?lang=es&x=a%20b"]),
)


@given(url=URLS, name=st.text(min_size=1, max_size=40))
def test_subscribe_links_carry_the_feed_url_exactly(url: str, name: str) -> None:
    links = subscribe_links(url, name=name)
    assert links.https == url
    assert links.webcal == "webcal://" + url.split("://", 1)[1]
    assert links.apple == links.webcal
    assert links.google.startswith("https://calendar.google.com/calendar/r?cid=")
    assert unquote(links.google.split("cid=", 1)[1]) == links.webcal
    for link, host in ((links.outlook, "outlook.live.com"), (links.microsoft365, "outlook.office.com")):
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc, parts.path) == ("https", host, "/calendar/0/addfromweb")
        query = parse_qs(parts.query, keep_blank_values=True)
        assert query["url"] == [url]
        assert query["name"] == [name]


@given(now=INSTANTS, title=st.text(max_size=30), details=st.text(max_size=60))
def test_google_event_links_give_the_session_in_utc(now: datetime, title: str, details: str) -> None:
    session = SCHEDULE.next_session(now)
    assert session is not None
    link = google_event_link(session, title=title, details=details)
    assert link.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&text=")
    query = parse_qs(urlsplit(link).query, keep_blank_values=True)
    start = datetime.strptime(query["dates"][0].split("/")[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    end = datetime.strptime(query["dates"][0].split("/")[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert (start, end) == (session.start, session.end)
    assert query["text"] == [title]
    assert query["details"] == [details]
    assert query["location"] == [session.full_location]


@given(
    lines=st.lists(
        st.text(min_size=1, max_size=30).filter(lambda t: "\r" not in t and "\n" not in t), max_size=6
    )
)
def test_mailto_body_lists_each_line(lines: list[str]) -> None:
    link = mailto_link("admin@example.org", subject="Hola & adiós", lines=lines)
    parts = urlsplit(link)
    assert parts.scheme == "mailto" and parts.path == "admin@example.org"
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["subject"] == ["Hola & adiós"]
    assert query["body"][0] == "".join(f"{line}: \r\n" for line in lines)


def test_webcal_url_refuses_what_is_not_http() -> None:
    for bad in ("ftp://x/y.ics", "calendar.ics", "https://"):
        try:
            webcal_url(bad)
        except hmis_schedule.ScheduleError as err:
            assert err.field == "url"
        else:
            raise AssertionError(bad)
