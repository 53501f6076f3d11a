"""The calendar routes (:mod:`hmis_schedule.web.feeds`): public feeds, one session's calendar and private feeds.

Oracles: the library's own rendering (``render_feed``, ``render_session``),
with ``join_url`` for a valid private link's body; for everything else,
invariants that need no oracle: the join URL never appears on a public route
under any query string, and every private link that is not valid (missing,
malformed, forged, expired, revoked, mangled by Hypothesis, or private feeds
off) gets exactly the bytes of an unknown URL. Tokens and secrets themselves
are in ``test_private.py``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, unquote_plus, urlencode

import icalendar
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import assume, given
from hypothesis import strategies as st
from support import (
    APP,
    BASE,
    FEED_URLS,
    FROZEN,
    JOIN,
    KEY,
    MARKER,
    OTHER_KEY,
    TOKEN,
    UID,
    leaks,
    private_app,
    same_as_unknown,
)

import hmis_schedule
from hmis_schedule import Modality, feed, private, state
from hmis_schedule.openapi import openapi_spec
from hmis_schedule.web.feeds import FEEDS
from hmis_schedule.window import feed_window

SCHEDULE = hmis_schedule.clackamas()
ONLINE_UID = f"first-monday-20261207@{SCHEDULE.uid_domain}"
IN_PERSON_UID = f"second-monday-20261214@{SCHEDULE.uid_domain}"
OFF = private_app(HMIS_SECRET_KEY="", HMIS_TEAMS_URL="")


# -- public feeds and one session's calendar -------------------------------------------------------


@pytest.mark.parametrize("url", FEED_URLS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_feed_is_the_library_rendering_for_today(local_client: FlaskClient, url: str, lang: str) -> None:
    response = local_client.get(f"{url}?lang={lang}")
    expected = feed.render_feed(
        SCHEDULE, feed_window(SCHEDULE, FROZEN.date()), lang=lang, filter=FEEDS[url], base_url="http://localhost"
    )
    assert response.data == expected
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert response.headers["Content-Disposition"].endswith('.ics"')


def test_feed_window_parameters_are_inclusive_dates(local_client: FlaskClient) -> None:
    response = local_client.get("/calendar.ics?from=2026-09-01&to=2026-09-14")
    expected = feed.render_feed(
        SCHEDULE,
        feed_window(SCHEDULE, FROZEN.date(), date(2026, 9, 1), date(2026, 9, 15)),
        base_url="http://localhost",
    )
    assert response.data == expected
    # 2026-09-14 (the last day asked for) is in; Labor Day (cancelled) too, with its status
    assert f"UID:{UID}".encode() in response.data
    assert b"STATUS:CANCELLED" in response.data


def test_feed_file_names_differ_by_filter_and_language(local_client: FlaskClient) -> None:
    names = {
        local_client.get(f"{url}?lang={lang}").headers["Content-Disposition"]
        for url in FEED_URLS
        for lang in ("en", "es")
    }
    assert len(names) == 6


def test_session_ics_is_the_library_rendering(local_client: FlaskClient) -> None:
    for lang in ("en", "es"):
        response = local_client.get(f"/sessions/{UID}.ics?lang={lang}")
        assert response.data == feed.render_session(SCHEDULE, UID, lang=lang, base_url="http://localhost")
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_feeds_ignore_accept_language(local_client: FlaskClient) -> None:
    plain = local_client.get("/calendar.ics")
    asked = local_client.get("/calendar.ics", headers={"Accept-Language": "es"})
    assert plain.data == asked.data


@given(uid=st.text(max_size=80))
def test_any_session_uid_gives_a_calendar_or_a_404(app: Flask, uid: str) -> None:
    response = app.test_client().get("/sessions/" + quote(uid, safe="") + ".ics")
    assert response.status_code in (200, 404)


# -- the private routes ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [("calendar.ics", "all"), ("online.ics", "online")])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_valid_link_gets_the_librarys_private_feed(name: str, kind: str, lang: str) -> None:
    response = APP.test_client().get(f"/private/{TOKEN}/{name}?lang={lang}")
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    expected = feed.render_feed(
        SCHEDULE, feed_window(SCHEDULE, FROZEN.date()), lang=lang, filter=kind, base_url=BASE, join_url=JOIN
    )
    assert response.data == expected
    assert response.data != feed.render_feed(
        SCHEDULE, feed_window(SCHEDULE, FROZEN.date()), lang=lang, filter=kind, base_url=BASE
    )


def test_online_sessions_carry_the_join_url_in_url_description_and_conference() -> None:
    body = APP.test_client().get(f"/private/{TOKEN}/calendar.ics").data
    events = icalendar.Calendar.from_ical(body).events
    window = feed_window(SCHEDULE, FROZEN.date())
    start, end = window.start, window.end
    sessions = {s.uid: s for s in SCHEDULE.sessions_between(start, end)}
    assert {str(e["UID"]) for e in events} == set(sessions)
    kinds = set()
    for event in events:
        session = sessions[str(event["UID"])]
        text = event.to_ical().replace(b"\r\n ", b"")
        if session.modality is Modality.ONLINE and not session.cancelled:
            kinds.add("online")
            assert str(event["URL"]) == JOIN
            assert JOIN in str(event["DESCRIPTION"])
            assert [str(c.uri) for c in event.conferences] == [JOIN]
        else:
            kinds.add("in person" if session.modality is Modality.IN_PERSON else "cancelled online")
            assert MARKER.encode() not in text
            assert "CONFERENCE" not in event
    assert kinds == {"online", "in person", "cancelled online"}


def test_a_private_feed_is_never_kept_by_shared_caches_nor_sends_a_referrer() -> None:
    response = APP.test_client().get(f"/private/{TOKEN}/online.ics")
    cache_control = response.headers["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control and "public" not in cache_control
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Access-Control-Allow-Origin" not in response.headers
    again = APP.test_client().get(
        f"/private/{TOKEN}/online.ics", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_the_private_routes_read_their_documented_parameters() -> None:
    client = APP.test_client()
    for path, item in openapi_spec(BASE, feed=SCHEDULE.feed)["paths"].items():
        if "{token}" not in path:
            continue
        for parameter in item["get"]["parameters"]:
            if parameter["in"] == "query":
                response = client.get(path.replace("{token}", TOKEN) + f"?{parameter['name']}=%00bad")
                assert response.status_code == 400, (path, parameter["name"])
        assert client.get(path.replace("{token}", TOKEN)).status_code == 200


def test_a_private_feed_is_the_subscription_window_whatever_the_query() -> None:
    client = APP.test_client()
    plain = client.get(f"/private/{TOKEN}/calendar.ics")
    assert client.get(f"/private/{TOKEN}/calendar.ics?from=2026-01-01&to=2031-01-01&x=1").data == plain.data
    assert client.get(f"/private/{TOKEN}/calendar.ics?lang=xx").status_code == 400


# -- every link that is not valid gets the same 404 ------------------------------------------------


def _not_valid_tokens() -> dict[str, str]:
    past = FROZEN - timedelta(days=40)
    return {
        "missing": "",
        "malformed": "not-a-token",
        "forged (other key)": private.issue_token(OTHER_KEY, "Agency X - Alice", days=30, now=FROZEN),
        "expired": private.issue_token(KEY, "Agency X - Alice", days=30, now=past),
        "not yet issued": private.issue_token(
            KEY, "Agency X - Alice", days=30, now=FROZEN + timedelta(days=1)
        ),
        "signature swapped": TOKEN.rsplit(".", 1)[0]
        + "."
        + private.issue_token(KEY, "someone else", days=30, now=FROZEN).rsplit(".", 1)[1],
        "padded": TOKEN + "=",
        "too long": TOKEN + "A" * 600,
    }


@pytest.mark.parametrize(("why", "token"), _not_valid_tokens().items())
@pytest.mark.parametrize("name", ["calendar.ics", "online.ics"])
def test_a_link_that_is_not_valid_gets_the_same_404_as_an_unknown_url(
    why: str, token: str, name: str
) -> None:
    client = APP.test_client()
    response = client.get(f"/private/{quote(token, safe='')}/{name}?lang=es")
    same_as_unknown(response, client, name)
    assert not leaks(response)
    off = OFF.test_client()
    same_as_unknown(off.get(f"/private/{TOKEN}/{name}"), client, name)


def test_a_revoked_label_gets_the_same_404_and_a_later_link_works(schedule_file: Path) -> None:
    ticks = iter(range(0, 1000, 2))
    app = private_app(str(schedule_file), MONOTONIC=lambda: float(next(ticks)))
    client = app.test_client()
    earlier = private.issue_token(KEY, "alice@agency.example.org", days=30, now=FROZEN - timedelta(days=2))
    other = private.issue_token(KEY, "bob", days=30, now=FROZEN - timedelta(days=2))
    assert client.get(f"/private/{earlier}/calendar.ics").status_code == 200
    state.revoke(state.state_path(schedule_file), "ALICE@agency.example.org", now=FROZEN - timedelta(days=1))
    for _ in range(2):  # the server sees the change, then reads it once it has settled
        client.get("/healthz")
    same_as_unknown(client.get(f"/private/{earlier}/calendar.ics"), client)
    assert client.get(f"/private/{other}/calendar.ics").status_code == 200
    later = private.issue_token(KEY, "alice@agency.example.org", days=30, now=FROZEN)
    assert client.get(f"/private/{later}/calendar.ics").status_code == 200


URL_SAFE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", max_size=80)


@st.composite
def mangled(draw: st.DrawFn) -> str:
    """The valid token changed: a character replaced, inserted or removed, cut, extended, or random text."""
    how = draw(st.sampled_from(["replace", "insert", "delete", "cut", "extend", "random", "case"]))
    token = TOKEN
    if how == "random":
        return draw(st.one_of(URL_SAFE, st.text(max_size=80)))
    if how == "cut":
        return token[: draw(st.integers(0, len(token) - 1))]
    if how == "extend":
        return token + draw(st.text(min_size=1, max_size=20))
    if how == "case":
        return token.swapcase()
    i = draw(st.integers(0, len(token) - 1))
    char = draw(st.characters(codec="utf-8"))
    if how == "replace":
        return token[:i] + char + token[i + 1 :]
    if how == "insert":
        return token[:i] + char + token[i:]
    return token[:i] + token[i + 1 :]


@given(token=mangled(), name=st.sampled_from(["calendar.ics", "online.ics"]))
def test_any_mangled_link_gets_the_same_404_as_an_unknown_url(token: str, name: str) -> None:
    assume(token != TOKEN)
    client = APP.test_client()
    response = client.get(f"/private/{quote(token, safe='')}/{name}")
    same_as_unknown(response, client, name)
    assert not leaks(response)


# -- no public route holds the join URL ------------------------------------------------------------


def _public_urls() -> list[str]:
    urls = []
    for rule in APP.url_map.iter_rules():
        path = rule.rule
        if path.startswith("/private/") or rule.endpoint == "static":
            continue
        urls.append(path.replace("<uid>", ONLINE_UID))
    urls += [
        f"/sessions/{IN_PERSON_UID}.ics",
        "/nope",
        "/nope.ics",
        "/api/nope.json",
        "/private/",
        "/private",
    ]
    return urls


PUBLIC_URLS = _public_urls()
NAMES = ["lang", "from", "to", "modality", "status", "after", "token", "join", "private", "x"]
VALUES = st.one_of(
    st.sampled_from(["en", "es", "online", "in_person", "scheduled", "cancelled", "2026-12-07", "2027-01-31",
                     "2026-12-07T08:00:00-08:00", "1", "true", TOKEN, KEY]),
    st.text(max_size=20),
)  # fmt: skip


def test_every_public_route_is_checked() -> None:
    assert {"/", "/embed", "/calendar.ics", "/calendar/online.ics", "/openapi.json", "/healthz"} <= set(
        PUBLIC_URLS
    )
    assert f"/sessions/{ONLINE_UID}.ics" in PUBLIC_URLS and "/api/sessions.json" in PUBLIC_URLS


@pytest.mark.parametrize("url", PUBLIC_URLS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_public_route_holds_the_join_url(url: str, lang: str) -> None:
    client = APP.test_client()
    response = client.get(f"{url}?lang={lang}", headers={"Accept-Language": lang})
    assert response.status_code in (200, 302, 404)  # 302: a session's redirect to Google Calendar
    assert not leaks(response)
    assert JOIN not in unquote_plus(response.headers.get("Location", ""))  # the redirect's fields, decoded
    assert not leaks(client.get(url))


@given(
    url=st.sampled_from(PUBLIC_URLS),
    query=st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=5),
    accept=st.sampled_from(["", "es", "en-US,en;q=0.5", "*"]),
)
def test_no_query_string_brings_the_join_url_to_a_public_route(
    url: str, query: list[tuple[str, str]], accept: str
) -> None:
    response = APP.test_client().get(url + "?" + urlencode(query), headers={"Accept-Language": accept})
    assert response.status_code < 500
    assert not leaks(response)
