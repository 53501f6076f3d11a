"""Responses (:mod:`hmis_schedule.web.responses`): content types, HEAD, ETags, conditional requests, caching headers.

"Today" is frozen through the app's ``NOW`` setting; ETags are read from a
first response, never written down.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from support import OK_URLS, UID, local_app

import hmis_schedule

SCHEDULE = hmis_schedule.clackamas()


@pytest.mark.parametrize(("url", "content_type"), OK_URLS.items())
def test_every_route_answers_with_its_content_type(local_client: FlaskClient, url: str, content_type: str) -> None:
    response = local_client.get(url)
    assert response.status_code == 200
    assert response.content_type == content_type
    assert response.data


@pytest.mark.parametrize("url", OK_URLS)
def test_head_has_the_headers_of_get_and_no_body(local_client: FlaskClient, url: str) -> None:
    got = local_client.get(url)
    head = local_client.head(url)
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers.get("ETag") == got.headers.get("ETag")
    assert head.headers.get("Content-Length") == got.headers.get("Content-Length")


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
def test_if_none_match_with_the_etag_gives_304(local_client: FlaskClient, url: str) -> None:
    first = local_client.get(url)
    etag = first.headers["ETag"]
    assert etag.startswith('"')  # strong
    again = local_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    other = local_client.get(url, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    assert other.data == first.data


@pytest.mark.parametrize("url", ["/calendar.ics", f"/sessions/{UID}.ics", "/api/sessions.json"])
def test_if_modified_since_gives_304_only_when_not_modified(local_client: FlaskClient, url: str) -> None:
    first = local_client.get(url)
    last_modified = first.headers["Last-Modified"]
    assert local_client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert local_client.head(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    earlier = first.last_modified - timedelta(seconds=1)  # type: ignore[operator]
    stale = earlier.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert local_client.get(url, headers={"If-Modified-Since": stale}).status_code == 200


def test_feed_last_modified_is_never_before_the_schedule_changed(local_client: FlaskClient) -> None:
    response = local_client.get("/calendar.ics")
    assert response.last_modified is not None
    assert response.last_modified >= SCHEDULE.updated


def test_cache_control_is_public_with_the_configured_max_age() -> None:
    client = local_app(HMIS_CACHE_MAX_AGE="120").test_client()
    for url in ("/calendar.ics", "/api/sessions.json"):
        cache_control = client.get(url).headers["Cache-Control"]
        assert "public" in cache_control
        assert "max-age=120" in cache_control
    for url in ("/", "/embed"):  # pages revalidate every time (tests/test_web_fresh.py)
        assert client.get(url).headers["Cache-Control"] == "public, no-cache"
