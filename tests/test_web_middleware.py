"""WSGI middleware (:mod:`hmis_schedule.web.middleware`): warm feeds answered without Flask, and every response's headers.

The whole-answer cache of warm public feeds (``FeedResponses``) is held to
giving exactly the answer Flask gives (the oracle: a fresh app that has never
seen the request), and to asking Flask again whenever anything that decides
the answer changes, or when the request is one it must not answer
(conditional, HEAD first, an error, caching turned off). ``SecurityHeaders``
puts the CSP, framing and CORS headers on every response.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import FEED_URLS, FROZEN, OK_URLS, UID, local_app

import hmis_schedule
from hmis_schedule import web
from hmis_schedule.follow import Readable, Reading
from hmis_schedule.source import Loaded

SCHEDULE = hmis_schedule.clackamas()
OTHER = hmis_schedule.load_schedule(
    Path(__file__).resolve().parent.parent / "examples" / "another-county.toml"
)
REQUESTS = [
    "/calendar.ics",
    "/calendar.ics?lang=es",
    "/calendar/online.ics",
    "/calendar/in-person.ics?lang=es&from=2026-01-01&to=2026-12-31",
]


class Clock:
    def __init__(self) -> None:
        self.moment = FROZEN

    def __call__(self) -> datetime:
        return self.moment


class Switchable(Readable[Loaded]):
    """A schedule source whose schedule a test replaces, as a reload would."""

    def __init__(self, schedule: hmis_schedule.Schedule) -> None:
        self.loaded = Loaded.of(schedule, "test")

    def reading(self) -> Reading[Loaded]:
        return Reading(self.loaded)


def make_app(clock: Clock | None = None, **config: Any) -> tuple[Flask, list[str]]:
    """An app and the list of requests that reached Flask's routing."""
    app = web.create_app({"NOW": clock or (lambda: FROZEN), "HMIS_BASE_URL": "", **config})
    reached: list[str] = []

    @app.before_request
    def count() -> None:
        from flask import request

        reached.append(request.full_path)

    return app, reached


def answer(app: Flask, url: str, **kwargs: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    response = app.test_client().open(url, buffered=True, **kwargs)
    return response.status_code, list(response.headers.items()), response.get_data()


# -- warm public feeds, answered without Flask -----------------------------------------------------


@pytest.mark.parametrize("url", REQUESTS)
def test_a_warm_feed_is_flasks_answer_without_flask(url: str) -> None:
    app, reached = make_app()
    first = answer(app, url)
    second = answer(app, url)
    fresh, _ = make_app()
    assert first[0] == 200
    assert second == first == answer(fresh, url)
    assert len(reached) == 1  # the second request did not enter Flask
    headers = dict(second[1])
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_head_after_get_has_the_headers_and_no_body() -> None:
    app, reached = make_app()
    head_first = answer(app, "/calendar.ics", method="HEAD")  # a HEAD is not kept
    get = answer(app, "/calendar.ics")
    head = answer(app, "/calendar.ics", method="HEAD")
    assert head_first == head == (200, get[1], b"")
    assert len(reached) == 2


@pytest.mark.parametrize(
    "change",
    ["next-day", "host", "https", "query", "schedule"],
)
def test_anything_that_decides_the_answer_asks_flask_again(change: str) -> None:
    clock = Clock()
    provider = Switchable(SCHEDULE)
    app, reached = make_app(clock, HMIS_SCHEDULE=provider)
    url, kwargs = "/calendar.ics", {}
    answer(app, url)
    if change == "next-day":
        clock.moment = FROZEN + timedelta(days=1)
    elif change == "host":
        kwargs = {"base_url": "http://hmis.example.org"}
    elif change == "https":
        kwargs = {"base_url": "https://localhost"}
    elif change == "query":
        url = "/calendar.ics?lang=es"
    else:
        provider.loaded = Loaded.of(OTHER, "test")
    changed = answer(app, url, **kwargs)
    assert len(reached) == 2
    fresh, _ = make_app(
        lambda: clock.moment, HMIS_SCHEDULE=provider.loaded.schedule
    )
    assert changed == answer(fresh, url, **kwargs)
    assert changed != answer(make_app()[0], "/calendar.ics")


@pytest.mark.parametrize(
    ("url", "headers", "status"),
    [
        ("/calendar.ics?lang=xx", {}, 400),
        ("/calendar.ics?from=2026-12-31&to=2026-01-01", {}, 400),
        ("/calendar.ics", {"Range": "bytes=0-99"}, 200),  # no ranges served, yet Flask decides
        ("/sessions/nope.ics", {}, 404),
        ("/", {}, 200),
    ],
)
def test_errors_ranges_and_other_routes_always_go_to_flask(
    url: str, headers: dict[str, str], status: int
) -> None:
    app, reached = make_app()
    for _ in range(3):
        assert answer(app, url, headers=headers)[0] == status
    assert len(reached) == 3


def _validators(app: Flask, url: str = "/calendar.ics") -> tuple[str, str]:
    headers = dict(answer(app, url)[1])
    return headers["ETag"], headers["Last-Modified"]


def _conditions(etag: str, last_modified: str) -> dict[str, dict[str, str]]:
    """Conditional requests a calendar app may send, by name."""
    return {
        "same etag": {"If-None-Match": etag},
        "one of etags": {"If-None-Match": f'"other", {etag}'},
        "weak etag": {"If-None-Match": f"W/{etag}"},
        "any": {"If-None-Match": "*"},
        "other etag": {"If-None-Match": '"other"'},
        "since last-modified": {"If-Modified-Since": last_modified},
        "since long ago": {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        "etag wins over date": {"If-None-Match": '"other"', "If-Modified-Since": last_modified},
        "both match": {"If-None-Match": etag, "If-Modified-Since": last_modified},
    }


@pytest.mark.parametrize("name", list(_conditions("e", "d")))
def test_a_warm_conditional_request_gets_flasks_answer_without_flask(name: str) -> None:
    app, reached = make_app()
    conditions = _conditions(*_validators(app))[name]
    first = answer(app, "/calendar.ics", headers=conditions)
    again = [answer(app, "/calendar.ics", headers=conditions) for _ in range(2)]
    fresh, _ = make_app()
    _validators(fresh)
    oracle = answer(fresh, "/calendar.ics", headers=conditions)  # Flask's own make_conditional
    assert first == again[0] == again[1] == oracle
    assert first[0] in (200, 304)
    assert "Date" not in dict(first[1])  # the HTTP server adds the one Date header
    # a 304 is learnt from Flask once; a modified resource is the kept 200 at once
    assert len(reached) == (2 if first[0] == 304 else 1)


def test_a_conditional_request_that_finds_nothing_kept_goes_to_flask_and_keeps_nothing() -> None:
    app, reached = make_app()
    etag, _ = _validators(make_app()[0])
    for _ in range(2):
        status, _, body = answer(app, "/calendar.ics", headers={"If-None-Match": etag})
        assert (status, body) == (304, b"")
    assert len(reached) == 2
    assert answer(app, "/calendar.ics")[0] == 200
    assert len(reached) == 3


@pytest.mark.parametrize(
    "headers",
    [{"If-Match": '"other"'}, {"If-Unmodified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, {"Range": "bytes=0-9"}],
)
def test_preconditions_and_ranges_always_go_to_flask(headers: dict[str, str]) -> None:
    app, reached = make_app()
    _validators(app)
    fresh, _ = make_app()
    for _ in range(2):
        assert answer(app, "/calendar.ics", headers=headers) == answer(fresh, "/calendar.ics", headers=headers)
    assert len(reached) == 3


def test_a_new_schedule_is_not_answered_with_the_old_304() -> None:
    provider = Switchable(SCHEDULE)
    app, reached = make_app(HMIS_SCHEDULE=provider)
    etag, _ = _validators(app)
    assert answer(app, "/calendar.ics", headers={"If-None-Match": etag})[0] == 304
    provider.loaded = Loaded.of(OTHER, "test")
    status, headers, _ = answer(app, "/calendar.ics", headers={"If-None-Match": etag})
    assert status == 200 and dict(headers)["ETag"] != etag
    assert len(reached) == 3  # the new schedule's answer came from Flask


def test_no_answer_is_kept_when_the_cache_is_off() -> None:
    app, reached = make_app(HMIS_CACHE_BYTES=0)
    for _ in range(3):
        assert answer(app, "/calendar.ics")[0] == 200
    assert len(reached) == 3


def test_the_oldest_answer_goes_when_the_cache_is_full() -> None:
    fresh, _ = make_app()
    first, spanish, online = (len(answer(fresh, url)[2]) for url in URLS[:3])
    # a quarter of the budget holds the Spanish and online answers, not the first one too
    app, reached = make_app(HMIS_CACHE_BYTES=4 * (spanish + online + first // 2))
    for url in ["/calendar.ics", "/calendar.ics?lang=es", "/calendar/online.ics", "/calendar/online.ics"]:
        answer(app, url)
    assert len(reached) == 3
    answer(app, "/calendar.ics?lang=es")  # still kept
    assert len(reached) == 3
    answer(app, "/calendar.ics")  # was dropped
    assert len(reached) == 4


# -- headers on every response ---------------------------------------------------------------------


ALL_KINDS = [*OK_URLS, "/nope", "/api/nope.json", "/nope.ics", "/calendar.ics?lang=xx", "/?lang=xx"]


@pytest.mark.parametrize("url", [*ALL_KINDS, "/embed?lang=xx"])
def test_security_headers_on_every_response(url: str) -> None:
    client = local_app(HMIS_EMBED_ORIGINS="https://www.example.org").test_client()
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    if url.startswith("/embed"):
        assert "frame-ancestors 'self' https://www.example.org" in csp
    else:
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"


def test_only_the_embed_may_be_framed_and_only_by_self_and_the_configured_origins() -> None:
    client = local_app(HMIS_EMBED_ORIGINS="https://www.example.org, https://county.example.gov").test_client()
    response = client.get("/embed")
    directives = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    assert directives["frame-ancestors"].split() == [
        "'self'",
        "https://www.example.org",
        "https://county.example.gov",
    ]
    assert "X-Frame-Options" not in response.headers
    plain = local_app().test_client().get("/embed")
    assert "frame-ancestors 'self'" in plain.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "url",
    [
        *FEED_URLS,
        f"/sessions/{UID}.ics",
        "/api/sessions.json",
        "/api/next.json",
        "/api/nope.json",
        "/openapi.json",
    ],
)
def test_cors_is_open_on_feeds_and_the_api(local_client: FlaskClient, url: str) -> None:
    response = local_client.get(url, headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_cors_preflight_allows_conditional_requests(local_client: FlaskClient) -> None:
    response = local_client.options(
        "/api/sessions.json",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("url", ["/", "/embed", "/healthz"])
def test_no_cors_on_pages(local_client: FlaskClient, url: str) -> None:
    assert "Access-Control-Allow-Origin" not in local_client.get(url).headers


URLS = ["/calendar.ics", "/calendar.ics?lang=es", "/calendar/online.ics"]
