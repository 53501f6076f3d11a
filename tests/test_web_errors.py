"""Error answers (:mod:`hmis_schedule.web.errors`): every error in its route's form, never a traceback.

404s in the route's kind (a page, plain text or JSON), 405 with ``Allow``,
nothing from the query string reflected unescaped, and an unexpected error a
logged 500 that shows neither the exception nor a private link's token.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from support import TOKEN, UID, local_app, private_app

from hmis_schedule import feed


@pytest.mark.parametrize("url", ["/?lang=<script>alert(1)</script>", "/embed?lang=%22%3E%3Cimg%20src=x%3E"])
def test_nothing_from_the_query_string_is_reflected_unescaped(local_client: FlaskClient, url: str) -> None:
    body = local_client.get(url).get_data(as_text=True)
    assert "<script>alert" not in body
    assert "<img" not in body
    # reflected escaped, or (a page's unsupported lang falls back to the negotiated one) not at all
    assert "&lt;" in body or "&#34;" in body or "&#39;" in body or ("alert(1)" not in body and "src=x" not in body)


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
def test_not_found_answers_in_the_routes_kind(local_client: FlaskClient, url: str, content_type: str) -> None:
    response = local_client.get(url)
    assert response.status_code == 404
    assert response.content_type == content_type


def test_the_404_page_is_a_page_in_the_negotiated_language(local_client: FlaskClient) -> None:
    html = local_client.get("/nope", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Ir al calendario de capacitaciones" in html


def test_methods_other_than_get_are_refused_with_405(local_client: FlaskClient) -> None:
    response = local_client.post("/calendar.ics")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert local_client.delete("/api/sessions.json").json["error"]["status"] == 405


def test_an_unexpected_error_is_a_logged_500_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(feed, "render_feed", broken)
    response = local_app().test_client().get("/calendar.ics")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert "secret internals" in caplog.text


def test_an_unexpected_error_on_a_private_feed_is_logged_without_the_token(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(feed, "render_feed", broken)
    response = private_app().test_client().get(f"/private/{TOKEN}/calendar.ics")
    assert response.status_code == 500
    assert "boom" in caplog.text and "/private/[redacted]" in caplog.text
    assert TOKEN not in caplog.text
