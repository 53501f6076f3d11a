"""Follow a file while serving: re-read it once it has settled, keep the last good reading while it is broken.

The server reads the schedule, state and secrets files through a
:class:`FileFollower`. On use it *looks* at the file: it compares the
file's signature ``(st_mtime_ns, st_size, st_ino)`` with the version it
last loaded, at most once per ``interval`` seconds, by one thread at a time
(a thread that finds another one looking waits for it, at most
:data:`WAIT` seconds). Nothing is read while the signatures are equal.

**The settle rule.** A changed file is adopted once it has been unchanged for
``settle`` seconds, judged by the clock and not by how many requests came:

- its modification time is at least ``settle`` seconds old by the wall clock
  (``time.time()``, injectable), or
- the same signature has been seen for at least ``settle`` seconds by the
  monotonic clock (this covers a modification time in the future, from a
  clock set back or a file copied from another machine: following never
  wedges; it waits at most ``settle`` seconds after its first look).

A look that finds a change not yet settled remembers when it will be, and the
first use from then on looks again, even inside ``interval``: so the *first*
request after a change has settled gets the new file, on an idle worker too,
and a file whose writes keep coming less than ``settle`` seconds apart is
never adopted while they continue (finding 7 of issue 11: a prefix of a
schedule can itself be a valid schedule, so a parse is no proof that a file
is whole). A modification time in whole seconds counts as the end of its
second, since file systems that keep whole seconds round down. A wall clock
set *forward* can make a file being written look settled at one look; its
later writes carry the new time and settle as usual. Edits made with
``hmis-schedule`` are atomic renames whose time is set when written, so the
rule only delays them by what is left of ``settle``.

The bound: a use that starts ``max(interval, settle)`` seconds or more after a
file was last written sees that version (if it is good): the last look
before the use either came after the write, and then it adopted the file or
scheduled the look this use makes, or it came ``interval`` or more before
the use, and then this use looks. With the server's defaults (1 and 1) a
link revoked with ``hmis-schedule revoke`` gets 404 on every request that
starts 1 second after ``revoke`` exits, on every worker, busy or idle, on a
file system that keeps sub-second times (the promise made to
administrators is 2 seconds, which also holds where file times are whole
seconds).

A settled file is read (its signature must be the same before and after the
read) and parsed:

- a good file replaces the value at once (one attribute assignment, so a
  request sees the old reading or the new one, never a mix);
- a bad, unreadable or missing file keeps the last good value, sets
  :attr:`FileFollower.error` (the one-line reason, with the field path) and
  logs it once for that version of the file, not on every request (the
  parser decides what the reason says: the secrets file's never quotes the
  file);
- a good file again clears the error.

At start the file is read at once, settled or not. Every process follows on
its own (gunicorn workers share nothing).

>>> import tempfile
>>> from pathlib import Path
>>> folder = tempfile.TemporaryDirectory()
>>> path = Path(folder.name) / "n.txt"
>>> _ = path.write_text("1")
>>> clocks = {"wall": 100.0, "monotonic": 0.0}
>>> follower = FileFollower(
...     path, int, interval=1, settle=1,
...     monotonic=lambda: clocks["monotonic"], wall=lambda: clocks["wall"],
... )
>>> _ = path.write_text("22")
>>> os.utime(path, (100.25, 100.25))  # written at 100.25 by the wall clock
>>> clocks.update(wall=101.0, monotonic=1.0)
>>> follower.value  # written 0.75 s ago: it may still be being written
1
>>> clocks.update(wall=101.25, monotonic=1.25)
>>> follower.value  # unchanged for 1 s: read on this very use, inside the interval
22
>>> folder.cleanup()
"""

from __future__ import annotations

import logging
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from .errors import ScheduleError, one_line

__all__ = ["MAX_BYTES", "SETTLE", "WAIT", "FileFollower", "Readable", "Reading", "Signature", "settles_at", "signature"]

T = TypeVar("T")

Signature = tuple[int, int, int]
"""A file's ``(st_mtime_ns, st_size, st_ino)``."""

MAX_BYTES = 16 * 1024 * 1024
"""A followed file larger than this is refused (it cannot be a schedule)."""

SETTLE = 1.0
"""Seconds a changed file must stay unchanged before it is adopted (the default of ``settle``)."""

WAIT = 2.0
"""Seconds a thread waits for another thread's look at the file before it serves what it has."""

_MISSING = "no such file"
_SECOND_NS = 1_000_000_000


def signature(path: Path) -> Signature | None:
    """The file's ``(st_mtime_ns, st_size, st_ino)``, or ``None`` if it cannot be looked at.

    >>> signature(Path("/no/such/file")) is None
    True
    """
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def settles_at(sig: Signature, settle: float) -> float:
    """The wall-clock time (seconds) from which the file ``sig`` describes counts as settled.

    Its modification time plus ``settle``; a time in whole seconds counts as
    the end of that second, since a file system that keeps whole seconds
    rounds down (waiting a second longer is harmless, adopting a file still
    being written is not).

    >>> settles_at((1_500_000_000, 10, 1), 1.0)
    2.5
    >>> settles_at((2_000_000_000, 10, 1), 1.0)
    4.0
    """
    mtime_ns = sig[0] + (_SECOND_NS if sig[0] % _SECOND_NS == 0 else 0)
    return mtime_ns / _SECOND_NS + settle


@dataclass(frozen=True, slots=True)
class _Pending:
    """A version of the file (``None``: no file) seen changed and not yet settled, since ``since`` (monotonic)."""

    signature: Signature | None
    since: float


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    """The value being served and, if the file's latest version could not be used, why."""

    value: T
    error: str | None = None


class Readable(ABC, Generic[T]):
    """Something with a current :class:`Reading`; ``value`` and ``error`` are read from it."""

    @abstractmethod
    def reading(self) -> Reading[T]:
        """The value and the error, read together."""

    @property
    def value(self) -> T:
        """The value to use now."""
        return self.reading().value

    @property
    def error(self) -> str | None:
        """Why the latest version is not in use, or ``None`` when all is well."""
        return self.reading().error


class FileFollower(Readable[T]):
    """Serves the last good parse of a file, re-read once a change has settled (see the module docstring).

    Parameters
    ----------
    path:
        The file to follow.
    parse:
        Turns the file's bytes into a value; raises (``ScheduleError`` or any
        other exception) for a file that is not good.
    interval:
        Seconds between looks at the file while nothing is pending (0: on every use).
    settle:
        Seconds a changed file must stay unchanged before it is adopted
        (default :data:`SETTLE`; 0: as soon as it is seen).
    monotonic:
        The clock the looks are timed by, in seconds (default, or ``None``:
        :func:`time.monotonic`).
    wall:
        The clock modification times are compared with, in seconds since the
        epoch (default, or ``None``: :func:`time.time`).
    missing:
        The value when the file does not exist at start (then a later missing
        file is still an error, keeping the last good value); without it the
        file must exist and be good at start.
    name:
        What the log calls the file (``"schedule file"``).
    logger:
        Where changes and errors are logged.

    Raises
    ------
    ScheduleError
        At start, for a file that is missing (without ``missing``), unreadable
        or not good; for an ``interval`` or ``settle`` that is not seconds >= 0.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        parse: Callable[[bytes], T],
        *,
        interval: float = 1.0,
        settle: float = SETTLE,
        monotonic: Callable[[], float] | None = None,
        wall: Callable[[], float] | None = None,
        missing: Callable[[], T] | None = None,
        name: str = "file",
        logger: logging.Logger | None = None,
    ) -> None:
        for field, seconds in (("interval", interval), ("settle", settle)):
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0:
                raise ScheduleError(f"expected seconds >= 0, got {seconds!r}", field=field)
        self.path = Path(path)
        self._parse = parse
        self._interval = float(interval)
        self._settle = float(settle)
        self._monotonic = monotonic or time.monotonic
        self._wall = wall or time.time
        self._name = name
        self._log = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()
        self._pending: _Pending | None = None
        self._seen: Signature | None = None
        self._reading: Reading[T]
        for _ in range(5):  # a file replaced while it is read is read again
            sig = signature(self.path)
            if sig is None:
                if self.path.exists():
                    raise ScheduleError("cannot be read", source=str(self.path))
                if missing is None:
                    raise ScheduleError(_MISSING, source=str(self.path))
                self._reading = Reading(missing())
                break
            read = self._read(sig)
            if read is not None:
                self._seen = sig
                self._reading = Reading(self._parse_or_raise(read))
                break
        else:
            raise ScheduleError("kept changing while it was read; try again", source=str(self.path))
        self._checked = self._monotonic()

    # -- what callers read -----------------------------------------------------------

    def reading(self) -> Reading[T]:
        """The value and the error, read together (after looking at the file if it is time)."""
        self.check()
        return self._reading

    # -- looking at the file --------------------------------------------------------------

    def check(self) -> None:
        """Look at the file if it is time: ``interval`` has passed since the last look, or a pending change has settled.

        A thread that finds another one looking waits for it (at most
        :data:`WAIT` seconds), so that no use after a change has settled is
        answered from the old version.
        """
        if not self._due():
            return
        if not self._lock.acquire(timeout=WAIT):
            return
        try:
            if not self._due():  # another thread has just looked
                return
            try:
                self._look()
            finally:
                # only once the look is done: until then other threads find it due and wait for it
                # (set before, a thread arriving mid-look served the old version)
                self._checked = self._monotonic()
        except Exception:  # never let following a file break serving
            self._log.exception("%s %s: could not be checked", self._name, self.path)
        finally:
            self._lock.release()

    def _due(self) -> bool:
        if self._monotonic() - self._checked >= self._interval:
            return True
        pending = self._pending
        return pending is not None and self._settled(pending)

    def _settled(self, pending: _Pending) -> bool:
        """Whether ``pending`` has been unchanged for ``settle`` seconds, by its modification time or by our looks."""
        if self._monotonic() - pending.since >= self._settle:
            return True
        return pending.signature is not None and self._wall() >= settles_at(pending.signature, self._settle)

    def _look(self) -> None:
        sig = signature(self.path)
        if sig == self._seen:
            self._pending = None
            return
        if self._pending is None or self._pending.signature != sig:  # changed since the last look
            self._pending = _Pending(sig, self._monotonic())
        if not self._settled(self._pending):
            return  # the first use once it has settled looks again
        self._pending = None
        if sig is None:
            self._seen = None
            self._fail(_MISSING if not self.path.exists() else "cannot be read")
            return
        try:
            read = self._read(sig)
        except ScheduleError as err:
            self._seen = sig
            self._fail(one_line(err), source_named=True)
            return
        if read is None:  # it changed while being read: it has not settled after all
            self._pending = _Pending(signature(self.path), self._monotonic())
            return
        self._seen = sig
        try:
            value = self._parse(read)
        except Exception as err:
            self._fail(one_line(err), source_named=isinstance(err, ScheduleError) and bool(err.source))
            return
        self._reading = Reading(value)
        self._log.info("%s %s changed: now serving the new version", self._name, self.path)

    def _fail(self, reason: str, *, source_named: bool = False) -> None:
        error = reason if source_named else f"{self.path}: {reason}"
        self._reading = Reading(self._reading.value, error)
        self._log.warning("%s %s; still serving the last good version", self._name, error)

    def _read(self, sig: Signature | None) -> bytes | None:
        """The file's bytes if it is the file ``sig`` describes throughout the read, else ``None``."""
        try:
            with self.path.open("rb") as handle:
                before = os.fstat(handle.fileno())
                if (before.st_mtime_ns, before.st_size, before.st_ino) != sig:
                    return None
                if before.st_size > MAX_BYTES:
                    raise ScheduleError(f"too large ({before.st_size} bytes)", source=str(self.path))
                data = handle.read(MAX_BYTES + 1)
                after = os.fstat(handle.fileno())
        except FileNotFoundError:
            return None
        except OSError as err:
            raise ScheduleError(f"cannot be read: {err.strerror}", source=str(self.path)) from None
        if (after.st_mtime_ns, after.st_size, after.st_ino) != sig or len(data) != sig[1]:
            return None
        return data

    def _parse_or_raise(self, data: bytes) -> T:
        try:
            return self._parse(data)
        except ScheduleError:
            raise
        except Exception as err:
            raise ScheduleError(one_line(err), source=str(self.path)) from None
