"""Writing files safely: one lock and one atomic write, for edits, the state file and the export.

Two tools, used together by every writer of a file that others read or edit:

- :func:`locked` holds ``<file>.lock`` (the ``filelock`` package) while a
  caller reads, changes and writes a file, so concurrent writers never lose
  one another's changes; on entry it removes the temporary files a killed
  writer left. A caller that only changes an existing file says so, and no
  lock file is made for a file that does not exist.
- :func:`write_atomic` writes the new bytes to a temporary file in the same
  folder, flushed and fsynced, renames it over the file (``os.replace``) and
  fsyncs the folder. A crash at any moment leaves the old file or the new
  one, never a torn one. The previous version can be kept as ``<file>.bak``;
  the file keeps its mode unless one is given; a read-only file is never
  replaced; bytes the file holds already are not written again.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "notes.txt"
...     with locked(path):
...         write_atomic(path, b"one"), write_atomic(path, b"two", backup=True), write_atomic(path, b"two")
...     path.read_bytes(), path.with_name("notes.txt.bak").read_bytes()
(True, True, False)
(b'two', b'one')
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import filelock

from .errors import ScheduleError

__all__ = ["LOCK_TIMEOUT", "locked", "write_atomic"]

LOCK_TIMEOUT = 60.0
"""Seconds a writer waits for another writer of the same file to finish before giving up."""


@contextlib.contextmanager
def locked(path: Path, *, timeout: float = LOCK_TIMEOUT, missing: str | None = None) -> Iterator[None]:
    """Hold the lock of ``path`` (the file ``<path>.lock`` beside it) for the duration of the block.

    Every writer of ``path`` takes this lock from its read to its write. Once
    it is held, no other writer runs, so the temporary files of ``path`` a
    killed writer left (``.<name>.*.tmp``) are removed.

    Parameters
    ----------
    path:
        The file to be written (symbolic links resolved by the caller).
    timeout:
        Seconds to wait for another writer.
    missing:
        For a caller that changes an existing file only: if ``path`` does not
        exist, a :class:`ScheduleError` with this message is raised before the
        lock file is made, so a mistyped name leaves nothing behind.

    Raises
    ------
    ScheduleError
        If the folder of ``path`` does not exist, ``path`` is missing and
        ``missing`` is given, or another writer held the lock for ``timeout``
        seconds (the message says to try again).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with locked(Path(folder) / "none.toml", missing="no such file"):
    ...         pass
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: /.../none.toml: no such file
    """
    if not path.parent.is_dir():
        raise ScheduleError(f"the folder {path.parent} does not exist", source=str(path))
    if missing is not None and not path.exists():
        raise ScheduleError(missing, source=str(path))
    lock = filelock.FileLock(f"{path}.lock", timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ScheduleError(
            f"another edit has held {path.name}.lock for {timeout:.0f} seconds; try again",
            source=str(path),
        ) from None
    try:
        _remove_stale_temps(path)
        yield
    finally:
        lock.release()


def write_atomic(path: Path, data: bytes, *, backup: bool = False, mode: int | None = None) -> bool:
    """Replace the file ``path`` with ``data`` atomically; ``False`` if it held them already.

    The bytes go to a temporary file in the same folder, flushed and fsynced,
    which is renamed over ``path``; the folder is then fsynced, so the rename
    survives a crash. Readers see the old file or the new one, never a part.
    Writers of a file that others also write hold :func:`locked` around this.

    Parameters
    ----------
    path:
        The file; its folder must exist.
    data:
        Its new bytes.
    backup:
        Keep the previous version as ``<path>.bak`` (written the same way,
        before the file, with the file's mode).
    mode:
        The new file's permission bits (``0o644`` for files a web server
        reads). By default the file keeps its mode, and a new file gets the
        default for new files (``0o666`` less the umask).

    Returns
    -------
    ``True`` if the file was written, ``False`` if it held ``data`` already
    (then nothing is written, not even the backup).

    Raises
    ------
    ScheduleError
        If ``path`` is read-only (no write permission bit set, as after
        ``chmod 444``): it is not replaced.
    OSError
        If the folder cannot be written; the file is then untouched and no
        temporary file is left.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "feed.ics"
    ...     write_atomic(path, b"one", mode=0o644), write_atomic(path, b"one"), oct(path.stat().st_mode & 0o777)
    (True, False, '0o644')
    """
    try:
        old: bytes | None = path.read_bytes()
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        old, current = None, None
    if old == data:
        return False
    if current is not None and not current & 0o222:
        raise ScheduleError(
            f"is read-only (mode {current:04o}), so it was not changed: make it writable "
            f"(`chmod u+w {path.name}`) to change it",
            source=str(path),
        )
    keep = mode if mode is not None else current
    if backup and old is not None:
        _replace(path.with_name(path.name + ".bak"), old, mode=keep, prefix=path.name)
    _replace(path, data, mode=keep, prefix=path.name)
    return True


def _replace(path: Path, data: bytes, *, mode: int | None, prefix: str) -> None:
    """Write ``data`` to ``path`` through a fsynced temporary file ``.<prefix>.*.tmp`` and a rename."""
    temp = path.parent / f".{prefix}.{secrets.token_hex(8)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # the umask narrowed the mode os.open gave
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _fsync_folder(path.parent)


def _remove_stale_temps(path: Path) -> None:
    """Remove the temporary files of ``path`` a killed writer left (the caller holds the lock)."""
    for stale in path.parent.glob(glob.escape(f".{path.name}.") + "*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened, as on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
