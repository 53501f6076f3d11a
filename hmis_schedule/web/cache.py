"""The render cache: rendered bodies kept in the process, so a warm request renders nothing.

Keys hold everything that decides a body (schedule version, today's date in
the schedule's zone, route, filters, language, public root); an entry may
also carry the instant it stops being valid (a page's "next session").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, Response, current_app

from .settings import Settings

__all__ = ["RenderCache", "Rendered", "init_app", "render_cache", "rendered"]


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered body with what conditional requests need."""

    body: bytes
    etag: str
    last_modified: datetime | None = None
    valid_until: datetime | None = None


def rendered(body: bytes, last_modified: datetime | None = None, valid_until: datetime | None = None) -> Rendered:
    """``body`` with its strong ETag (Werkzeug's, as ``add_etag`` computes it)."""
    response = Response(body)
    response.add_etag()
    etag, _ = response.get_etag()
    assert etag is not None
    return Rendered(body, etag, last_modified, valid_until)


class RenderCache:
    """A small thread-safe LRU of rendered bodies; ``renders`` counts the misses."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._items: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0

    def get(self, key: Hashable, now: datetime, make: Callable[[], Rendered]) -> Rendered:
        """The cached entry for ``key`` if it is still valid at ``now``, else ``make()``'s, stored."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and (hit.valid_until is None or now < hit.valid_until):
                self._items.move_to_end(key)
                return hit
        made = make()
        with self._lock:
            self.renders += 1
            if self._entries:
                self._items[key] = made
                self._items.move_to_end(key)
                while len(self._items) > self._entries:
                    self._items.popitem(last=False)
        return made


def init_app(app: Flask, settings: Settings) -> None:
    """Give ``app`` its render cache (``app.extensions["hmis_cache"]``)."""
    app.extensions["hmis_cache"] = RenderCache(settings.cache_entries)


def render_cache() -> RenderCache:
    """The current app's render cache."""
    cache: RenderCache = current_app.extensions["hmis_cache"]
    return cache
