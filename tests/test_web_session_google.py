"""``/sessions/<uid>/google``: the page's "Add to Google Calendar" link, a redirect to Google's filled-in form.

The page links each upcoming session to this short address instead of
holding Google's long link (about 1 KB a session with its description).
The redirect's target is checked field by field against the library's
words for the session (:mod:`hmis_schedule.text`) and its UTC times; an
unknown uid is the 404 page, an unsupported ``lang`` a 400 (it is a link the
app writes, not a page people type).
"""

from __future__ import annotations

from datetime import UTC
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from support import BASE, FROZEN, schedule_app, upcoming

import hmis_schedule
from hmis_schedule import text
from hmis_schedule.addresses import session_page_path

SCHEDULE = hmis_schedule.clackamas()
UTC_FORM = "%Y%m%dT%H%M%SZ"


@pytest.fixture(scope="module")
def based() -> FlaskClient:
    """A client of the app linking under :data:`support.BASE`."""
    return schedule_app().test_client()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_each_upcoming_session_redirects_to_googles_form_with_its_words(based: FlaskClient, lang: str) -> None:
    shown = [s for s in upcoming() if not s.cancelled]
    assert shown
    for session in shown:
        answer = based.get(f"/sessions/{session.uid}/google" + ("" if lang == "en" else "?lang=es"))
        assert answer.status_code == 302
        assert answer.headers["Cache-Control"] == "public, no-cache"
        target = urlsplit(answer.headers["Location"])
        assert (target.scheme, target.hostname, target.path) == ("https", "calendar.google.com", "/calendar/render")
        query = parse_qs(target.query, keep_blank_values=True)
        assert query["action"] == ["TEMPLATE"]
        assert query["text"] == [text.session_summary(session, SCHEDULE, lang)]
        start, end = session.start.astimezone(UTC), session.end.astimezone(UTC)
        assert query["dates"] == [f"{start:{UTC_FORM}}/{end:{UTC_FORM}}"]
        page = BASE + session_page_path(session.uid, lang)  # the session's own page ends the description
        assert query["details"] == [text.session_description(session, SCHEDULE, lang, page)]
        assert query["location"] == [text.session_location(session, lang)]


def test_the_page_links_the_redirect_and_holds_no_long_google_event_link(based: FlaskClient) -> None:
    html = based.get("/").get_data(as_text=True)
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    assert f'href="{BASE}/sessions/{nxt.uid}/google"' in html
    assert "calendar.google.com/calendar/render" not in html


@pytest.mark.parametrize(
    "uid",
    [
        "nope",
        "first-monday-20261207@another.example.org",  # another schedule's domain
        "first-monday-20261208@hmis-training.clackamas.us",  # not a day the slot meets
    ],
)
def test_an_unknown_session_is_the_404_page(based: FlaskClient, uid: str) -> None:
    answer = based.get(f"/sessions/{uid}/google")
    assert answer.status_code == 404
    assert answer.content_type == "text/html; charset=utf-8"
    assert "Location" not in answer.headers


def test_an_unsupported_lang_is_a_400_naming_it(based: FlaskClient) -> None:
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    answer = based.get(f"/sessions/{nxt.uid}/google?lang=fr")
    assert answer.status_code == 400
    assert "lang: " in answer.get_data(as_text=True)


def test_a_cache_revalidating_its_redirect_gets_304(based: FlaskClient) -> None:
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    first = based.get(f"/sessions/{nxt.uid}/google")
    again = based.get(f"/sessions/{nxt.uid}/google", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert "Location" not in again.headers


def test_a_range_request_still_gets_the_whole_redirect(based: FlaskClient) -> None:
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    answer = based.get(f"/sessions/{nxt.uid}/google", headers={"Range": "bytes=0-9"})
    assert answer.status_code == 302
    assert "Content-Range" not in answer.headers
    assert answer.get_data(as_text=True) == answer.headers["Location"]
