"""The render cache (:mod:`hmis_schedule.web.cache`): a warm request renders nothing, a new day renders again.

"Today" is moved through the app's ``NOW`` setting: a new day renders the feed
for that day, and the page is rendered again once its next session starts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from support import FROZEN, local_app

import hmis_schedule
from hmis_schedule import feed, web

SCHEDULE = hmis_schedule.clackamas()


def test_a_warm_request_renders_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = feed.render_feed

    def counting(schedule: hmis_schedule.Schedule, window: hmis_schedule.Window, **kwargs: object) -> bytes:
        calls.append((str(kwargs["filter"]), str(kwargs["lang"])))
        return real(schedule, window, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(feed, "render_feed", counting)
    app = local_app()
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
