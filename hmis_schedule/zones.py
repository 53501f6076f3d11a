"""Time zones from one known version of the IANA data: the pinned ``tzdata`` package.

``zoneinfo.ZoneInfo(name)`` reads the operating system's tz database first
and falls back to the ``tzdata`` package, so the same schedule would give
different times on machines with different system data (Africa/Casablanca,
for one, differs between Debian's 2025b and recent ``tzdata`` releases). The
library therefore makes every zone here, from ``tzdata``'s files only:

- :func:`zone_named` returns the zone of a name listed by ``tzdata``, one
  object per name (cached), so equal names give the same ``tzinfo`` and
  datetimes in a schedule's zone compare and subtract as wall-clock times.
  Its ``key`` and ``str()`` are the name, as with ``ZoneInfo(name)``, and it
  pickles and deep-copies by name (``ZoneInfo.from_file`` objects do not).
- :func:`zone_names` lists the names ``tzdata`` has (what
  ``zoneinfo.available_timezones()`` gives without system data).
- :func:`tzdata_version` is the IANA release of that data (``"2025b"``),
  written into every feed (``X-HMIS-TZDATA``) and shown by ``/healthz``.

Nothing global changes: ``zoneinfo``'s search path (``TZPATH``) is left to the
host application, so its own ``ZoneInfo`` objects keep reading what they read.

>>> zone_named("America/Los_Angeles") is zone_named("America/Los_Angeles")
True
>>> str(zone_named("Europe/Dublin")), "UTC" in zone_names()
('Europe/Dublin', True)
"""

from __future__ import annotations

import difflib
import functools
from importlib import resources
from zoneinfo import ZoneInfo

import tzdata  # type: ignore[import-untyped]  # no stubs: only its IANA_VERSION string is read

from .errors import ScheduleError

__all__ = ["TzdataZone", "tzdata_version", "zone_named", "zone_names"]


class TzdataZone(ZoneInfo):
    """A :class:`~zoneinfo.ZoneInfo` read from the ``tzdata`` package; made only by :func:`zone_named`."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        assert self.key is not None
        return zone_named, (self.key,)


def tzdata_version() -> str:
    """The IANA release of the time-zone data every zone comes from, such as ``"2025b"``.

    >>> tzdata_version()[:2]
    '20'
    """
    return str(tzdata.IANA_VERSION)


@functools.cache
def zone_names() -> frozenset[str]:
    """Every zone name the ``tzdata`` package has (links such as ``US/Pacific`` included)."""
    listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(listed.split())


@functools.cache
def _load(name: str) -> TzdataZone:
    *folders, file = name.split("/")
    with resources.files(".".join(["tzdata.zoneinfo", *folders])).joinpath(file).open("rb") as data:
        zone = TzdataZone.from_file(data, key=name)
    assert isinstance(zone, TzdataZone)
    return zone


def zone_named(name: object) -> ZoneInfo:
    """The IANA time zone ``name`` from the ``tzdata`` package, or a :class:`ScheduleError` on ``timezone``.

    Parameters
    ----------
    name:
        A name ``tzdata`` lists, such as ``"America/Los_Angeles"``.

    Returns
    -------
    The zone; the same object for the same name.

    Raises
    ------
    ScheduleError
        On field ``timezone`` for any other value, naming close matches.

    >>> zone_named("America/Los_Angeles").key
    'America/Los_Angeles'
    >>> zone_named("America/Los_Angeles ")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: timezone: unknown time zone 'America/Los_Angeles ': ... (did you mean 'America/Los_Angeles'...?)
    """
    if isinstance(name, str) and name in zone_names():
        return _load(name)
    close = difflib.get_close_matches(str(name), sorted(zone_names()), n=5)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise ScheduleError(
        f"unknown time zone {name!r}: use an IANA name such as 'America/Los_Angeles'{hint}",
        field="timezone",
    )
