"""Pages are fresh and speak a language they have (:mod:`hmis_schedule.web.pages`, :mod:`hmis_schedule.web.params`).

- Pages are answered ``Cache-Control: public, no-cache``: a browser asks again
  on every load with the page's ETag. While the schedule is unchanged that is
  a 304; after an edit of the followed schedule file (once it has settled),
  the conditional request gets a 200 with the edit in it. Feeds and JSON keep
  their ``max-age``.
- An unsupported ``lang`` on a page falls back to the negotiated language
  (``Accept-Language``, then English) instead of a 400; feeds and JSON still
  answer 400 (``tests/test_web_params.py``).
- Month headings and dates are Babel's forms for each language (Babel is the
  oracle: ``format_skeleton``).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_skeleton
from flask import Flask
from flask.testing import FlaskClient
from support import FROZEN, Clocks, parse

import hmis_schedule
from hmis_schedule import edit, web

SCHEDULE = hmis_schedule.clackamas()


def following(clocks: Clocks, schedule_file: Path) -> Flask:
    """The app following ``schedule_file`` by ``clocks`` (the default interval and settle time), at FROZEN."""
    return web.create_app(
        {"NOW": lambda: FROZEN, "HMIS_BASE_URL": "", "MONOTONIC": clocks.monotonic, "WALL_CLOCK": clocks.wall,
         "HMIS_SECRET_KEY": "", "HMIS_TEAMS_URL": "", "HMIS_SECRETS_FILE": "", "HMIS_STATE_FILE": "",
         "HMIS_RELOAD_INTERVAL": "", "HMIS_RELOAD_SETTLE": "", "HMIS_SCHEDULE": str(schedule_file)}
    )  # fmt: skip


def next_card(html: str) -> str:
    """The text of the page's "Next session" card."""
    doc = parse(html)
    (card,) = [n for n in doc.iter("div") if n.has_class("card")]
    return " ".join(card.text().split())


# -- fresh pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/?lang=es", "/embed", "/embed?lang=es"])
def test_pages_are_revalidated_and_feeds_keep_their_max_age(local_client: FlaskClient, url: str) -> None:
    page = local_client.get(url)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "public, no-cache"
    assert page.headers["ETag"]
    again = local_client.get(url, headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304  # unchanged: nothing sent again
    for feed in ("/calendar.ics", "/api/sessions.json", "/api/next.json"):
        assert re.fullmatch(r"public, max-age=\d+", local_client.get(feed).headers["Cache-Control"])


@pytest.mark.parametrize("url", ["/", "/embed"])
def test_the_next_load_after_an_edit_shows_the_cancellation(schedule_file: Path, url: str) -> None:
    clocks = Clocks()
    clocks.stamp(schedule_file)
    client = following(clocks, schedule_file).test_client()
    clocks.tick(5)
    nxt = SCHEDULE.next_session(FROZEN)
    assert nxt is not None
    first = client.get(url)
    assert first.status_code == 200
    reason = "Trainer out sick"
    assert reason not in first.get_data(as_text=True)
    if url == "/":
        assert "Cancelled" not in next_card(first.get_data(as_text=True))
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    edit.cancel(schedule_file, nxt.slot_id, nxt.original_date, reason=reason, now=FROZEN)
    clocks.stamp(schedule_file)
    clocks.tick(2)  # the settle time (1 s) and the interval between looks (1 s) have passed

    again = client.get(url, headers={"If-None-Match": etag})  # what a browser sends on its next load
    assert again.status_code == 200
    assert again.headers["ETag"] != etag
    html = again.get_data(as_text=True)
    after = SCHEDULE.next_session(nxt.end)
    assert after is not None
    shown = next_times(html)  # the cancelled session is no longer the next one
    assert shown[:2] == [after.start.isoformat(), after.end.isoformat()]
    if url == "/":
        assert reason in html  # and the page says why


def next_times(html: str) -> list[str]:
    """The times of the page's (or the embed's) next session."""
    doc = parse(html)
    (card,) = [n for n in doc.iter() if n.has_class("card") or n.has_class("when")][:1]
    return [t.attrs.get("datetime") or "" for t in card.iter("time")]


# -- languages -------------------------------------------------------------------------------------


def html_lang(response: object) -> str:
    match = re.search(r'<html lang="([^"]+)">', response.get_data(as_text=True))  # type: ignore[attr-defined]
    assert match
    return match[1]


@pytest.mark.parametrize(
    ("url", "accept", "lang"),
    [
        ("/?lang=fr", None, "en"),
        ("/?lang=fr", "es-MX,es;q=0.9", "es"),
        ("/embed?lang=xx", None, "en"),
        ("/embed?lang=xx", "es", "es"),
        ("/?lang=", "es", "es"),
        ("/?lang=ES", None, "en"),
        ("/?lang=en&lang=es", "es", "es"),
        ("/embed?lang=" + "e" * 1000, None, "en"),
        ("/?lang=es", "en", "es"),  # a supported one still wins over the browser's
    ],
)
def test_an_unsupported_lang_on_a_page_falls_back_to_the_negotiated_language(
    local_client: FlaskClient, url: str, accept: str | None, lang: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    response = local_client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert html_lang(response) == lang
    assert response.headers["Content-Language"] == lang
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize(
    "url", ["/calendar.ics?lang=fr", "/api/sessions.json?lang=fr", "/api/next.json?lang=xx"]
)
def test_feeds_and_json_still_refuse_an_unsupported_lang(local_client: FlaskClient, url: str) -> None:
    assert local_client.get(url).status_code == 400


@pytest.mark.parametrize("lang", ["en", "es"])
def test_month_headings_are_babels_form_for_the_language(local_client: FlaskClient, lang: str) -> None:
    doc = parse(local_client.get(f"/?lang={lang}").get_data(as_text=True))
    captions = [" ".join(c.text().split()) for c in doc.iter("caption")]
    months = [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert captions == [format_skeleton("yMMMM", m, locale=lang) for m in months]
    if lang == "es":
        assert captions[0] == "diciembre de 2026"  # not "diciembre 2026"
    else:
        assert captions[0] == "December 2026"
