"""The request's public addresses (:mod:`hmis_schedule.web.public`).

``HMIS_BASE_URL`` starts every link; without it, links start with the
request's own root, read from forwarded headers only behind a trusted proxy.
"""

from __future__ import annotations

from support import local_app


def test_the_base_url_setting_starts_every_link() -> None:
    client = local_app(HMIS_BASE_URL="https://training.example.org/hmis/").test_client()
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
    trusted = local_app(HMIS_TRUST_PROXY="1").test_client().get("/", headers=headers).get_data(as_text=True)
    assert "webcal://hmis.example.org/calendar.ics" in trusted
    assert "https://hmis.example.org/calendar/online.ics" in trusted
    untrusted = local_app().test_client().get("/", headers=headers).get_data(as_text=True)
    assert "hmis.example.org" not in untrusted
