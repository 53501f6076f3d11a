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

>>> from hmis_schedule import clackamas
>>> source = schedule_source(None)
>>> source.value.schedule.id, source.error
('clackamas-hmis', None)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from .files import clackamas, decode_text, from_toml
from .follow import SETTLE, FileFollower, Readable, Reading
from .schedule import Schedule
from .state import State, from_state_toml

__all__ = ["Fixed", "Loaded", "Source", "schedule_source", "state_source"]

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
    """A schedule as a server serves it: with its version computed once, and where it came from."""

    schedule: Schedule
    version: str
    source: str

    @classmethod
    def of(cls, schedule: Schedule, source: str) -> Loaded:
        """``schedule`` with its version."""
        return cls(schedule, schedule.version, source)


def schedule_source(
    value: Schedule | str | os.PathLike[str] | None,
    *,
    interval: float = 1.0,
    settle: float = SETTLE,
    monotonic: Callable[[], float] | None = None,
    wall: Callable[[], float] | None = None,
    logger: logging.Logger | None = None,
) -> Source[Loaded]:
    """The source of a schedule: the built-in one (``None`` or ``""``), one given in code, or a followed file.

    Parameters
    ----------
    value:
        A :class:`~hmis_schedule.Schedule`, a schedule file's path, or nothing.
    interval, settle, monotonic, wall, logger:
        How a file is followed (see :class:`~hmis_schedule.follow.FileFollower`).

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

    return FileFollower(
        value, parse, interval=interval, settle=settle, monotonic=monotonic, wall=wall, name="schedule file",
        logger=logger,
    )  # fmt: skip


def state_source(
    path: str | os.PathLike[str],
    *,
    interval: float = 1.0,
    settle: float = SETTLE,
    monotonic: Callable[[], float] | None = None,
    wall: Callable[[], float] | None = None,
    logger: logging.Logger | None = None,
) -> Source[State]:
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
