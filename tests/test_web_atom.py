"""The Atom feed's route, ``/feed.atom`` (:func:`hmis_schedule.web.feeds.atom_feed`).

Oracle: the library's rendering (:func:`hmis_schedule.atom.render_atom`) for
the frozen today, the public root and the record the app serves; read back
by feedparser. The caching is the calendar feeds': ETag and Last-Modified,
304 on a match, one render per key.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import BASE, FROZEN, local_app

import hmis_schedule
from hmis_schedule import edit
from hmis_schedule.atom import render_atom
from hmis_schedule.web import create_app, sources
from hmis_schedule.web.cache import render_cache

SCHEDULE = hmis_schedule.clackamas()


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_feed_is_the_library_rendering_for_today(client: FlaskClient, lang: str) -> None:
    response = client.get(f"/feed.atom?lang={lang}")
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    assert response.data == render_atom(SCHEDULE, FROZEN.date(), lang=lang, base_url=BASE)
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo and parsed.feed.language == lang
    expected = "clackamas-hmis.atom" if lang == "en" else "clackamas-hmis-es.atom"
    assert response.headers["Content-Disposition"] == f'inline; filename="{expected}"'


def test_links_follow_the_requests_root_without_a_base_url() -> None:
    response = local_app().test_client().get("/feed.atom")
    self_link = {link.rel: link.href for link in feedparser.parse(response.data).feed.links}["self"]
    assert self_link == "http://localhost/feed.atom"


def test_cached_conditional_and_open_to_scripts(client: FlaskClient, app: Flask) -> None:
    first = client.get("/feed.atom?lang=es")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    with app.app_context():
        renders = render_cache().renders
    again = client.get("/feed.atom?lang=es", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    since = client.get("/feed.atom?lang=es", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    with app.app_context():
        assert render_cache().renders == renders, "a cached feed is not rendered again"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("lang=fr", "lang"), ("lang=en&lang=es", "lang"), ("lang=" + "e" * 200, "lang")],
)
def test_a_bad_parameter_is_a_400_in_plain_text_naming_it(client: FlaskClient, query: str, parameter: str) -> None:
    response = client.get(f"/feed.atom?{query}")
    assert response.status_code == 400
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.get_data(as_text=True).splitlines()[1].startswith(f"{parameter}: ")


def test_other_parameters_do_not_change_the_feed(client: FlaskClient) -> None:
    # the feed's window is the schedule's default: a client cannot ask for a costlier one
    plain = client.get("/feed.atom").data
    assert client.get("/feed.atom?from=1900-01-01&to=2199-12-31").data == plain


def test_the_feed_moves_with_the_day() -> None:
    # today is the app's clock, reckoned in the schedule's zone, not a constant
    later = FROZEN + timedelta(days=30)
    body = local_app(later).test_client().get("/feed.atom").data
    assert body == render_atom(SCHEDULE, later.date(), base_url="http://localhost")
    assert body != local_app().test_client().get("/feed.atom").data


def test_a_served_file_with_its_record_shows_a_move_with_the_records_date(schedule_file: Path, tmp_path: Path) -> None:
    edit.move(schedule_file, "first-monday", date(2027, 1, 4), to_date=date(2027, 1, 6), now=FROZEN)
    app = create_app(
        {"NOW": lambda: FROZEN, "HMIS_BASE_URL": BASE, "HMIS_SCHEDULE": str(schedule_file),
         "HMIS_STATE_FILE": str(tmp_path / "state.toml")}
    )  # fmt: skip
    body = app.test_client().get("/feed.atom").data
    with app.test_request_context():
        loaded = sources.loaded()
        assert loaded.published is not None
        assert body == render_atom(loaded.schedule, FROZEN.date(), base_url=BASE, published=loaded.published)
    titles = [e.title for e in feedparser.parse(body).entries]
    assert any(t.startswith("Moved: ") and t.endswith("Wednesday, January 6, 2027") for t in titles)


def test_updated_of_the_feed_is_never_later_than_the_http_last_modified(client: FlaskClient) -> None:
    response = client.get("/feed.atom")
    updated = datetime.fromisoformat(feedparser.parse(response.data).feed.updated)
    assert response.last_modified is not None and updated <= response.last_modified
