"""The audit log: who changed the schedule or handed out a private link, when, and what changed.

One JSON object per line in ``<schedule>.audit.jsonl``, beside the state file
(:func:`audit_path`: ``my-schedule.state.toml`` -> ``my-schedule.audit.jsonl``).
Each line holds:

- ``when``: the time, UTC, ISO 8601 (``2026-12-02T17:30:00Z``);
- ``who``: the actor, ``cli:alice`` for the command line (the operating-system
  user), ``admin:NAME`` for the admin pages;
- ``action``: ``close``, ``reopen``, ``cancel``, ``uncancel``, ``move``,
  ``add-session``, ``private-link`` or ``revoke``;
- ``summary``: one sentence for a person;
- ``changes``: what subscribers saw change, each ``{"uid", "before", "after"}``
  with the session as plain data (:meth:`hmis_schedule.diff.SessionChange.to_data`);
- for private links, ``label`` and ``expires`` (never the token or the link).

The log is append-only. :func:`append` writes one whole line with one
``write`` on a file opened with ``O_APPEND``, then fsyncs it, under the log's
own lock (``<log>.lock``), and the edits call it under the lock of the file
they edit; so lines from concurrent processes never interleave or tear. A
line left broken by a crash is never glued to the next one (a newline is
written first) and is skipped, with a warning, by :func:`read`, which reads
from the end of the file and returns the newest entries first, at most a
given number.

>>> import tempfile
>>> from datetime import UTC, datetime
>>> folder = tempfile.TemporaryDirectory()
>>> log = Path(folder.name) / "s.audit.jsonl"
>>> append(log, AuditEntry(at=datetime(2026, 12, 2, 17, 30, tzinfo=UTC), actor="cli:alice",
...                        action="revoke", summary="Revoked the links of 'Bob'.", label="Bob"))
>>> [(e.actor, e.action, e.label) for e in read(log).entries]
[('cli:alice', 'revoke', 'Bob')]
>>> folder.cleanup()
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import writer
from .errors import ScheduleError
from .values import aware_datetime

__all__ = [
    "AUDIT_SUFFIX",
    "DEFAULT_COUNT",
    "MAX_COUNT",
    "AuditEntry",
    "AuditLog",
    "append",
    "audit_path",
    "check_actor",
    "entries_as_data",
    "read",
]

AUDIT_SUFFIX = ".audit.jsonl"
"""The ending of an audit log's name."""
DEFAULT_COUNT = 100
"""How many entries :func:`read` returns unless told otherwise."""
MAX_COUNT = 10_000
"""The most entries :func:`read` returns at once."""
MAX_ACTOR = 100
"""The longest actor name, in characters."""

_ACTION = re.compile(r"^[a-z][a-z-]{0,39}$")
_BLOCK = 64 * 1024
_log = logging.getLogger(__name__)


def audit_path(state_file: str | os.PathLike[str]) -> Path:
    """The audit log beside the state file ``state_file`` (links resolved).

    >>> audit_path("/srv/hmis/my-schedule.state.toml").name
    'my-schedule.audit.jsonl'
    >>> audit_path("/srv/hmis/state.toml").name
    'state.audit.jsonl'
    """
    real = Path(os.path.realpath(state_file))
    stem = real.name
    for ending in (".state.toml", ".toml"):
        if stem.endswith(ending):
            stem = stem[: -len(ending)]
            break
    return real.with_name(stem + AUDIT_SUFFIX)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One line of the audit log.

    Attributes
    ----------
    at:
        When (aware; kept in UTC, whole seconds).
    actor:
        Who: ``cli:USER`` or ``admin:NAME`` (1 to :data:`MAX_ACTOR` printable characters).
    action:
        What kind of thing was done, e.g. ``close`` or ``private-link``.
    summary:
        One sentence for a person.
    changes:
        What subscribers saw change, as plain data (``uid``, ``before``, ``after``).
    label, expires:
        For a private link: whom it is for and until when it works (never the token).
    """

    at: datetime
    actor: str
    action: str
    summary: str
    changes: tuple[Mapping[str, Any], ...] = ()
    label: str | None = None
    expires: datetime | None = None

    def __post_init__(self) -> None:
        at = aware_datetime(self.at, "at", text=False).astimezone(UTC).replace(microsecond=0)
        object.__setattr__(self, "at", at)
        object.__setattr__(self, "actor", check_actor(self.actor))
        if not isinstance(self.action, str) or not _ACTION.match(self.action):
            raise ScheduleError(f"expected lowercase letters and hyphens, got {self.action!r}", field="action")
        if not isinstance(self.summary, str):
            raise ScheduleError(f"expected text, got {self.summary!r}", field="summary")
        object.__setattr__(self, "changes", tuple(self.changes))
        if self.expires is not None:
            expires = aware_datetime(self.expires, "expires", text=False).astimezone(UTC).replace(microsecond=0)
            object.__setattr__(self, "expires", expires)

    def to_data(self) -> dict[str, Any]:
        """The entry as the JSON object written on its line."""
        data: dict[str, Any] = {
            "when": _iso(self.at),
            "who": self.actor,
            "action": self.action,
            "summary": self.summary,
            "changes": [dict(c) for c in self.changes],
        }
        if self.label is not None:
            data["label"] = self.label
        if self.expires is not None:
            data["expires"] = _iso(self.expires)
        return data

    @classmethod
    def from_data(cls, data: object) -> AuditEntry:
        """An entry from the JSON object of a line; :class:`ScheduleError` if it is not one."""
        if not isinstance(data, dict):
            raise ScheduleError("expected a JSON object", field="")
        try:
            changes = data.get("changes", [])
            if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
                raise ScheduleError("expected a list of objects", field="changes")
            expires = data.get("expires")
            return cls(
                at=_parse_time(data.get("when"), "when"),
                actor=data.get("who"),  # type: ignore[arg-type]  # checked in __post_init__
                action=data.get("action"),  # type: ignore[arg-type]
                summary=data.get("summary", ""),
                changes=tuple(changes),
                label=data.get("label"),
                expires=None if expires is None else _parse_time(expires, "expires"),
            )
        except TypeError as err:
            raise ScheduleError(f"not an audit entry: {err}", field="") from None


@dataclass(frozen=True, slots=True)
class AuditLog:
    """What :func:`read` found: the newest entries first, and the broken lines it skipped (where and why)."""

    entries: tuple[AuditEntry, ...] = ()
    skipped: tuple[str, ...] = field(default=())


def check_actor(value: object, name: str = "actor") -> str:
    """``value`` stripped if it names an actor (printable, 1 to :data:`MAX_ACTOR` characters), else raise.

    >>> check_actor(" cli:alice ")
    'cli:alice'
    """
    if not isinstance(value, str) or not value.strip():
        raise ScheduleError("say who makes the change, such as 'cli:alice' or 'admin:maria'", field=name)
    text = value.strip()
    if len(text) > MAX_ACTOR or not text.isprintable():
        raise ScheduleError(f"expected at most {MAX_ACTOR} printable characters", field=name)
    return text


def append(path: str | os.PathLike[str], entry: AuditEntry) -> None:
    """Append ``entry`` to the audit log ``path`` as one line (created if missing).

    Under the log's lock, one ``write`` of the whole line on a file opened with
    ``O_APPEND``, then ``fsync``: concurrent writers' lines never interleave.
    A last line left without its newline (a crash) gets one first, so it is
    not glued to this entry.

    Raises
    ------
    ScheduleError
        If the folder does not exist or another writer holds the lock too long.
    OSError
        If the log cannot be written.
    """
    target = Path(os.path.realpath(path))
    line = json.dumps(entry.to_data(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    data = (line + "\n").encode("utf-8")
    with writer.locked(target):
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o660)  # never world-readable: it names people
        try:
            size = os.fstat(fd).st_size
            if size and _last_byte(target, size) != b"\n":
                data = b"\n" + data
            written = os.write(fd, data)
            if written != len(data):  # a full disk: say so rather than leave a part silently
                raise OSError(f"wrote {written} of {len(data)} bytes to {target}")
            os.fsync(fd)
        finally:
            os.close(fd)


def read(path: str | os.PathLike[str], *, count: int = DEFAULT_COUNT) -> AuditLog:
    """The newest ``count`` entries of the audit log ``path``, newest first (a missing log is empty).

    The file is read from its end, so the cost grows with ``count``, not with
    the log's length. A line that is not a valid entry is skipped and logged
    as a warning (with its byte offset), never repaired or removed.

    Raises
    ------
    ScheduleError
        If ``count`` is not 1 to :data:`MAX_COUNT`.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ScheduleError(f"expected a whole number from 1 to {MAX_COUNT}, got {count!r}", field="count")
    entries: list[AuditEntry] = []
    skipped: list[str] = []
    try:
        handle = open(path, "rb")  # noqa: SIM115  # closed below; lines are read from the end
    except FileNotFoundError:
        return AuditLog()
    with handle:
        for offset, raw in _lines_from_end(handle):
            if not raw.strip():
                continue
            try:
                entries.append(AuditEntry.from_data(json.loads(raw.decode("utf-8"))))
            except (UnicodeDecodeError, json.JSONDecodeError, ScheduleError) as err:
                why = f"{path}: the line at byte {offset} is not an audit entry ({_short(err)}); skipped"
                _log.warning("%s", why)
                skipped.append(why)
                continue
            if len(entries) == count:
                break
    return AuditLog(tuple(entries), tuple(skipped))


def _lines_from_end(handle: Any) -> Iterator[tuple[int, bytes]]:
    """The lines of the open binary file ``handle``, last first, each with its byte offset."""
    end = handle.seek(0, os.SEEK_END)
    rest = b""
    while end > 0:
        start = max(0, end - _BLOCK)
        handle.seek(start)
        block = handle.read(end - start) + rest
        end = start
        lines = block.split(b"\n")
        rest = lines[0]  # may be the end of a line that starts in the previous block
        position = start + len(rest) + 1
        found: list[tuple[int, bytes]] = []
        for line in lines[1:]:
            found.append((position, line))
            position += len(line) + 1
        yield from reversed(found)
    if rest:
        yield 0, rest


def _last_byte(path: Path, size: int) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(size - 1)
        return handle.read(1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise ScheduleError(f"expected a time such as 2026-12-02T17:30:00Z, got {value!r}", field=name)
    try:
        return aware_datetime(datetime.fromisoformat(value), name, text=False)
    except ValueError:
        raise ScheduleError(f"expected a time such as 2026-12-02T17:30:00Z, got {value!r}", field=name) from None


def _short(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:120]


def entries_as_data(entries: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """The entries as JSON-ready objects (what ``hmis-schedule audit --format json`` prints)."""
    return [e.to_data() for e in entries]
