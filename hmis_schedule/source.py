"""Sources: where a server's live inputs come from, a fixed value or a file that is followed.

The schedule, the state file (revoked links) and the secrets are each read
through a :class:`Source`: ``reading()`` gives the value to serve now and,
when the latest version of a file could not be used, why. A :class:`Fixed`
source holds a value given once (the built-in schedule, a schedule built in
code, secrets from the environment); a
:class:`~hmis_schedule.follow.FileFollower` follows a file and has the same
members, so nothing that reads a source knows which kind it has.

:func:`schedule_source` and :func:`state_source` build the sources of a
schedule and of a state file from what a deployment names.

A followed schedule file with a state file is a :class:`Publishing` source:
each time it adopts a new version of the schedule it publishes it
(:func:`hmis_schedule.state.publish`: what the feeds show is recorded in the
state file, under its lock), and the :class:`Loaded` value carries that
record, so every feed, session calendar and JSON record of that version
shows the recorded SEQUENCE and stamps. When the state file changes (another
worker or the command line published), the record is read again, without
writing. When the record cannot be saved, the source keeps serving with the
record in memory and reports why as its error (``/healthz`` says
``degraded``); the next change of either file tries to save it again.

>>> from hmis_schedule import clackamas
>>> source = schedule_source(None)
>>> source.value.schedule.id, source.error
('clackamas-hmis', None)
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from . import clock
from .files import clackamas, decode_text, from_toml
from .follow import SETTLE, FileFollower, Readable, Reading
from .published import Published
from .schedule import Schedule
from .state import State, from_state_toml, publish, published_for

__all__ = ["Fixed", "Loaded", "Publishing", "Source", "schedule_source", "state_source"]

T = TypeVar("T")


class Source(Protocol[T]):
    """Anything that hands out a current value and, if its latest version is not in use, why."""

    def reading(self) -> Reading[T]:
        """The value and the error, read together."""
        ...

    @property
    def value(self) -> T:
        """The value to use now."""
        ...

    @property
    def error(self) -> str | None:
        """Why the latest version is not in use, or ``None`` when all is well."""
        ...


class Fixed(Readable[T]):
    """A source whose value never changes.

    >>> Fixed(3).reading()
    Reading(value=3, error=None)
    """

    def __init__(self, value: T) -> None:
        self._reading: Reading[T] = Reading(value)

    def reading(self) -> Reading[T]:
        """The value, with no error."""
        return self._reading


@dataclass(frozen=True, slots=True)
class Loaded:
    """A schedule as a server serves it: with its version computed once, where it came from, what was published.

    ``published`` is the record of what was published
    (:mod:`hmis_schedule.published`), or ``None`` when the schedule is served
    without one (the built-in schedule, one given in code, or no state
    file). ``version`` covers the schedule and the record, so caches and
    ETags change when either does.
    """

    schedule: Schedule
    version: str
    source: str
    published: Published | None = None

    @classmethod
    def of(cls, schedule: Schedule, source: str, published: Published | None = None) -> Loaded:
        """``schedule`` with its version (the schedule's, or with a record one that covers both).

        >>> from hmis_schedule import clackamas
        >>> s = clackamas()
        >>> Loaded.of(s, "built in").version == s.version != Loaded.of(s, "built in", Published()).version
        True
        """
        if published is None:
            return cls(schedule, schedule.version, source)
        both = hashlib.sha256(f"{schedule.version} {published.version}".encode()).hexdigest()[:16]
        return cls(schedule, both, source, published)


class Publishing(Readable[Loaded]):
    """A followed schedule that is published on adoption; its :class:`Loaded` values carry the record.

    Parameters
    ----------
    schedule:
        The followed schedule file (its values carry no record).
    state:
        The followed state file.
    now:
        The clock (aware datetimes).
    logger:
        Where a record that cannot be saved is reported.

    The first value is published on construction. Afterwards, on each
    :meth:`reading`: a new schedule value is published (written); a new
    state value, or a record not saved yet, is recorded again (written only
    if the record was not saved). One thread at a time does this; a thread
    that arrives meanwhile waits for it, so it never serves the old value.
    """

    def __init__(
        self,
        schedule: Readable[Loaded],
        state: FileFollower[State],
        *,
        now: Callable[[], datetime],
        logger: logging.Logger | None = None,
    ) -> None:
        self._schedule = schedule
        self._state = state
        self._now = now
        self._log = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()
        self._seen: tuple[Loaded, State] | None = None
        self._problem: str | None = None
        self._value: Loaded
        self._update(schedule.value, state.value)

    @property
    def state_path(self) -> Path:
        """The state file the record is kept in."""
        return self._state.path

    def reading(self) -> Reading[Loaded]:
        """The schedule with its record, and why a file or the record is not as it should be."""
        read = self._schedule.reading()
        state = self._state.value
        if not self._current(read.value, state):
            with self._lock:  # a thread arriving during another's update waits for it, never serves the old value
                if not self._current(read.value, state):
                    try:
                        self._update(read.value, state)
                    except Exception:  # never let publishing break serving: keep the value served so far
                        self._log.exception("state file %s: the record could not be updated", self._state.path)
                        self._seen = (read.value, state)
                        self._problem = f"{self._state.path}: what was published could not be recorded (see the log)"
        errors = [e for e in (read.error, self._problem) if e]
        return Reading(self._value, "; ".join(errors) or None)

    def _current(self, loaded: Loaded, state: State) -> bool:
        """Whether the value served was made from ``loaded`` and ``state``."""
        seen = self._seen
        return seen is not None and loaded is seen[0] and state is seen[1]

    def _update(self, loaded: Loaded, state: State) -> None:
        memory = self._value.published if self._seen is not None else None
        now = self._now()
        if self._seen is None or loaded is not self._seen[0] or self._problem is not None:
            done = publish(self._state.path, loaded.schedule, now=now, memory=memory)
            if done.error != self._problem and done.error:
                self._log.warning("state file %s; serving the record from memory", done.error)
            published, self._problem = done.published, done.error
        else:  # someone else published: read their record, without writing
            published = published_for(loaded.schedule, state.published, now=now, memory=memory)
        self._value = Loaded.of(loaded.schedule, loaded.source, published)
        self._seen = (loaded, state)


def schedule_source(
    value: Schedule | str | os.PathLike[str] | None,
    *,
    interval: float = 1.0,
    settle: float = SETTLE,
    monotonic: Callable[[], float] | None = None,
    wall: Callable[[], float] | None = None,
    logger: logging.Logger | None = None,
    state: str | os.PathLike[str] | None = None,
    now: Callable[[], datetime] | None = None,
) -> Source[Loaded]:
    """The source of a schedule: the built-in one (``None`` or ``""``), one given in code, or a followed file.

    Parameters
    ----------
    value:
        A :class:`~hmis_schedule.Schedule`, a schedule file's path, or nothing.
    interval, settle, monotonic, wall, logger:
        How a file is followed (see :class:`~hmis_schedule.follow.FileFollower`).
    state:
        The state file, for a schedule file: the source is then
        :class:`Publishing` (each version adopted is published, and served
        with the record). The built-in schedule and one given in code are
        served without a record.
    now:
        The clock for publishing (default: :func:`hmis_schedule.clock.now`).

    Raises
    ------
    ScheduleError
        If the file is missing or not a valid schedule at start (naming the
        file and every field).
    """
    if isinstance(value, Schedule):
        return Fixed(Loaded.of(value, "<in code>"))
    if value is None or str(value) == "":
        return Fixed(Loaded.of(clackamas(), "built in"))
    source = str(value)

    def parse(raw: bytes) -> Loaded:
        return Loaded.of(from_toml(decode_text(raw, source), source=source), source)

    followed = FileFollower(
        value, parse, interval=interval, settle=settle, monotonic=monotonic, wall=wall, name="schedule file",
        logger=logger,
    )  # fmt: skip
    if state is None:
        return followed
    states = state_source(state, interval=interval, settle=settle, monotonic=monotonic, wall=wall, logger=logger)
    return Publishing(followed, states, now=now or (lambda: clock.now(UTC)), logger=logger)


def state_source(
    path: str | os.PathLike[str],
    *,
    interval: float = 1.0,
    settle: float = SETTLE,
    monotonic: Callable[[], float] | None = None,
    wall: Callable[[], float] | None = None,
    logger: logging.Logger | None = None,
) -> FileFollower[State]:
    """The followed state file at ``path``; a missing file is an empty state.

    ``interval``, ``settle``, ``monotonic``, ``wall`` and ``logger`` are as
    for :class:`~hmis_schedule.follow.FileFollower`.

    Raises
    ------
    ScheduleError
        If the file exists and is not valid at start.
    """
    source = str(path)

    def parse(raw: bytes) -> State:
        return from_state_toml(decode_text(raw, source), source=source)

    return FileFollower(
        Path(path), parse, interval=interval, settle=settle, monotonic=monotonic, wall=wall, missing=State,
        name="state file", logger=logger,
    )  # fmt: skip
