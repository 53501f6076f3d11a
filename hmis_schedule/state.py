"""The schedule's state file: the private links an administrator has revoked.

The state file sits beside the schedule file, ``<schedule>.state.toml``
(``my-schedule.toml`` -> ``my-schedule.state.toml``, symbolic links resolved
first), or wherever ``HMIS_STATE_FILE`` says. It is TOML:

.. code-block:: toml

    [[revoked]]
    label = "Agency X - Alice"
    at = 2026-12-01T17:30:00Z

Each entry revokes every private link with that label (compared without
regard to case) issued up to ``at``; a link made for the same label later
works. ``hmis-schedule revoke LABEL`` adds entries with :func:`revoke`, under
the same lock and with the same atomic write as schedule edits
(:mod:`hmis_schedule.writer`), keeping comments; the server follows the file
as it follows the schedule. A missing file means nothing is revoked.

>>> from datetime import UTC, datetime
>>> state = from_state_toml('[[revoked]]\\nlabel = "Alice"\\nat = 2026-12-01T17:30:00Z\\n')
>>> state.revoked[0].label, state.revoked[0].at.isoformat()
('Alice', '2026-12-01T17:30:00+00:00')
>>> state_path("/srv/hmis/my-schedule.toml").name
'my-schedule.state.toml'
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions

from . import writer
from .errors import Problem, ScheduleError
from .files import decode_text, read_text
from .private import Grant, check_label
from .values import aware_datetime

__all__ = [
    "STATE_FILE_ENV",
    "Revocation",
    "State",
    "from_state_toml",
    "load_state",
    "revoke",
    "state_path",
]

STATE_FILE_ENV = "HMIS_STATE_FILE"
"""The environment variable naming the state file, when it is not beside the schedule file."""

_HEADER = """\
# Private feed links revoked with `hmis-schedule revoke LABEL`. Each entry turns
# off every private link with that label issued up to `at`. The server follows
# this file: keep it valid (`hmis-schedule revoke` writes it for you).
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Revocation:
    """Links labelled ``label`` and issued up to ``at`` (aware) no longer work."""

    label: str
    at: datetime

    def __post_init__(self) -> None:
        check_label(self.label)
        aware_datetime(self.at, "at", text=False)

    def covers(self, grant: Grant) -> bool:
        """Whether this revocation turns off the link ``grant`` describes.

        >>> at = datetime(2026, 12, 1, tzinfo=UTC)
        >>> grant = Grant(label="ALICE", issued=at, expires=datetime(2027, 1, 1, tzinfo=UTC))
        >>> Revocation(label="alice", at=at).covers(grant)
        True
        """
        return self.label.casefold() == grant.label.casefold() and grant.issued <= self.at


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """What the state file holds: the revocations, in file order."""

    revoked: tuple[Revocation, ...] = ()

    def is_revoked(self, grant: Grant) -> bool:
        """Whether any revocation covers ``grant`` (labels compared, never tokens).

        >>> State().is_revoked(Grant(label="a", issued=datetime(2026, 1, 1, tzinfo=UTC),
        ...                          expires=datetime(2027, 1, 1, tzinfo=UTC)))
        False
        """
        return any(r.covers(grant) for r in self.revoked)


def state_path(schedule_path: str | os.PathLike[str]) -> Path:
    """Where the state file of the schedule file ``schedule_path`` lives (beside it, links resolved).

    >>> state_path("/srv/schedule").name
    'schedule.state.toml'
    """
    real = Path(os.path.realpath(schedule_path))
    stem = real.name[: -len(".toml")] if real.name.endswith(".toml") else real.name
    return real.with_name(f"{stem}.state.toml")


def from_state_toml(text: str, *, source: str = "<state>") -> State:
    """Read a state file's text.

    Raises
    ------
    ScheduleError
        For TOML that is not valid or entries that are not (every problem,
        with field paths such as ``revoked[1].at``; labels are not repeated).

    >>> from_state_toml('revoked = "x"', source="s.toml")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: s.toml: revoked: expected a list of [[revoked]] tables
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScheduleError(f"not valid TOML: {err}", source=source) from None
    problems: list[Problem] = []
    for key in data:
        if key != "revoked":
            problems.append(Problem(key, "unknown setting (expected 'revoked')"))
    entries: Any = data.get("revoked", [])
    revoked: list[Revocation] = []
    if not isinstance(entries, list):
        problems.append(Problem("revoked", "expected a list of [[revoked]] tables"))
        entries = []
    for index, entry in enumerate(entries):
        where = f"revoked[{index}]"
        if not isinstance(entry, dict):
            problems.append(Problem(where, "expected a table with label and at"))
            continue
        unknown = sorted(set(entry) - {"label", "at"})
        problems.extend(Problem(f"{where}.{k}", "unknown setting (expected 'label', 'at')") for k in unknown)
        try:
            label = check_label(entry.get("label"), "label")
        except ScheduleError as err:
            problems.append(Problem(f"{where}.label", err.message if "label" in entry else "is required"))
            continue
        try:
            at = aware_datetime(entry.get("at"), "")
        except ScheduleError as err:
            problems.append(Problem(f"{where}.at", err.message if "at" in entry else "is required"))
            continue
        revoked.append(Revocation(label=label, at=at))
    if problems:
        raise ScheduleError("", source=source, problems=problems)
    return State(revoked=tuple(revoked))


def load_state(path: str | os.PathLike[str]) -> State:
    """Read the state file at ``path``; a missing file is an empty state.

    Raises
    ------
    ScheduleError
        If the file cannot be read or is not valid (naming the file and fields).
    """
    text = read_text(path, kind="state file")
    return State() if text is None else from_state_toml(text, source=str(path))


def revoke(path: str | os.PathLike[str], label: str, *, now: datetime) -> Revocation:
    """Revoke every private link labelled ``label`` issued up to ``now``, in the state file ``path``.

    Revoking a label again moves its time to ``now``. The file is created if
    missing; otherwise it is read, checked, changed with tomlkit (comments
    kept) and written atomically under its lock, the previous version kept as
    ``<file>.bak`` (:mod:`hmis_schedule.writer`).

    Parameters
    ----------
    path:
        The state file (see :func:`state_path`).
    label:
        The label given to ``hmis-schedule private-link``.
    now:
        The revocation time (aware); whole seconds are kept.

    Returns
    -------
    The revocation written.

    Raises
    ------
    ScheduleError
        For a bad label or time, a missing folder, or a state file that is
        not valid or is read-only (it is not changed: fix it first).

    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> file = Path(folder.name) / "s.state.toml"
    >>> revoke(file, "Alice", now=datetime(2026, 12, 1, 17, 30, tzinfo=UTC)).at.isoformat()
    '2026-12-01T17:30:00+00:00'
    >>> [r.label for r in load_state(file).revoked]
    ['Alice']
    >>> folder.cleanup()
    """
    name = check_label(label)
    at = aware_datetime(now, "now", text=False).astimezone(UTC).replace(microsecond=0)
    target = Path(os.path.realpath(path))
    source = str(target)
    with writer.locked(target):
        try:
            text = decode_text(target.read_bytes(), source)
        except FileNotFoundError:
            text = _HEADER
        before = from_state_toml(text, source=source)
        try:
            doc = tomlkit.parse(text)
        except tomlkit.exceptions.TOMLKitError as err:  # tomllib read it, so this is unlikely
            raise ScheduleError(f"cannot be edited: {err}", source=source) from None
        index = next((i for i, r in enumerate(before.revoked) if r.label.casefold() == name.casefold()), None)
        if index is not None:
            entry = doc["revoked"][index]
            at = max(at, before.revoked[index].at.astimezone(UTC))
            entry["at"] = at
        else:
            table = tomlkit.table()
            table["label"] = name
            table["at"] = at
            if "revoked" not in doc:
                doc.append("revoked", tomlkit.aot())
            doc["revoked"].append(table)
        new = tomlkit.dumps(doc)
        after = from_state_toml(new, source=source)
        writer.write_atomic(target, new.encode("utf-8"), backup=True)
    return next(r for r in after.revoked if r.label.casefold() == name.casefold())
