"""The worker's caches, bounded in bytes, and the cap on renders running at once.

- :class:`ByteLRU`: a thread-safe least-recently-used map whose entries are
  weighed in bytes (bodies, headers, and keys approximately); adding an entry
  evicts the least recently used ones until the total is within the budget,
  and an entry heavier than the whole budget is not kept.
- :class:`RenderCache`: rendered bodies with their ETags. Keys hold
  everything that decides a body (schedule version, today's date in the
  schedule's zone, route, filters, language, public root); an entry may also
  carry the instant it stops being valid (a page's "next session"). A miss
  renders inside a :class:`RenderSlots` slot; a hit never waits for one.
- The feed parts (:class:`hmis_schedule.feed.Parts`): each VEVENT's bytes,
  kept per schedule version, so any window is assembled from kept events
  (:func:`feed_parts`).
- :class:`RenderSlots`: at most a few renders at once per worker; a request
  that gets no slot within a short wait is answered 503 with ``Retry-After``.

``HMIS_CACHE_BYTES`` is the budget of one worker, split: a quarter for
rendered bodies, a quarter for the warm-feed answers of
:class:`~hmis_schedule.web.middleware.FeedResponses`, half for feed parts.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from flask import Flask, Response, current_app
from werkzeug.exceptions import ServiceUnavailable

from hmis_schedule.feed import Parts

from .settings import Settings

__all__ = [
    "ENTRY_BYTES",
    "Busy",
    "ByteLRU",
    "PartStore",
    "RenderCache",
    "RenderSlots",
    "Rendered",
    "feed_parts",
    "init_app",
    "key_bytes",
    "render_cache",
    "rendered",
]

V = TypeVar("V")

ENTRY_BYTES = 256
"""What an entry costs besides its key and value: the map's node and the tuple around them (approximate)."""


def key_bytes(key: object, depth: int = 3) -> int:
    """The approximate bytes of a key: its object and, a few levels down, the items of tuples and slotted objects.

    >>> key_bytes(("feed", "x" * 100)) > 100
    True
    """
    size = sys.getsizeof(key)
    if depth:
        if isinstance(key, tuple):
            size += sum(key_bytes(item, depth - 1) for item in key)
        elif hasattr(type(key), "__slots__") and not isinstance(key, str | bytes | int | float):
            for name in getattr(type(key), "__slots__", ()):
                size += key_bytes(getattr(key, name, None), depth - 1)
    return size


class ByteLRU(Generic[V]):
    """A thread-safe LRU map bounded in bytes: ``size_bytes`` never exceeds ``budget``.

    ``weigh`` gives a value's bytes; an entry weighs that, its key
    (:func:`key_bytes`) and :data:`ENTRY_BYTES`. A budget of 0 keeps nothing.

    >>> lru: ByteLRU[bytes] = ByteLRU(2000, len)
    >>> lru.put("a", b"x" * 400); lru.put("b", b"x" * 400); lru.get("a") is not None
    True
    >>> lru.put("c", b"x" * 400); lru.get("b") is None, lru.size_bytes <= 2000
    (True, True)
    """

    def __init__(self, budget: int, weigh: Callable[[V], int]) -> None:
        self.budget = budget
        self._weigh = weigh
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        """The bytes held now (approximate for keys), at most ``budget``."""
        return self._size

    def __len__(self) -> int:
        return len(self._items)

    def held(self) -> list[Hashable]:
        """The keys held, least recently used first (a copy)."""
        with self._lock:
            return list(self._items)

    def get(self, key: Hashable) -> V | None:
        """The value kept for ``key`` (now the most recently used), or ``None``."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` for ``key``, evicting the least recently used entries to stay within the budget."""
        weight = self._weigh(value) + key_bytes(key) + ENTRY_BYTES
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            if weight > self.budget:
                return
            while self._items and self._size + weight > self.budget:
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped
            self._items[key] = (value, weight)
            self._size += weight

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._items.clear()
            self._size = 0


class Busy(ServiceUnavailable):
    """Every render slot stayed taken for the whole wait: 503 with ``Retry-After``."""

    description = "The server is busy rendering other requests. Please try again in a few seconds."


class RenderSlots:
    """At most ``count`` renders at once in this worker; a request waits at most ``wait`` seconds for a slot.

    A render costs tens of milliseconds of CPU; without a cap, many clients
    asking for distinct uncached answers would queue every request behind
    them. A request that gets no slot in time raises :class:`Busy` (503,
    ``Retry-After: retry_after``). ``count`` 0 means no cap.
    """

    def __init__(self, count: int, wait: float, retry_after: int = 5) -> None:
        self.count = count
        self.wait = wait
        self.retry_after = retry_after
        self._slots = threading.BoundedSemaphore(count) if count else None

    def run(self, make: Callable[[], V]) -> V:
        """``make()``, in a slot."""
        if self._slots is None:
            return make()
        if not self._slots.acquire(timeout=self.wait):
            raise Busy(retry_after=self.retry_after)
        try:
            return make()
        finally:
            self._slots.release()


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


def _rendered_bytes(value: Rendered) -> int:
    return len(value.body) + len(value.etag) + 200  # the Rendered and its datetimes


class RenderCache:
    """Rendered bodies in a :class:`ByteLRU` of ``budget`` bytes; misses render in ``slots``.

    ``renders`` counts the misses.
    """

    def __init__(self, budget: int, slots: RenderSlots | None = None) -> None:
        self._items: ByteLRU[Rendered] = ByteLRU(budget, _rendered_bytes)
        self.slots = slots if slots is not None else RenderSlots(0, 0)
        self.renders = 0

    @property
    def size_bytes(self) -> int:
        """The bytes held now, at most the budget."""
        return self._items.size_bytes

    def get(self, key: Hashable, now: datetime, make: Callable[[], Rendered]) -> Rendered:
        """The cached entry for ``key`` if it is still valid at ``now``, else ``make()``'s (in a slot), stored.

        Raises
        ------
        Busy
            If no render slot freed up in time (only on a miss).
        """
        hit = self._items.get(key)
        if hit is not None and (hit.valid_until is None or now < hit.valid_until):
            return hit
        made = self.slots.run(make)
        self.renders += 1
        self._items.put(key, made)
        return made


class PartStore:
    """The feed parts of every schedule version, in one :class:`ByteLRU`."""

    def __init__(self, budget: int) -> None:
        self.items: ByteLRU[bytes] = ByteLRU(budget, len)

    @property
    def size_bytes(self) -> int:
        """The bytes held now, at most the budget."""
        return self.items.size_bytes

    def scoped(self, version: str) -> Parts:
        """The :class:`~hmis_schedule.feed.Parts` of one schedule version."""
        items = self.items

        def parts(key: Hashable, make: Callable[[], bytes], /) -> bytes:
            scoped_key = (version, key)
            found = items.get(scoped_key)
            if found is None:
                found = make()
                items.put(scoped_key, found)
            return found

        return parts


def init_app(app: Flask, settings: Settings) -> None:
    """Give ``app`` its render cache and feed parts (``app.extensions["hmis_cache"]``, ``["hmis_parts"]``)."""
    slots = RenderSlots(settings.render_slots, settings.render_wait)
    app.extensions["hmis_cache"] = RenderCache(settings.cache_bytes // 4, slots)
    app.extensions["hmis_parts"] = PartStore(settings.cache_bytes // 2)


def render_cache() -> RenderCache:
    """The current app's render cache."""
    cache: RenderCache = current_app.extensions["hmis_cache"]
    return cache


def feed_parts(version: str) -> Parts:
    """The current app's feed parts for schedule ``version``."""
    store: PartStore = current_app.extensions["hmis_parts"]
    return store.scoped(version)
