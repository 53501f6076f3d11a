"""Query parameters (:mod:`hmis_schedule.web.params`): each bad one is a 400 naming it; languages are negotiated.

A 400 says what the parameter accepts and never echoes a huge value whole;
the page's language comes from ``lang``, else from ``Accept-Language``.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from support import UID

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
]
"""A page's ``lang`` falls back instead (tests/test_web_fresh.py)."""


@pytest.mark.parametrize(("url", "parameter"), BAD)
def test_bad_parameters_give_400_naming_the_parameter(local_client: FlaskClient, url: str, parameter: str) -> None:
    response = local_client.get(url)
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
def test_a_400_says_what_is_accepted(local_client: FlaskClient, url: str, accepted: str) -> None:
    assert accepted in local_client.get(url).get_data(as_text=True)


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
def test_language_negotiation(local_client: FlaskClient, url: str, accept: str | None, lang: str) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    response = local_client.get(url, headers=headers)
    assert _html_lang(response.get_data(as_text=True)) == lang
    assert response.headers["Content-Language"] == lang
    assert "Accept-Language" in response.headers["Vary"]


@given(accept=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60))
def test_any_accept_language_gives_a_page(app: Flask, accept: str) -> None:
    response = app.test_client().get("/", headers={"Accept-Language": accept})
    assert response.status_code == 200
    assert response.headers["Content-Language"] in ("en", "es")
