"""Private feeds: secrets, signed links, revocation, the private routes, and that the join URL stays private.

Oracles: the library's own rendering with ``join_url`` (``render_feed``) for a
valid link's body; for everything else, invariants that need no oracle: the
join URL never appears on a public route under any query string, and every
link that is not valid (missing, malformed, forged, expired, revoked, mangled
by Hypothesis, or private feeds off) gets exactly the bytes of an unknown URL.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import icalendar
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import assume, given
from hypothesis import strategies as st
from support import BASE, FROZEN

import hmis_schedule
from hmis_schedule import Modality, feed, private, state, web
from hmis_schedule.cli import cli
from hmis_schedule.files import builtin_text
from hmis_schedule.openapi import openapi_spec
from hmis_schedule.redact import RedactFilter, guard, redact
from hmis_schedule.web import gunicorn_config

ROOT = Path(__file__).resolve().parent.parent
SCHEDULE = hmis_schedule.clackamas()
KEY = "test-only-secret-key-0123456789-abcdefghij"
OTHER_KEY = "another-secret-key-0123456789-abcdefghijk"
MARKER = "SECRETMEETINGID42"
JOIN = (
    "https://teams.microsoft.com/l/meetup-join/19%3ameeting_"
    + MARKER
    + "%40thread.v2/0?context=%7b%22Tid%22%3a%22abc%22%7d"
)
ONLINE_UID = f"first-monday-20261207@{SCHEDULE.uid_domain}"
IN_PERSON_UID = f"second-monday-20261214@{SCHEDULE.uid_domain}"


def make_app(schedule: object = SCHEDULE, **config: object) -> Flask:
    settings: dict[str, object] = {
        "NOW": lambda: FROZEN,
        "HMIS_BASE_URL": BASE,
        "HMIS_SCHEDULE": schedule,
        "HMIS_SECRET_KEY": KEY,
        "HMIS_TEAMS_URL": JOIN,
        "HMIS_SECRETS_FILE": "",
        "HMIS_STATE_FILE": "",
    }
    settings.update(config)
    return web.create_app(settings)


APP = make_app()
OFF = make_app(HMIS_SECRET_KEY="", HMIS_TEAMS_URL="")
TOKEN = private.issue_token(KEY, "Agency X - Alice", days=30, now=FROZEN - timedelta(days=1))


def leaks(response: Any) -> bool:
    """Whether the join URL (or its distinctive part) is anywhere in the response."""
    body = response.get_data().replace(b"\r\n ", b"").lower()
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
    needles = [MARKER.lower(), JOIN.lower()]
    return any(n.encode() in body or n in headers for n in needles)


def unknown(client: FlaskClient, token: str = "x", name: str = "calendar.ics") -> Any:
    """What a URL of the same shape that no route serves gets."""
    return client.get(f"/private/{quote(token, safe='')}/{name.replace('.ics', '-nothing.ics')}")


def same_as_unknown(response: Any, client: FlaskClient, name: str = "calendar.ics") -> None:
    other = unknown(client, name=name)
    assert response.status_code == other.status_code == 404
    assert response.get_data() == other.get_data()
    assert dict(response.headers) == dict(other.headers)


# -- tokens --------------------------------------------------------------------------------


def test_a_token_carries_its_label_issue_time_and_expiry() -> None:
    issued = datetime(2026, 12, 1, 17, 30, 12, 999, tzinfo=UTC)
    token = private.issue_token(KEY, "  alice@agency.example.org ", days=90, now=issued)
    grant = private.read_token(KEY, token, now=issued + timedelta(days=89))
    assert grant is not None
    assert grant.label == "alice@agency.example.org"
    assert grant.issued == issued.replace(microsecond=0)
    assert grant.expires == grant.issued + timedelta(days=90)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token)


@pytest.mark.parametrize(
    ("age", "valid"),
    [
        (timedelta(minutes=-10), False),  # issued in the future (beyond clock skew)
        (timedelta(0), True),
        (timedelta(days=30) - timedelta(seconds=1), True),
        (timedelta(days=30), False),
        (timedelta(days=400), False),
    ],
)
def test_a_token_works_from_its_issue_time_until_it_expires(age: timedelta, valid: bool) -> None:
    issued = datetime(2026, 12, 1, tzinfo=UTC)
    token = private.issue_token(KEY, "bob", days=30, now=issued)
    assert (private.read_token(KEY, token, now=issued + age) is not None) is valid


def test_a_token_signed_with_another_key_is_not_valid() -> None:
    token = private.issue_token(OTHER_KEY, "bob", days=30, now=FROZEN)
    assert private.read_token(KEY, token, now=FROZEN) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": "a\nb"}, "label"),
        ({"label": "x" * 101}, "label"),
        ({"days": 0}, "days"),
        ({"days": private.MAX_DAYS + 1}, "days"),
        ({"now": datetime(2026, 12, 1)}, "now"),
        ({"secret_key": "short"}, "secret_key"),
    ],
)
def test_issuing_refuses_bad_input_naming_the_field(kwargs: dict[str, Any], field: str) -> None:
    args: dict[str, Any] = {"secret_key": KEY, "label": "alice", "days": 30, "now": FROZEN} | kwargs
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        private.issue_token(args.pop("secret_key"), args.pop("label"), **args)
    assert caught.value.field == field


# -- secrets --------------------------------------------------------------------------------


def test_secrets_come_from_the_environment_or_the_secrets_file(tmp_path: Path) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text(f'secret_key = "{OTHER_KEY}"\nteams_url = "{JOIN}"\n', encoding="utf-8")
    from_file = private.load_secrets({"HMIS_SECRETS_FILE": str(file)})
    assert (from_file.secret_key, from_file.teams_url) == (OTHER_KEY, JOIN)
    both = private.load_secrets({"HMIS_SECRETS_FILE": str(file), "HMIS_SECRET_KEY": KEY})
    assert (both.secret_key, both.teams_url) == (KEY, JOIN)  # a variable that is set wins
    assert private.load_secrets({}).private_feeds is False
    assert KEY not in repr(both) and JOIN not in repr(both) and MARKER not in repr(both)


@pytest.mark.parametrize(
    "url",
    [
        "http://teams.microsoft.com/l/meetup-join/" + MARKER,
        "https:///" + MARKER,
        "teams.microsoft.com/" + MARKER,
        "https://user:pw@teams.microsoft.com/" + MARKER,
        "https://teams.microsoft.com/" + MARKER + " x",
        'https://teams.microsoft.com/"' + MARKER,
        "javascript:alert('" + MARKER + "')",
    ],
)
def test_a_bad_join_url_is_refused_without_showing_it(url: str, tmp_path: Path) -> None:
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        private.load_secrets({"HMIS_TEAMS_URL": url})
    assert caught.value.field == "HMIS_TEAMS_URL" and MARKER not in str(caught.value)
    file = tmp_path / "secrets.toml"
    file.write_text(f"teams_url = {json.dumps(url)}\n", encoding="utf-8")
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        private.load_secrets({"HMIS_SECRETS_FILE": str(file)})
    assert caught.value.field == "teams_url" and str(file) in str(caught.value)
    assert MARKER not in str(caught.value)
    with pytest.raises(web.ConfigError) as config:
        make_app(HMIS_TEAMS_URL=url)
    assert str(config.value).startswith("HMIS_TEAMS_URL: ") and MARKER not in str(config.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('secret_key = "pw-XYZ"\n', "secret_key"),
        ('teams_url = "https://x.example.org/"\nwebhook = "y"\n', "webhook"),
        ("teams_url = 5\n", "teams_url"),
        (f'secret_key = "{MARKER}\n', ""),  # not TOML: the message must not quote the line
    ],
)
def test_a_bad_secrets_file_names_the_file_and_setting(tmp_path: Path, text: str, field: str) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(web.ConfigError) as caught:
        make_app(HMIS_SECRET_KEY="", HMIS_TEAMS_URL="", HMIS_SECRETS_FILE=str(file))
    message = str(caught.value)
    assert message.startswith(f"HMIS_SECRETS_FILE: {file}: {field}")
    assert "pw-XYZ" not in message and MARKER not in message and "\n" not in message


def test_without_the_key_private_feeds_are_off_and_the_app_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="hmis_schedule"):
        app = make_app(HMIS_SECRET_KEY="")
        client = app.test_client()
        for _ in range(3):
            same_as_unknown(client.get(f"/private/{TOKEN}/calendar.ics"), client)
    notes = [r.getMessage() for r in caplog.records if "private feeds are off" in r.getMessage()]
    assert notes == ["private feeds are off (HMIS_SECRET_KEY not set): private links answer 404"]


# -- the private routes -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [("calendar.ics", "all"), ("online.ics", "online")])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_valid_link_gets_the_librarys_private_feed(name: str, kind: str, lang: str) -> None:
    response = APP.test_client().get(f"/private/{TOKEN}/{name}?lang={lang}")
    assert response.status_code == 200
    assert response.content_type == "text/calendar; charset=utf-8"
    expected = feed.render_feed(
        SCHEDULE, feed.feed_window(SCHEDULE, FROZEN.date()), lang=lang, filter=kind, base_url=BASE, join_url=JOIN
    )
    assert response.data == expected
    assert response.data != feed.render_feed(
        SCHEDULE, feed.feed_window(SCHEDULE, FROZEN.date()), lang=lang, filter=kind, base_url=BASE
    )


def test_online_sessions_carry_the_join_url_in_url_description_and_conference() -> None:
    body = APP.test_client().get(f"/private/{TOKEN}/calendar.ics").data
    events = icalendar.Calendar.from_ical(body).events
    window = feed.feed_window(SCHEDULE, FROZEN.date())
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


# -- every link that is not valid gets the same 404 ---------------------------------------------


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
    app = make_app(str(schedule_file), MONOTONIC=lambda: float(next(ticks)))
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


def _join_urls(body: bytes) -> set[str]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(e["URL"]) for e in calendar.walk("VEVENT") if "CONFERENCE" in e}


def test_a_new_join_url_in_the_secrets_file_is_served_without_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    new_join = JOIN.replace(MARKER, "NEWMEETING77")
    file = tmp_path / "secrets.toml"
    file.write_text(f'secret_key = "{KEY}"\nteams_url = "{JOIN}"\n', encoding="utf-8")
    ticks = iter(range(0, 1000, 2))
    app = make_app(
        HMIS_SECRET_KEY="", HMIS_TEAMS_URL="", HMIS_SECRETS_FILE=str(file), MONOTONIC=lambda: float(next(ticks))
    )
    client = app.test_client()
    url = f"/private/{TOKEN}/calendar.ics"
    assert _join_urls(client.get(url).get_data()) == {JOIN}

    def settle() -> None:  # the server sees the change, then reads it once it has settled
        for _ in range(2):
            client.get("/healthz")

    file.write_text(f'secret_key = "{KEY}"\nteams_url = "{new_join}"\n', encoding="utf-8")
    settle()
    assert _join_urls(client.get(url).get_data()) == {new_join}
    assert client.get("/healthz").get_json()["status"] == "ok"

    with caplog.at_level(logging.INFO, logger="hmis_schedule"):
        file.write_text(f'secret_key = "{KEY}"\nteams_url = "http://{MARKER}"\n', encoding="utf-8")
        settle()
        response = client.get(url)
        health = client.get("/healthz").get_json()
    assert _join_urls(response.get_data()) == {new_join}  # the last good secrets stay in service
    assert health == {"status": "degraded", "version": SCHEDULE.version}
    assert f"{file}: teams_url: expected an https URL" in caplog.text  # the reason is logged, not shown
    assert MARKER not in json.dumps(health) and MARKER not in caplog.text and KEY not in caplog.text

    file.write_text(f'secret_key = "{OTHER_KEY}"\nteams_url = "{JOIN}"\n', encoding="utf-8")
    settle()
    assert client.get("/healthz").get_json()["status"] == "ok"
    same_as_unknown(client.get(url), client)  # a new key turns off every link made with the old one
    fresh = private.issue_token(OTHER_KEY, "Agency X - Alice", days=30, now=FROZEN)
    assert _join_urls(client.get(f"/private/{fresh}/calendar.ics").get_data()) == {JOIN}


def test_a_secrets_file_that_loses_a_secret_is_refused_while_serving(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    file = tmp_path / "secrets.toml"
    file.write_text(f'teams_url = "{JOIN}"\n', encoding="utf-8")
    ticks = iter(range(0, 1000, 2))
    app = make_app(HMIS_TEAMS_URL="", HMIS_SECRETS_FILE=str(file), MONOTONIC=lambda: float(next(ticks)))
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="hmis_schedule"):
        file.write_text("# being edited\n", encoding="utf-8")
        for _ in range(2):
            client.get("/healthz")
        health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and "error" not in health
    assert f"{file}: teams_url: is required (or set HMIS_TEAMS_URL)" in caplog.text
    assert _join_urls(client.get(f"/private/{TOKEN}/calendar.ics").get_data()) == {JOIN}


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


# -- no public route holds the join URL -----------------------------------------------------------


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
    assert response.status_code in (200, 404)
    assert not leaks(response)
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


def test_the_join_url_and_key_are_not_in_the_apps_config() -> None:
    assert JOIN not in repr(dict(APP.config)) and KEY not in repr(dict(APP.config))
    assert MARKER not in repr(APP.extensions["hmis_private"])


# -- logs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f'127.0.0.1 - - "GET /private/{TOKEN}/calendar.ics?lang=es HTTP/1.1" 200 1234 "-" "Outlook"',
        f"Error handling request /private/{TOKEN}/online.ics",
        f"GET /PRIVATE%2f{TOKEN}%2Fcalendar.ics",
        f'"https://hmis.example.org/private/{TOKEN}/calendar.ics"',
    ],
)
def test_redact_takes_the_token_out_of_a_log_line(line: str) -> None:
    clean = redact(line)
    assert TOKEN not in clean and TOKEN.split(".")[0] not in clean
    assert "[redacted]" in clean


def test_an_unexpected_error_on_a_private_feed_is_logged_without_the_token(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(feed, "render_feed", broken)
    response = make_app().test_client().get(f"/private/{TOKEN}/calendar.ics")
    assert response.status_code == 500
    assert "boom" in caplog.text and "/private/[redacted]" in caplog.text
    assert TOKEN not in caplog.text


def test_a_guarded_logger_redacts_messages_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("hmis_schedule.test_redact")
    guard(logger)
    with caplog.at_level(logging.INFO, logger="hmis_schedule.test_redact"):
        logger.info("GET %s", f"/private/{TOKEN}/calendar.ics")
        try:
            raise ValueError(f"/private/{TOKEN}/x")
        except ValueError:
            logger.exception("failed")
    assert TOKEN not in caplog.text and caplog.text.count("[redacted]") >= 2
    assert any(isinstance(f, RedactFilter) for f in logger.filters)


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A clean environment: the schedule file in tmp_path, the key set, the clock pinned."""
    for name in list(os.environ):
        if name.startswith("HMIS_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(hmis_schedule.clock, "now", lambda zone: FROZEN.astimezone(zone))
    schedule_file = tmp_path / "my-schedule.toml"
    schedule_file.write_text(builtin_text(), encoding="utf-8")
    return {"HMIS_SECRET_KEY": KEY, "HMIS_TEAMS_URL": JOIN, "HMIS_SCHEDULE": str(schedule_file)}


def run(*args: str, env: dict[str, str]) -> Result:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def _token_of(url: str) -> str:
    parts = urlsplit(url)
    match = re.fullmatch(r"/private/([^/]+)/(calendar|online)\.ics", parts.path)
    assert match, url
    return match[1]


@pytest.mark.parametrize(
    ("options", "path", "query"),
    [
        ([], "calendar.ics", ""),
        (["--online"], "online.ics", ""),
        (["--lang", "es"], "calendar.ics", "lang=es"),
    ],
)
def test_private_link_prints_a_working_link(
    env: dict[str, str], options: list[str], path: str, query: str
) -> None:
    result = run("private-link", "--label", "Agency X - Alice", "--expires", "90", "--base-url", BASE, *options,
                 env=env)  # fmt: skip
    assert result.exit_code == 0
    url = result.stdout.strip()
    assert "\n" not in url and url.startswith(f"{BASE}/private/")
    assert urlsplit(url).path.endswith(path) and urlsplit(url).query == query
    grant = private.read_token(KEY, _token_of(url), now=FROZEN)
    assert grant is not None and grant.label == "Agency X - Alice"
    assert grant.expires == FROZEN.astimezone(UTC).replace(microsecond=0) + timedelta(days=90)
    assert "hmis-schedule revoke 'Agency X - Alice'" in result.stderr
    served = APP.test_client().get(url.removeprefix(BASE))
    assert served.status_code == 200 and MARKER.encode() in served.data.replace(b"\r\n ", b"")


def test_private_link_takes_the_base_url_from_the_environment(env: dict[str, str]) -> None:
    result = run("private-link", "--label", "bob", env={**env, "HMIS_BASE_URL": "https://x.example.org/"})
    assert result.exit_code == 0 and result.stdout.startswith("https://x.example.org/private/")


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--label", "bob"], 2, "--base-url"),
        (["--label", "bob", "--base-url", "x.example.org"], 2, "'--base-url'"),
        (["--label", "bob", "--base-url", BASE, "--expires", "0"], 2, "'--expires'"),
        (["--label", " ", "--base-url", BASE], 1, "label: must not be empty"),
        (["--base-url", BASE], 2, "--label"),
    ],
)
def test_private_link_usage_errors(env: dict[str, str], args: list[str], code: int, says: str) -> None:
    result = run("private-link", *args, env=env)
    assert result.exit_code == code and says in result.output
    assert "/private/" not in result.stdout


def test_private_link_needs_the_key_and_notes_a_missing_join_url(env: dict[str, str]) -> None:
    result = run("private-link", "--label", "bob", "--base-url", BASE, env={**env, "HMIS_SECRET_KEY": ""})
    assert result.exit_code == 1 and "HMIS_SECRET_KEY" in result.output and "/private/" not in result.output
    noted = run("private-link", "--label", "bob", "--base-url", BASE, env={**env, "HMIS_TEAMS_URL": ""})
    assert noted.exit_code == 0 and "HMIS_TEAMS_URL is not set" in noted.stderr
    bad = run(
        "private-link",
        "--label",
        "bob",
        "--base-url",
        BASE,
        env={**env, "HMIS_TEAMS_URL": "http://x/" + MARKER},
    )
    assert bad.exit_code == 1 and "HMIS_TEAMS_URL" in bad.output and MARKER not in bad.output


def test_revoke_writes_the_state_file_beside_the_schedule(env: dict[str, str]) -> None:
    schedule_file = Path(env["HMIS_SCHEDULE"])
    target = schedule_file.with_name("my-schedule.state.toml")
    result = run("revoke", "Agency X - Alice", env=env)
    assert result.exit_code == 0 and str(target) in result.stdout
    first = state.load_state(target)
    assert [(r.label, r.at) for r in first.revoked] == [("Agency X - Alice", FROZEN.astimezone(UTC))]
    text = target.read_text(encoding="utf-8").replace("[[revoked]]", "# the admin's note\n[[revoked]]", 1)
    target.write_text(text, encoding="utf-8")
    assert run("revoke", "agency x - alice", env=env).exit_code == 0  # again: the same entry, case ignored
    assert run("revoke", "bob", "--file", str(schedule_file), env={**env, "HMIS_SCHEDULE": ""}).exit_code == 0
    again = state.load_state(target)
    assert [r.label for r in again.revoked] == ["Agency X - Alice", "bob"]
    assert "# the admin's note" in target.read_text(encoding="utf-8")
    assert target.with_name(target.name + ".bak").exists()


def test_revoke_uses_hmis_state_file_and_needs_a_place(env: dict[str, str], tmp_path: Path) -> None:
    elsewhere = tmp_path / "revoked.toml"
    assert run("revoke", "bob", env={**env, "HMIS_STATE_FILE": str(elsewhere)}).exit_code == 0
    assert [r.label for r in state.load_state(elsewhere).revoked] == ["bob"]
    nowhere = run("revoke", "bob", env={**env, "HMIS_SCHEDULE": ""})
    assert nowhere.exit_code == 2 and "HMIS_STATE_FILE" in nowhere.output


def test_revoke_refuses_a_broken_state_file_and_leaves_it(env: dict[str, str]) -> None:
    target = state.state_path(env["HMIS_SCHEDULE"])
    target.write_text("[[revoked]]\nlabel = 5\n", encoding="utf-8")
    before = target.read_bytes()
    result = run("revoke", "bob", env=env)
    assert result.exit_code == 1 and "revoked[0].label" in result.output
    assert target.read_bytes() == before
    assert run("revoke", "a\tb", env=env).exit_code == 1


@pytest.mark.parametrize("command", ["private-link", "revoke"])
def test_the_new_commands_explain_themselves(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_private_link_and_revoke_as_a_real_program(env: dict[str, str]) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("HMIS_")} | env

    def program(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hmis_schedule.cli", *args],
            capture_output=True, text=True, timeout=60, env=environment, check=False, cwd=ROOT,
        )  # fmt: skip

    made = program("private-link", "--label", "carol", "--base-url", BASE)
    assert made.returncode == 0, made.stderr
    grant = private.read_token(KEY, _token_of(made.stdout.strip()), now=datetime.now(UTC))
    assert grant is not None and grant.label == "carol"
    done = program("revoke", "carol")
    assert done.returncode == 0, done.stderr
    assert state.load_state(state.state_path(env["HMIS_SCHEDULE"])).is_revoked(grant)
    refused = program("private-link", "--label", "carol")
    assert refused.returncode == 2 and "Traceback" not in refused.stderr and refused.stdout == ""


# -- the state file ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("revoked = 1", "revoked"),
        ("[[revoked]]\nat = 2026-12-01T00:00:00Z", "revoked[0].label"),
        ('[[revoked]]\nlabel = "a"\nat = 2026-12-01', "revoked[0].at"),
        ('[[revoked]]\nlabel = "a"\nat = 2026-12-01T00:00:00', "revoked[0].at"),
        ('[[revoked]]\nlabel = "a"\nat = 2026-12-01T00:00:00Z\nwhy = "x"', "revoked[0].why"),
        ('other = "x"', "other"),
    ],
)
def test_a_bad_state_file_names_the_field(text: str, field: str) -> None:
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        state.from_state_toml(text, source="s.toml")
    assert caught.value.field == field


def test_the_state_file_is_named_after_the_schedule_with_links_resolved(tmp_path: Path) -> None:
    real = tmp_path / "v2.toml"
    real.write_text("", encoding="utf-8")
    link = tmp_path / "current.toml"
    link.symlink_to(real)
    assert state.state_path(link) == tmp_path / "v2.state.toml"
    assert state.state_path(tmp_path / "plain") == tmp_path / "plain.state.toml"


def test_a_revocation_covers_links_issued_up_to_its_time_only() -> None:
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    revoked = state.State(revoked=(state.Revocation(label="Alice", at=at),))

    def grant(label: str, issued: datetime) -> private.Grant:
        return private.Grant(label=label, issued=issued, expires=issued + timedelta(days=1))

    assert revoked.is_revoked(grant("alice", at))
    assert revoked.is_revoked(grant("ALICE", at - timedelta(days=9)))
    assert not revoked.is_revoked(grant("alice", at + timedelta(seconds=1)))
    assert not revoked.is_revoked(grant("alice2", at - timedelta(days=1)))


def test_the_feed_refuses_a_join_url_that_is_not_https() -> None:
    with pytest.raises(hmis_schedule.ScheduleError) as caught:
        feed.render_feed(
            SCHEDULE, feed.feed_window(SCHEDULE, date(2026, 12, 1)), join_url="http://teams.example.org/x"
        )
    assert caught.value.field == "join_url"


# -- serving: the gunicorn configuration ----------------------------------------------------------


def test_serve_and_make_serve_use_the_redacting_gunicorn_config(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []

    def fake_exec(file: str, args: list[str], environment: dict[str, str]) -> None:
        calls.append(list(args))
        raise SystemExit(0)

    monkeypatch.setattr(hmis_schedule.cli.os, "execvpe", fake_exec)
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 0 and len(calls) == 1
    config = calls[0][calls[0].index("--config") + 1]
    assert config == "python:hmis_schedule.web.gunicorn_config"
    assert gunicorn_config.logger_class is gunicorn_config.RedactingLogger
    serve_target = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "--config python:hmis_schedule.web.gunicorn_config" in serve_target


def test_serve_refuses_bad_secrets_before_starting(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(hmis_schedule.cli.os, "execvpe", lambda *args: calls.append(args))
    result = run("serve", env={**env, "HMIS_TEAMS_URL": "http://teams.example.org/" + MARKER})
    assert result.exit_code == 1 and "HMIS_TEAMS_URL" in result.output and MARKER not in result.output
    assert calls == []
