"""The web app's HTTP behaviour through Flask's test client: routes, caching, headers, errors, languages.

"Today" is frozen through the app's ``NOW`` setting; expected bodies come from
the library (the oracle), and ETags are read from a first response, never
written down.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import FROZEN

import hmis_schedule
from hmis_schedule import feed, web
from hmis_schedule.web.feeds import FEEDS

SCHEDULE = hmis_schedule.clackamas()
UID = f"second-monday-20260914@{SCHEDULE.uid_domain}"

FEED_URLS = ["/calendar.ics", "/calendar/online.ics", "/calendar/in-person.ics"]
OK_URLS = {
    "/": "text/html; charset=utf-8",
    "/?lang=es": "text/html; charset=utf-8",
    "/embed": "text/html; charset=utf-8",
    "/calendar.ics": "text/calendar; charset=utf-8",
    "/calendar/online.ics?lang=es": "text/calendar; charset=utf-8",
    "/calendar/in-person.ics?from=2026-01-01&to=2026-12-31": "text/calendar; charset=utf-8",
    f"/sessions/{UID}.ics": "text/calendar; charset=utf-8",
    "/api/sessions.json": "application/json",
    "/api/next.json": "application/json",
    "/openapi.json": "application/json",
    "/healthz": "application/json",
    "/static/site.css": "text/css; charset=utf-8",
    "/static/copy.js": "text/javascript; charset=utf-8",
}


class BufferedClient(FlaskClient):
    """A test client that reads each response whole and closes it (static files are open files)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def make_app(now: datetime = FROZEN, **config: object) -> Flask:
    app = web.create_app({"NOW": lambda: now, "HMIS_BASE_URL": "", **config})
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def client() -> FlaskClient:
    return make_app().test_client()


# -- every route -------------------------------------------------------------------


@pytest.mark.parametrize(("url", "content_type"), OK_URLS.items())
def test_every_route_answers_with_its_content_type(client: FlaskClient, url: str, content_type: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.data


@pytest.mark.parametrize("url", OK_URLS)
def test_head_has_the_headers_of_get_and_no_body(client: FlaskClient, url: str) -> None:
    got = client.get(url)
    head = client.head(url)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers.get("ETag") == got.headers.get("ETag")
    assert head.headers.get("Content-Length") == got.headers.get("Content-Length")


@pytest.mark.parametrize("url", FEED_URLS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_feed_is_the_library_rendering_for_today(client: FlaskClient, url: str, lang: str) -> None:
    response = client.get(f"{url}?lang={lang}")
    expected = feed.render_feed(
        SCHEDULE, feed.feed_window(SCHEDULE, FROZEN.date()), lang=lang, filter=FEEDS[url], base_url="http://localhost"
    )
    assert response.data == expected
    assert response.headers["Content-Disposition"].startswith("inline; filename=")
    assert response.headers["Content-Disposition"].endswith('.ics"')


def test_feed_window_parameters_are_inclusive_dates(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?from=2026-09-01&to=2026-09-14")
    expected = feed.render_feed(
        SCHEDULE,
        feed.feed_window(SCHEDULE, FROZEN.date(), date(2026, 9, 1), date(2026, 9, 15)),
        base_url="http://localhost",
    )
    assert response.data == expected
    # 2026-09-14 (the last day asked for) is in; Labor Day (cancelled) too, with its status
    assert f"UID:{UID}".encode() in response.data
    assert b"STATUS:CANCELLED" in response.data


def test_feed_file_names_differ_by_filter_and_language(client: FlaskClient) -> None:
    names = {
        client.get(f"{url}?lang={lang}").headers["Content-Disposition"]
        for url in FEED_URLS
        for lang in ("en", "es")
    }
    assert len(names) == 6


def test_session_ics_is_the_library_rendering(client: FlaskClient) -> None:
    for lang in ("en", "es"):
        response = client.get(f"/sessions/{UID}.ics?lang={lang}")
        assert response.data == feed.render_session(SCHEDULE, UID, lang=lang, base_url="http://localhost")
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_healthz_reports_the_schedule_version(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.json == {"status": "ok", "version": SCHEDULE.version}
    assert "no-store" in response.headers["Cache-Control"]


def test_the_provider_hands_out_the_schedule() -> None:
    app = make_app()
    assert app.extensions["hmis"].value.schedule == SCHEDULE
    assert app.extensions["hmis"].error is None


# -- caching and conditional requests -----------------------------------------------

CONDITIONAL_URLS = [
    "/calendar.ics",
    "/calendar/online.ics?lang=es",
    f"/sessions/{UID}.ics",
    "/api/sessions.json?modality=online",
    "/api/next.json",
    "/",
    "/embed?lang=es",
    "/openapi.json",
]


@pytest.mark.parametrize("url", CONDITIONAL_URLS)
def test_if_none_match_with_the_etag_gives_304(client: FlaskClient, url: str) -> None:
    first = client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"')  # strong
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.data == first.data


@pytest.mark.parametrize("url", ["/calendar.ics", f"/sessions/{UID}.ics", "/api/sessions.json"])
def test_if_modified_since_gives_304_only_when_not_modified(client: FlaskClient, url: str) -> None:
    first = client.get(url)
    last_modified = first.headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.head(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = first.last_modified - timedelta(seconds=1)  # type: ignore[operator]
    stale = earlier.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert client.get(url, headers={"If-Modified-Since": stale}).status_code == 200


def test_feed_last_modified_is_never_before_the_schedule_changed(client: FlaskClient) -> None:
    response = client.get("/calendar.ics")
    assert response.last_modified is not None
    assert response.last_modified >= SCHEDULE.updated


def test_cache_control_is_public_with_the_configured_max_age() -> None:
    client = make_app(HMIS_CACHE_MAX_AGE="120").test_client()
    for url in ("/calendar.ics", "/api/sessions.json", "/"):
        cache_control = client.get(url).headers["Cache-Control"]
        assert "public" in cache_control
        assert "max-age=120" in cache_control


def test_a_warm_request_renders_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = feed.render_feed

    def counting(schedule: hmis_schedule.Schedule, window: hmis_schedule.Window, **kwargs: object) -> bytes:
        calls.append((str(kwargs["filter"]), str(kwargs["lang"])))
        return real(schedule, window, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(feed, "render_feed", counting)
    app = make_app()
    client = app.test_client()
    first = client.get("/calendar.ics")
    second = client.get("/calendar.ics")
    assert first.data == second.data
    assert len(calls) == 1
    client.get("/calendar.ics?lang=es")
    client.get("/calendar/online.ics")
    assert len(calls) == 3
    renders = app.extensions["hmis_cache"].renders
    for _ in range(3):
        client.get("/")
        client.get("/calendar.ics?lang=es")
    assert app.extensions["hmis_cache"].renders == renders + 1  # the page, once


@pytest.mark.parametrize("days", [1, 30])
def test_a_new_day_renders_the_feed_for_that_day(days: int) -> None:
    now = [FROZEN]
    app = web.create_app({"NOW": lambda: now[0]})
    client = app.test_client()
    first = client.get("/calendar.ics")
    now[0] = FROZEN + timedelta(days=days)
    second = client.get("/calendar.ics")
    assert app.extensions["hmis_cache"].renders == 2
    assert second.last_modified > first.last_modified  # type: ignore[operator]
    assert second.data == feed.render_feed(
        SCHEDULE, feed.feed_window(SCHEDULE, now[0].date()), base_url="http://localhost"
    )
    # the ETag follows the bytes: the same window content keeps it, a shifted one changes it
    assert (second.headers["ETag"] == first.headers["ETag"]) == (second.data == first.data)
    if days == 30:
        assert second.data != first.data


def test_the_page_changes_when_the_next_session_starts() -> None:
    now = [FROZEN]
    client = web.create_app({"NOW": lambda: now[0]}).test_client()
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    before = client.get("/").get_data(as_text=True)
    now[0] = nxt.start + timedelta(minutes=1)  # the same day, the session has begun
    after = client.get("/").get_data(as_text=True)
    later = SCHEDULE.next_session(now[0])
    assert later is not None
    assert _next_section(before).count(nxt.start.isoformat()) >= 1
    assert nxt.start.isoformat() not in _next_section(after)
    assert later.start.isoformat() in _next_section(after)


def _next_section(html: str) -> str:
    return html.split('id="next-h"')[1].split("</section>")[0]


# -- headers on every response --------------------------------------------------------

ALL_KINDS = [*OK_URLS, "/nope", "/api/nope.json", "/nope.ics", "/calendar.ics?lang=xx", "/?lang=xx"]


@pytest.mark.parametrize("url", [*ALL_KINDS, "/embed?lang=xx"])
def test_security_headers_on_every_response(url: str) -> None:
    client = make_app(HMIS_EMBED_ORIGINS="https://www.example.org").test_client()
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
    client = make_app(HMIS_EMBED_ORIGINS="https://www.example.org, https://county.example.gov").test_client()
    response = client.get("/embed")
    directives = dict(d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    assert directives["frame-ancestors"].split() == [
        "'self'",
        "https://www.example.org",
        "https://county.example.gov",
    ]
    assert "X-Frame-Options" not in response.headers
    plain = make_app().test_client().get("/embed")
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
def test_cors_is_open_on_feeds_and_the_api(client: FlaskClient, url: str) -> None:
    response = client.get(url, headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_cors_preflight_allows_conditional_requests(client: FlaskClient) -> None:
    response = client.options(
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
def test_no_cors_on_pages(client: FlaskClient, url: str) -> None:
    assert "Access-Control-Allow-Origin" not in client.get(url).headers


# -- errors -------------------------------------------------------------------------------

BAD = [
    # (url, parameter)
    ("/calendar.ics?lang=fr", "lang"),
    ("/calendar.ics?lang=%FF", "lang"),
    ("/calendar.ics?from=%00", "from"),
    ("/calendar.ics?lang=", "lang"),
    ("/calendar.ics?lang=en&lang=es", "lang"),
    ("/calendar.ics?from=2026-02-30", "from"),
    ("/calendar.ics?from=2026-2-3", "from"),
    ("/calendar.ics?from=20260203", "from"),
    ("/calendar.ics?from=2026-W05-1", "from"),
    ("/calendar.ics?to=tomorrow", "to"),
    ("/calendar.ics?to=9999-12-31", "to"),
    ("/calendar.ics?from=0001-01-01", "from"),
    ("/calendar.ics?from=2026-05-01&to=2026-04-30", "to"),
    ("/calendar.ics?from=2026-01-01&to=2031-01-01", "to"),
    ("/calendar.ics?to=2020-01-01", "to"),
    ("/calendar.ics?from=2030-01-01", "from"),
    ("/calendar/online.ics?from=2026-01-01&from=2026-02-01", "from"),
    ("/calendar/in-person.ics?to=" + "9" * 5000, "to"),
    (f"/sessions/{UID}.ics?lang=de", "lang"),
    ("/api/sessions.json?modality=hybrid", "modality"),
    ("/api/sessions.json?modality=in-person", "modality"),
    ("/api/sessions.json?status=maybe", "status"),
    ("/api/sessions.json?status=scheduled&status=cancelled", "status"),
    ("/api/sessions.json?from=2026-13-01", "from"),
    ("/api/sessions.json?lang=ES", "lang"),
    ("/api/next.json?after=2026-12-03", "after"),
    ("/api/next.json?after=2026-12-03T10:00:00", "after"),
    ("/api/next.json?after=2026-12-03T25:00:00Z", "after"),
    ("/api/next.json?after=9999-12-31T23:59:59+00:00", "after"),
    ("/api/next.json?modality=everything", "modality"),
    ("/?lang=xx", "lang"),
    ("/?lang=en&lang=en", "lang"),
    ("/embed?lang=" + "e" * 1000, "lang"),
]


@pytest.mark.parametrize(("url", "parameter"), BAD)
def test_bad_parameters_give_400_naming_the_parameter(client: FlaskClient, url: str, parameter: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.content_type == "application/json"
        error = response.json["error"]
        assert error["parameter"] == parameter
        assert error["message"].startswith(f"{parameter}: ")
        text = error["message"]
    elif ".ics" in url:
        assert response.content_type == "text/plain; charset=utf-8"
        text = response.get_data(as_text=True)
        assert f"\n{parameter}: " in text
    else:
        assert response.content_type == "text/html; charset=utf-8"
        text = response.get_data(as_text=True)
        assert f"{parameter}: " in text
    assert len(text) < 1000  # a huge value is not echoed whole
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("/calendar.ics?lang=fr", "'en', 'es'"),
        ("/api/sessions.json?modality=x", "'online', 'in_person'"),
        ("/api/sessions.json?status=x", "'scheduled', 'cancelled'"),
        ("/calendar.ics?from=x", "YYYY-MM-DD"),
        ("/api/next.json?after=x", "offset"),
        ("/calendar.ics?from=2026-01-01&to=2032-01-01", "5 years"),
    ],
)
def test_a_400_says_what_is_accepted(client: FlaskClient, url: str, accepted: str) -> None:
    assert accepted in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("url", ["/?lang=<script>alert(1)</script>", "/embed?lang=%22%3E%3Cimg%20src=x%3E"])
def test_nothing_from_the_query_string_is_reflected_unescaped(client: FlaskClient, url: str) -> None:
    body = client.get(url).get_data(as_text=True)
    assert "<script>alert" not in body
    assert "<img" not in body
    assert "&lt;" in body or "&#34;" in body or "&#39;" in body


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/nope", "text/html; charset=utf-8"),
        ("/nope.ics", "text/plain; charset=utf-8"),
        ("/calendar/nope.ics", "text/plain; charset=utf-8"),
        ("/api/nope.json", "application/json"),
        ("/sessions/nope.ics", "text/plain; charset=utf-8"),
        (f"/sessions/{UID.replace('20260914', '20260915')}.ics", "text/plain; charset=utf-8"),
        (f"/sessions/{UID.replace('clackamas.us', 'example.org')}.ics", "text/plain; charset=utf-8"),
        ("/sessions/" + "x" * 3000 + ".ics", "text/plain; charset=utf-8"),
    ],
)
def test_not_found_answers_in_the_routes_kind(client: FlaskClient, url: str, content_type: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.content_type == content_type


def test_the_404_page_is_a_page_in_the_negotiated_language(client: FlaskClient) -> None:
    html = client.get("/nope", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Ir al calendario de capacitaciones" in html


def test_methods_other_than_get_are_refused_with_405(client: FlaskClient) -> None:
    response = client.post("/calendar.ics")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert client.delete("/api/sessions.json").json["error"]["status"] == 405


def test_an_unexpected_error_is_a_logged_500_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(feed, "render_feed", broken)
    response = make_app().test_client().get("/calendar.ics")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert "secret internals" in caplog.text


# -- languages ------------------------------------------------------------------------------


def _html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]+)">', html)
    assert match
    return match[1]


@pytest.mark.parametrize(
    ("url", "accept", "lang"),
    [
        ("/", None, "en"),
        ("/?lang=es", None, "es"),
        ("/", "es", "es"),
        ("/", "es-MX,es;q=0.9,en;q=0.5", "es"),
        ("/", "fr-FR, de;q=0.8", "en"),
        ("/", "en-US,en;q=0.9,es;q=0.8", "en"),
        ("/?lang=en", "es", "en"),
        ("/embed", "es-US", "es"),
        ("/embed?lang=en", "es", "en"),
    ],
)
def test_language_negotiation(client: FlaskClient, url: str, accept: str | None, lang: str) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(url, headers=headers)
    assert _html_lang(response.get_data(as_text=True)) == lang
    assert response.headers["Content-Language"] == lang
    assert "Accept-Language" in response.headers["Vary"]


def test_the_visible_switch_links_to_the_other_language(client: FlaskClient) -> None:
    english = client.get("/").get_data(as_text=True)
    assert '<a href="?lang=es" hreflang="es" lang="es">Español</a>' in english
    spanish = client.get("/?lang=es").get_data(as_text=True)
    assert '<a href="?lang=en" hreflang="en" lang="en">English</a>' in spanish
    assert SCHEDULE.title.get("es") in spanish
    assert "Próxima sesión" in spanish


def test_feeds_ignore_accept_language(client: FlaskClient) -> None:
    plain = client.get("/calendar.ics")
    asked = client.get("/calendar.ics", headers={"Accept-Language": "es"})
    assert plain.data == asked.data


# -- configuration of links -----------------------------------------------------------------


def test_the_base_url_setting_starts_every_link() -> None:
    client = make_app(HMIS_BASE_URL="https://training.example.org/hmis/").test_client()
    html = client.get("/").get_data(as_text=True)
    assert "webcal://training.example.org/hmis/calendar.ics" in html
    assert "http://localhost" not in html
    assert (
        client.get("/api/next.json")
        .json["session"]["ics_url"]
        .startswith("https://training.example.org/hmis/")
    )


def test_forwarded_headers_count_only_when_the_proxy_is_trusted() -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hmis.example.org"}
    trusted = make_app(HMIS_TRUST_PROXY="1").test_client().get("/", headers=headers).get_data(as_text=True)
    assert "webcal://hmis.example.org/calendar.ics" in trusted
    assert "https://hmis.example.org/calendar/online.ics" in trusted
    untrusted = make_app().test_client().get("/", headers=headers).get_data(as_text=True)
    assert "hmis.example.org" not in untrusted


def test_now_defaults_to_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []

    def fake_now(zone: object) -> datetime:
        seen.append(zone)
        return FROZEN

    monkeypatch.setattr(hmis_schedule.clock, "now", fake_now)
    client = web.create_app({"HMIS_BASE_URL": ""}).test_client()
    assert client.get("/api/next.json").json["after"] == FROZEN.isoformat()
    assert seen


def test_static_files_carry_a_content_version(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    css = re.search(r'href="(/static/site\.css\?v=[0-9a-f]+)"', html)
    assert css
    assert client.get(css[1]).status_code == 200
