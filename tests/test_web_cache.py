"""The caches of the web layer (:mod:`hmis_schedule.web.cache`): bounded in bytes, a warm request renders nothing.

"Today" is moved through the app's ``NOW`` setting: a new day renders the feed
for that day, and the page is rendered again once its next session starts.

- :class:`~hmis_schedule.web.cache.ByteLRU`: evicts the least recently used
  entries, never holds more than its budget, keeps nothing with budget 0.
- The render cap: with every slot held by a render in progress (a test thread
  waiting on an ``Event``, no sleeps), an uncached request is answered 503
  with ``Retry-After``, never 500, while cached answers are still served.
- Memory: 50,000 distinct valid queries leave every cache within its bound.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from support import FROZEN, local_app

import hmis_schedule
from hmis_schedule import feed, web
from hmis_schedule.web.cache import ENTRY_BYTES, ByteLRU, Rendered, key_bytes, rendered
from hmis_schedule.web.settings import DEFAULT_CACHE_BYTES, ConfigError, load_settings
from hmis_schedule.window import feed_window

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
        SCHEDULE, feed_window(SCHEDULE, now[0].date()), base_url="http://localhost"
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


def make_app(**config: Any) -> Flask:
    return web.create_app({"NOW": lambda: FROZEN, "HMIS_BASE_URL": "https://hmis.example.org", **config})


# -- the byte-bounded LRU -------------------------------------------------------------


def weight(key: str, value: bytes) -> int:
    return len(value) + key_bytes(key) + ENTRY_BYTES


@given(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 3000)), max_size=60), st.integers(0, 8000))
def test_an_lru_never_holds_more_than_its_budget_and_drops_the_least_recently_used(
    puts: list[tuple[str, int]], budget: int
) -> None:
    lru: ByteLRU[bytes] = ByteLRU(budget, len)
    model: list[tuple[str, bytes]] = []  # least recently used first
    for key, size in puts:
        value = key.encode() * size
        lru.put(key, value)
        model = [(k, v) for k, v in model if k != key]
        if weight(key, value) <= budget:
            model.append((key, value))
            while sum(weight(k, v) for k, v in model) > budget:
                model.pop(0)
        assert lru.size_bytes == sum(weight(k, v) for k, v in model) <= budget
        assert len(lru) == len(model)
    for key, value in model:
        assert lru.get(key) == value


def test_a_get_makes_an_entry_the_most_recently_used() -> None:
    lru: ByteLRU[bytes] = ByteLRU(3 * weight("a", b"x" * 100), len)
    for key in "abc":
        lru.put(key, b"x" * 100)
    assert lru.get("a") is not None
    lru.put("d", b"x" * 100)
    assert lru.get("b") is None and lru.get("a") is not None and lru.get("d") is not None


def test_a_budget_of_zero_keeps_nothing_and_an_entry_above_the_budget_is_not_kept() -> None:
    nothing: ByteLRU[bytes] = ByteLRU(0, len)
    nothing.put("a", b"")
    assert nothing.get("a") is None and nothing.size_bytes == 0
    small: ByteLRU[bytes] = ByteLRU(1000, len)
    small.put("a", b"x" * 10)
    small.put("b", b"x" * 5000)
    assert small.get("b") is None and small.get("a") is not None


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, DEFAULT_CACHE_BYTES), ("", DEFAULT_CACHE_BYTES), ("0", 0), (0, 0), ("1048576", 1 << 20),
     ("32M", 32 << 20), ("512k", 512 << 10), ("1G", 1 << 30), (" 64 K ", 64 << 10)],
)
def test_cache_bytes_accepts_bytes_and_k_m_g(given: object, expected: int) -> None:
    assert load_settings({"HMIS_CACHE_BYTES": given}, environ={}).cache_bytes == expected


@pytest.mark.parametrize("given", ["-1", "32MB", "32 MiB", "1.5M", "lots", "65G", True, 1.5])
def test_cache_bytes_refuses_anything_else_naming_the_setting(given: object) -> None:
    with pytest.raises(ConfigError, match=r"^HMIS_CACHE_BYTES: expected whole bytes or a number with K, M or G"):
        load_settings({"HMIS_CACHE_BYTES": given}, environ={})


def test_the_old_entry_count_setting_is_refused_with_its_replacement() -> None:
    with pytest.raises(ConfigError, match=r"^HMIS_CACHE_ENTRIES: .*HMIS_CACHE_BYTES"):
        load_settings({"HMIS_CACHE_ENTRIES": 512}, environ={})


def test_cache_bytes_is_read_from_the_environment() -> None:
    assert load_settings(environ={"HMIS_CACHE_BYTES": "8M"}).cache_bytes == 8 << 20


# -- the render cap ---------------------------------------------------------------------


@pytest.fixture
def held() -> Iterator[tuple[Flask, threading.Event, threading.Thread]]:
    """An app with one render slot, held by a render in progress until the event is set."""
    app = make_app(RENDER_SLOTS=1, RENDER_WAIT=0)
    cache = app.extensions["hmis_cache"]
    release, started = threading.Event(), threading.Event()
    assert app.test_client().get("/calendar.ics").status_code == 200  # cached before the slot is taken

    def slow() -> Rendered:
        started.set()
        release.wait(timeout=30)
        return rendered(b"slow")

    thread = threading.Thread(target=cache.get, args=(("held",), FROZEN, slow))
    thread.start()
    assert started.wait(timeout=30)
    try:
        yield app, release, thread
    finally:
        release.set()
        thread.join(timeout=30)


@pytest.mark.parametrize(
    ("url", "kind"),
    [("/calendar.ics?from=2027-01-01&to=2027-03-31", "text/plain"),
     ("/api/sessions.json?from=2027-01-01&to=2027-03-31", "application/json"),
     ("/?lang=es", "text/html")],
)
def test_an_uncached_request_gets_503_with_retry_after_while_every_render_slot_is_taken(
    held: tuple[Flask, threading.Event, threading.Thread], url: str, kind: str
) -> None:
    app, _, _ = held
    response = app.test_client().get(url)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == kind
    assert response.headers["Cache-Control"] == "no-store"


def test_a_cached_answer_needs_no_slot_and_the_slot_serves_again_once_free(
    held: tuple[Flask, threading.Event, threading.Thread],
) -> None:
    app, release, thread = held
    client = app.test_client()
    assert client.get("/calendar.ics").status_code == 200  # cached: never waits for a slot
    release.set()
    thread.join(timeout=30)  # the held render has finished: its slot is free
    assert not thread.is_alive()
    assert client.get("/calendar.ics?from=2027-01-01&to=2027-03-31").status_code == 200


def test_render_slots_and_wait_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"^RENDER_SLOTS: "):
        load_settings({"RENDER_SLOTS": -1}, environ={})
    with pytest.raises(ConfigError, match=r"^RENDER_WAIT: "):
        load_settings({"RENDER_WAIT": "soon"}, environ={})


# -- memory --------------------------------------------------------------------------------


def distinct_queries(count: int) -> Iterator[str]:
    """``count`` distinct valid queries: short windows a week apart over 30 years, every route and language."""
    routes = ("/calendar.ics", "/calendar/online.ics", "/calendar/in-person.ics", "/api/sessions.json")
    kinds = [(days, route, lang) for days in (1, 2, 7, 31) for route in routes for lang in ("en", "es")]
    first = date(1990, 1, 1)
    for n in range(count):
        days, route, lang = kinds[n % len(kinds)]
        start = first + timedelta(weeks=n // len(kinds))
        yield f"{route}?from={start}&to={start + timedelta(days=days - 1)}&lang={lang}"


@pytest.mark.slow
def test_50000_distinct_queries_leave_every_cache_within_its_byte_bound() -> None:
    budget = 2 << 20
    app = make_app(HMIS_CACHE_BYTES=budget)
    client = app.test_client()
    render, parts = app.extensions["hmis_cache"], app.extensions["hmis_parts"]
    responses = feed_responses(app)
    bounds = {"render": budget // 4, "responses": budget // 4, "parts": budget // 2}
    most = dict.fromkeys(bounds, 0)
    seen = set()
    for url in distinct_queries(50_000):
        seen.add(url)
        assert client.get(url).status_code == 200, url
        sizes = {"render": render.size_bytes, "responses": responses.size_bytes, "parts": parts.size_bytes}
        for name, size in sizes.items():
            assert size <= bounds[name], (name, size, url)
            most[name] = max(most[name], size)
    assert len(seen) == 50_000
    assert sum(sizes.values()) <= budget
    for name in bounds:  # every cache did fill up: the bound, not a lack of traffic, kept it small
        assert most[name] > bounds[name] * 0.8, (name, most[name])


def feed_responses(app: Flask) -> Any:
    """The warm-feed middleware inside ``app.wsgi_app``'s wrappers."""
    wrapped = app.wsgi_app
    while not isinstance(wrapped, web.middleware.FeedResponses):
        wrapped = wrapped.app  # type: ignore[attr-defined]
    return wrapped
