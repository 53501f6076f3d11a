"""The links the page offers: :mod:`hmis_schedule.links` (subscribe, add one session, e-mail, webcal).

Hypothesis checks that each link carries exactly what it was given, read back
with the standard library's URL parser.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

from hypothesis import given
from hypothesis import strategies as st
from support import INSTANTS

import hmis_schedule
from hmis_schedule.links import google_event_link, mailto_link, subscribe_links, webcal_url

SCHEDULE = hmis_schedule.clackamas()
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
