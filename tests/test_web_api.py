"""The JSON routes (:mod:`hmis_schedule.web.api`): the answers are the library's and the OpenAPI description is true.

Every route and query parameter is described, every JSON answer matches its
schema, and Hypothesis throws query strings at the feed and API routes: no
answer is a 5xx, and every 400 names a parameter that was in the query. The
description itself is checked in ``test_openapi.py``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from support import BASE, FROZEN, SPEC, ZONE

import hmis_schedule
from hmis_schedule.feed import render_session
from hmis_schedule.record import session_record
from hmis_schedule.window import feed_window
from hmis_schedule.zones import tzdata_version

SCHEDULE = hmis_schedule.clackamas()


def schema_validator(name: str) -> jsonschema.Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{name}", "components": SPEC["components"]}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def check(name: str, data: object) -> None:
    schema_validator(name).validate(data)


# -- the description is true -----------------------------------------------------------------------


def test_the_served_spec_is_the_spec(client: FlaskClient) -> None:
    assert client.get("/openapi.json").json == SPEC


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_route_is_in_the_spec_and_every_spec_path_is_a_route(app: Flask) -> None:
    routes = {
        _flask_to_openapi(rule.rule): rule.methods - {"HEAD", "OPTIONS"}
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    paths = {path: {m.upper() for m in item} for path, item in SPEC["paths"].items()}
    assert routes == paths


def test_every_parameter_in_the_spec_is_one_the_route_reads(client: FlaskClient) -> None:
    for path, item in SPEC["paths"].items():
        for parameter in item["get"].get("parameters", []):
            if parameter["in"] != "query" or "{token}" in path:
                continue  # private feeds need a valid token: tests/test_web_feeds.py checks them
            url = path.replace("{uid}", f"first-monday-20261207@{SCHEDULE.uid_domain}")
            response = client.get(f"{url}?{parameter['name']}=%00bad")
            if "text/html" in item["get"]["responses"].get("200", {}).get("content", {}):
                # a page never refuses a language: it falls back to the negotiated one (English here)
                assert parameter["name"] == "lang", path
                assert (response.status_code, response.content_language.to_header()) == (200, "en"), path
                continue
            assert response.status_code == 400, (path, parameter["name"])


@pytest.mark.parametrize(
    ("url", "schema"),
    [
        ("/api/sessions.json", "SessionList"),
        ("/api/sessions.json?lang=es&modality=in_person", "SessionList"),
        ("/api/sessions.json?from=2026-09-01&to=2026-09-30&status=cancelled", "SessionList"),
        ("/api/next.json", "Next"),
        ("/api/next.json?modality=in_person&lang=es", "Next"),
        ("/api/next.json?after=2199-12-31T00:00:00Z", "Next"),
        ("/healthz", "Health"),
        ("/api/sessions.json?lang=xx", "Error"),
        ("/api/next.json?after=yesterday", "Error"),
        ("/api/nope.json", "Error"),
    ],
)
def test_json_answers_match_the_spec(client: FlaskClient, url: str, schema: str) -> None:
    response = client.get(url)
    check(schema, response.json)
    path = url.split("?")[0]
    documented = SPEC["paths"].get(path, {}).get("get", {}).get("responses", {})
    if documented:
        assert str(response.status_code) in documented


# -- the answers are the library's -----------------------------------------------------------------


def test_healthz_reports_the_schedule_version(local_client: FlaskClient) -> None:
    response = local_client.get("/healthz")
    assert response.json == {"status": "ok", "version": SCHEDULE.version, "tzdata": tzdata_version()}
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("modality", [None, "online", "in_person"])
@pytest.mark.parametrize("status", [None, "scheduled", "cancelled"])
def test_sessions_json_is_the_librarys_sessions(
    client: FlaskClient, modality: str | None, status: str | None
) -> None:
    query = {
        k: v
        for k, v in {"modality": modality, "status": status, "from": "2026-01-01", "to": "2027-12-31"}.items()
        if v
    }
    data = client.get("/api/sessions.json?" + urlencode(query)).json
    sessions = SCHEDULE.sessions_between(date(2026, 1, 1), date(2028, 1, 1), modality=modality)
    if status:
        sessions = [s for s in sessions if s.status == status]
    assert data["sessions"] == [session_record(s, SCHEDULE, base_url=BASE) for s in sessions]
    assert data["window"] == {"start": "2026-01-01", "end": "2028-01-01"}
    if modality != "in_person":  # holidays fall on online Mondays in these years
        assert any(s["status"] == "cancelled" for s in data["sessions"]) == (status != "scheduled")


def test_sessions_json_default_window_is_the_feeds(client: FlaskClient) -> None:
    data = client.get("/api/sessions.json").json
    window = feed_window(SCHEDULE, FROZEN.date())
    start, end = window.start, window.end
    assert data["window"] == {"start": start.isoformat(), "end": end.isoformat()}
    assert [s["uid"] for s in data["sessions"]] == [s.uid for s in SCHEDULE.sessions_between(start, end)]
    assert data["version"] == SCHEDULE.version
    assert data["schedule"] == SCHEDULE.id


def test_sessions_json_in_spanish(client: FlaskClient) -> None:
    data = client.get("/api/sessions.json?lang=es&from=2026-09-07&to=2026-09-07").json
    (record,) = data["sessions"]
    session = SCHEDULE.sessions_between(date(2026, 9, 7), date(2026, 9, 8))[0]
    assert record == session_record(session, SCHEDULE, base_url=BASE, lang="es")
    assert data["name"] == SCHEDULE.name.get("es")


@pytest.mark.parametrize("modality", [None, "online", "in_person"])
@pytest.mark.parametrize("after", [None, "2026-09-07T08:00:00-07:00", "2027-01-18T00:00:00Z"])
def test_next_json_is_the_librarys_next_session(
    client: FlaskClient, modality: str | None, after: str | None
) -> None:
    query = {k: v for k, v in {"modality": modality, "after": after}.items() if v}
    data = client.get("/api/next.json?" + urlencode(query)).json
    moment = datetime.fromisoformat(after) if after else FROZEN
    expected = SCHEDULE.next_session(moment, modality=modality)
    assert expected is not None
    assert data["session"] == session_record(expected, SCHEDULE, base_url=BASE)
    assert datetime.fromisoformat(data["after"]) == moment


@pytest.mark.parametrize("lang", ["en", "es"])
def test_ics_urls_in_json_answer(client: FlaskClient, lang: str) -> None:
    data = client.get(f"/api/sessions.json?from=2026-12-01&to=2026-12-31&lang={lang}").json
    for record in data["sessions"]:
        response = client.get(record["ics_url"][len(BASE) :])
        assert response.status_code == 200
        # the session's calendar, in the language of the answer that links it
        assert response.data == render_session(SCHEDULE, record["uid"], lang=lang, base_url=BASE)


# -- Hypothesis: no query string makes a 5xx -------------------------------------------------------


NAMES = ["lang", "from", "to", "modality", "status", "after"]
VALUES = st.one_of(
    st.sampled_from(["en", "es", "online", "in_person", "scheduled", "cancelled", "", "ES", "in-person"]),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.datetimes(timezones=st.sampled_from([ZoneInfo("UTC"), ZONE, ZoneInfo("Pacific/Kiritimati")])).map(
        datetime.isoformat
    ),
    st.integers().map(str),
    st.text(max_size=30),
    st.text(alphabet="0123456789-:TZ+", max_size=30),
)
QUERIES = st.lists(st.tuples(st.sampled_from([*NAMES, "x", "utm_source"]), VALUES), max_size=5)
ROUTES = st.sampled_from(
    [
        "/calendar.ics",
        "/calendar/online.ics",
        "/calendar/in-person.ics",
        f"/sessions/first-monday-20261207@{SCHEDULE.uid_domain}.ics",
        "/api/sessions.json",
        "/api/next.json",
        "/",
        "/embed",
    ]
)


@given(route=ROUTES, query=QUERIES)
def test_no_query_string_gives_a_server_error(app: Flask, route: str, query: list[tuple[str, str]]) -> None:
    response = app.test_client().get(route + "?" + urlencode(query))
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:500]
    given_names = {name for name, _ in query}
    if response.status_code == 400:
        body = response.get_data(as_text=True)
        if route.startswith("/api/"):
            named = response.json["error"]["parameter"]
            check("Error", response.json)
        else:
            match = re.search(r"\b(" + "|".join(NAMES) + r"): ", body)
            assert match, body
            named = match[1]
        assert named in given_names
    elif route.startswith("/api/sessions"):
        check("SessionList", response.json)
    elif route.startswith("/api/next"):
        check("Next", response.json)


@given(
    days=st.integers(min_value=0, max_value=365 * 5 + 1), start=st.dates(date(2020, 1, 1), date(2030, 12, 31))
)
def test_windows_up_to_the_limit_are_served_and_longer_ones_refused(app: Flask, days: int, start: date) -> None:
    end = start + timedelta(days=days)
    response = app.test_client().get(f"/api/sessions.json?from={start}&to={end}")
    try:
        window = feed_window(SCHEDULE, FROZEN.date(), start, end + timedelta(days=1))
        first, last = window.start, window.end
    except hmis_schedule.WindowError:
        assert response.status_code == 400
        assert response.json["error"]["parameter"] == "to"
        return
    assert response.status_code == 200
    data: dict[str, Any] = response.json
    assert data["window"] == {"start": first.isoformat(), "end": last.isoformat()}
