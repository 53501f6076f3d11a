"""Follow a file while serving: re-read it when it changes, keep the last good reading while it is broken.

The server reads the schedule file (and the state file) through a
:class:`FileFollower`. On use, at most once per ``interval`` seconds and by
one thread at a time (a non-blocking lock: other threads keep serving what
they have), the follower compares the file's ``(st_mtime_ns, st_size,
st_ino)`` with what it last loaded; nothing is read while they are equal.

A changed file is read only once it has stopped changing: the same
signature must be seen on two checks in a row (so a human editor that
writes the file in place, in pieces, is not read half-way), and it must
not change while it is read. Then it is parsed:

- a good file replaces the value at once (one attribute assignment, so a
  request sees the old reading or the new one, never a mix);
- a bad, unreadable or missing file keeps the last good value, sets
  :attr:`FileFollower.error` (the one-line reason, with the field path) and
  logs it once for that version of the file, not on every request;
- a good file again clears the error.

Every process follows on its own (gunicorn workers share nothing), so each
notices a change within about two intervals of its next request. Time comes
from an injectable ``monotonic`` clock so tests need no sleeping.

>>> import tempfile
>>> from pathlib import Path
>>> folder = tempfile.TemporaryDirectory()
>>> path = Path(folder.name) / "n.txt"
>>> _ = path.write_text("1")
>>> ticks = iter(range(100))
>>> follower = FileFollower(path, lambda raw: int(raw), interval=1, monotonic=lambda: next(ticks))
>>> follower.value
1
>>> _ = path.write_text("22")
>>> follower.value, follower.value  # seen changed, then seen again unchanged: read
(1, 22)
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

__all__ = ["MAX_BYTES", "FileFollower", "Readable", "Reading", "Signature", "signature"]

T = TypeVar("T")

Signature = tuple[int, int, int]
"""A file's ``(st_mtime_ns, st_size, st_ino)``."""

MAX_BYTES = 16 * 1024 * 1024
"""A followed file larger than this is refused (it cannot be a schedule)."""

_MISSING = "no such file"


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
    """Serves the last good parse of a file, re-read when the file changes (see the module docstring).

    Parameters
    ----------
    path:
        The file to follow.
    parse:
        Turns the file's bytes into a value; raises (``ScheduleError`` or any
        other exception) for a file that is not good.
    interval:
        Seconds between looks at the file (0: on every use).
    monotonic:
        The clock, in seconds (default, or ``None``: :func:`time.monotonic`).
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
        or not good.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        parse: Callable[[bytes], T],
        *,
        interval: float = 1.0,
        monotonic: Callable[[], float] | None = None,
        missing: Callable[[], T] | None = None,
        name: str = "file",
        logger: logging.Logger | None = None,
    ) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval < 0:
            raise ScheduleError(f"expected seconds >= 0, got {interval!r}", field="interval")
        self.path = Path(path)
        self._parse = parse
        self._interval = float(interval)
        self._monotonic = monotonic or time.monotonic
        self._name = name
        self._log = logger or logging.getLogger(__name__)
        self._lock = threading.Lock()
        self._pending: Signature | bool | None = False  # False: nothing pending
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
        """Look at the file if ``interval`` has passed since the last look and no other thread is looking."""
        if self._monotonic() - self._checked < self._interval:
            return
        if not self._lock.acquire(blocking=False):
            return
        try:
            now = self._monotonic()
            if now - self._checked < self._interval:
                return
            self._checked = now
            self._look()
        except Exception:  # never let following a file break serving
            self._log.exception("%s %s: could not be checked", self._name, self.path)
        finally:
            self._lock.release()

    def _look(self) -> None:
        sig = signature(self.path)
        if sig == self._seen:
            self._pending = False
            return
        if sig != self._pending:  # changed since the last look: wait until it stops changing
            self._pending = sig
            return
        self._pending = False
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
        if read is None:  # it changed while being read: look again next time
            self._pending = signature(self.path)
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
