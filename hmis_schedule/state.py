"""The schedule's state file: the private links an administrator has revoked, and what the feeds published.

The state file sits beside the schedule file, ``<schedule>.state.toml``
(``my-schedule.toml`` -> ``my-schedule.state.toml``, symbolic links resolved
first), or wherever ``HMIS_STATE_FILE`` says. It is TOML:

.. code-block:: toml

    [[revoked]]
    label = "Agency X - Alice"
    at = 2026-12-01T17:30:00Z

    [published]
    "first-monday-20261207@hmis.example.org" = { sequence = 1, digest = "0f1e2d3c4b5a6978", since = 2026-12-01T17:30:00Z }

The ``[admins]`` table holds the administrators' accounts (argon2id
password hashes and signed-in sessions, :mod:`hmis_schedule.accounts`),
kept by :func:`add_admin`, :func:`set_admin_password`, :func:`remove_admin`,
:func:`start_admin_session` and :func:`end_admin_session`, each under the
same lock and atomic write. A state file those create is readable by its
owner only (mode 0600): it holds password hashes.

Each entry revokes every private link with that label (compared without
regard to case) issued up to ``at``; a link made for the same label later
works. ``hmis-schedule revoke LABEL`` adds entries with :func:`revoke`, under
the same lock and with the same atomic write as schedule edits
(:mod:`hmis_schedule.writer`), keeping comments; the server follows the file
as it follows the schedule. A missing file means nothing is revoked.

The ``[published]`` table is the record of what was published
(:mod:`hmis_schedule.published`): per session uid, the last SEQUENCE, a
digest of what subscribers saw and since when. :func:`publish` keeps it,
under the same lock: the command line after every edit and before an
export, and the server each time it adopts a new version of the schedule
file. It is written by the program, never by hand, and must not be deleted:
without it, a sequence can fall and calendars then ignore the change.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions

from . import audit, writer
from .accounts import (
    Account,
    AdminRefused,
    Admins,
    SignedIn,
    admins_from_table,
    check_name,
    hash_password,
    kept_sessions,
    session_digest,
)
from .errors import Problem, ScheduleError, SessionNotFoundError, one_line
from .files import decode_text, read_text
from .private import Grant, check_label
from .published import Entry, Published, record
from .schedule import Schedule
from .session import Session, parse_uid
from .values import aware_datetime
from .window import add_months, feed_window

__all__ = [
    "STATE_FILE_ENV",
    "Publication",
    "Revocation",
    "State",
    "add_admin",
    "end_admin_session",
    "from_state_toml",
    "load_state",
    "publish",
    "publish_window",
    "published_for",
    "remove_admin",
    "revoke",
    "set_admin_password",
    "start_admin_session",
    "state_path",
]

STATE_FILE_ENV = "HMIS_STATE_FILE"
"""The environment variable naming the state file, when it is not beside the schedule file."""

_HEADER = """\
# Private feed links revoked with `hmis-schedule revoke LABEL`. Each entry turns
# off every private link with that label issued up to `at`. The server follows
# this file: keep it valid (`hmis-schedule revoke` writes it for you).
"""

_PUBLISHED_COMMENT = (
    "What the calendar feeds published, per session: its SEQUENCE, a digest of what",
    "subscribers saw and since when. Written by hmis-schedule and the server; do not",
    "edit or delete it: calendars ignore an update whose SEQUENCE does not rise.",
)


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
    """What the state file holds: the revocations, in file order, the record of what was published, the accounts."""

    revoked: tuple[Revocation, ...] = ()
    published: Published = field(default_factory=Published)
    admins: Admins = field(default_factory=Admins)

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
        if key not in ("revoked", "published", "admins"):
            problems.append(Problem(key, "unknown setting (expected 'revoked', 'published', 'admins')"))
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
    published = _published(data.get("published", {}), problems)
    admins = admins_from_table(data.get("admins", {}), problems)
    if problems:
        raise ScheduleError("", source=source, problems=problems)
    return State(revoked=tuple(revoked), published=published, admins=admins)


def _published(table: Any, problems: list[Problem]) -> Published:
    """The ``[published]`` table read, every problem added to ``problems``."""
    if not isinstance(table, dict):
        problems.append(Problem("published", "expected a table of sessions by uid"))
        return Published()
    entries: dict[str, Entry] = {}
    for uid, entry in table.items():
        where = f"published.{uid!r}" if not uid.replace("-", "").isalnum() else f"published.{uid}"
        if not isinstance(entry, dict) or set(entry) != {"sequence", "digest", "since"}:
            problems.append(Problem(where, "expected a table with sequence, digest and since"))
            continue
        try:
            entries[uid] = Entry(sequence=entry["sequence"], digest=entry["digest"], since=entry["since"])
        except ScheduleError as err:
            problems.append(Problem(f"{where}.{err.field}", err.message))
    return Published(entries)


def load_state(path: str | os.PathLike[str]) -> State:
    """Read the state file at ``path``; a missing file is an empty state.

    Raises
    ------
    ScheduleError
        If the file cannot be read or is not valid (naming the file and fields).
    """
    text = read_text(path, kind="state file")
    return State() if text is None else from_state_toml(text, source=str(path))


def revoke(
    path: str | os.PathLike[str],
    label: str,
    *,
    now: datetime,
    actor: str | None = None,
    audit_file: str | os.PathLike[str] | None = None,
) -> Revocation:
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
    actor:
        Who revokes (``cli:alice``, ``admin:maria``): the revocation is then
        recorded in the audit log, under the state file's lock.
    audit_file:
        The audit log (default: :func:`hmis_schedule.audit.audit_path` of ``path``).

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
    who = None if actor is None else audit.check_actor(actor)
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
        done = next(r for r in after.revoked if r.label.casefold() == name.casefold())
        if who is not None:
            entry = audit.AuditEntry(
                at=at, actor=who, action="revoke", label=done.label,
                summary=f"Revoked every private link labelled {done.label!r} issued up to {done.at:%Y-%m-%d %H:%M:%S} UTC.",
            )
            audit.append(audit.audit_path(target) if audit_file is None else audit_file, entry)
    return done


# -- what was published --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Publication:
    """What :func:`publish` did: the record to serve with and, if it could not be saved, why."""

    published: Published
    error: str | None = None


def publish_window(schedule: Schedule, today: date) -> tuple[date, date]:
    """The dates whose sessions are recorded when ``schedule`` is published on ``today``: ``[start, end)``.

    From the start of the default feed window to the later of its end and
    ``feed.max_years`` years after its start, so every default feed of the
    coming years shows recorded sessions.

    >>> from hmis_schedule import clackamas
    >>> publish_window(clackamas(), date(2026, 11, 23))
    (datetime.date(2026, 8, 25), datetime.date(2031, 8, 25))
    """
    window = feed_window(schedule, today)
    return window.start, max(window.end, add_months(window.start, 12 * schedule.feed.max_years))


def _to_record(schedule: Schedule, start: date, end: date, previous: Published) -> list[Session]:
    """The sessions of ``[start, end)`` and those ``previous`` holds that are planned from ``start`` on."""
    sessions = schedule.sessions_between(start, end)
    found = {s.uid for s in sessions}
    for uid in previous.entries:
        parsed = parse_uid(uid)
        if uid in found or parsed is None or parsed[1] < start:
            continue
        try:
            sessions.append(schedule.session(uid))
        except SessionNotFoundError:
            continue  # a session the schedule no longer has: its entry is kept
    return sessions


def published_for(
    schedule: Schedule, on_file: Published, *, now: datetime, memory: Published | None = None
) -> Published:
    """The record after publishing ``schedule`` at ``now``, from the record ``on_file`` (nothing is read or written).

    The sessions of :func:`publish_window` and those recorded already are
    recorded (:func:`hmis_schedule.published.record`); entries of sessions
    planned before the window are dropped. ``memory`` is what this process
    served last: its entries with a higher sequence win over the file's.
    """
    at = aware_datetime(now, "now", text=False)
    start, end = publish_window(schedule, schedule.today(at))
    base = _merged(on_file, memory)
    return record(base, schedule, _to_record(schedule, start, end, base), now=at, forget_before=start)


def _merged(on_file: Published, memory: Published | None) -> Published:
    """``on_file`` with every entry of ``memory`` whose sequence is higher (a file reset or not saved)."""
    if memory is None:
        return on_file
    higher = {
        uid: e for uid, e in memory.entries.items()
        if uid not in on_file.entries or e.sequence > on_file.entries[uid].sequence
    }
    return Published({**on_file.entries, **higher}) if higher else on_file


def publish(
    path: str | os.PathLike[str],
    schedule: Schedule,
    *,
    now: datetime,
    memory: Published | None = None,
) -> Publication:
    """Record in the state file ``path`` what the feeds of ``schedule`` publish at ``now``.

    Under the state file's lock: read the file, :func:`~hmis_schedule.published.record`
    the sessions of :func:`publish_window` (and those recorded already),
    write the ``[published]`` table back if it changed (revocations and
    comments kept; nothing written when nothing changed). Two processes
    publishing the same schedule agree: the second keeps the first's stamps.

    Parameters
    ----------
    path:
        The state file (created if missing).
    schedule:
        The schedule being published.
    now:
        When (aware); "today" is reckoned from it in the schedule's zone.
    memory:
        The record this process published last, if any: an entry with a
        higher sequence than the file's wins, so a sequence never falls
        even if the file was not saved or was reset.

    Returns
    -------
    A :class:`Publication`: the record to serve with, and ``error`` (one
    line) when the file could not be read or written. Then the record is
    still right for this process (computed from ``memory`` and what could
    be read) but is not saved: the caller says so (the server's ``/healthz``
    says ``degraded``; the command line warns).

    >>> import tempfile
    >>> from hmis_schedule import clackamas
    >>> folder = tempfile.TemporaryDirectory()
    >>> file = Path(folder.name) / "s.state.toml"
    >>> done = publish(file, clackamas(), now=datetime(2026, 11, 23, tzinfo=UTC))
    >>> done.error, len(done.published.entries) == len(load_state(file).published.entries) > 200
    (None, True)
    >>> folder.cleanup()
    """
    at = aware_datetime(now, "now", text=False)
    target = Path(os.path.realpath(path))
    source = str(target)
    on_file = Published()
    try:
        with writer.locked(target):
            try:
                text = decode_text(target.read_bytes(), source)
            except FileNotFoundError:
                text = _HEADER
            on_file = from_state_toml(text, source=source).published
            new = published_for(schedule, on_file, now=at, memory=memory)
            if new is not on_file:
                try:
                    doc = tomlkit.parse(text)
                except tomlkit.exceptions.TOMLKitError as err:  # tomllib read it, so this is unlikely
                    raise ScheduleError(f"cannot be edited: {err}", source=source) from None
                _set_published(doc, new)
                writer.write_atomic(target, tomlkit.dumps(doc).encode("utf-8"))
            return Publication(new)
    except (ScheduleError, OSError) as err:
        reason = one_line(err) if isinstance(err, ScheduleError) else f"{source}: {err.strerror or err}"
        new = published_for(schedule, on_file, now=at, memory=memory)
        return Publication(new, f"what was published could not be saved: {reason}")


def _set_published(doc: tomlkit.TOMLDocument, published: Published) -> None:
    """Put ``published`` in ``doc`` as its ``[published]`` table, one line per session in date order."""
    table = tomlkit.table()
    for uid, entry in sorted(published.entries.items(), key=_by_date):
        line = tomlkit.inline_table()
        line.update({"sequence": entry.sequence, "digest": entry.digest, "since": entry.since})
        table[uid] = line
    if "published" in doc:
        doc["published"] = table
        return
    if len(doc):
        doc.add(tomlkit.nl())
    for text in _PUBLISHED_COMMENT:
        doc.add(tomlkit.comment(text))
    doc.add("published", table)


def _by_date(item: tuple[str, Entry]) -> tuple[date, str]:
    parsed = parse_uid(item[0])
    return (date.max if parsed is None else parsed[1]), item[0]


# -- administrators' accounts -----------------------------------------------------------


_ADMINS_COMMENT = (
    "Administrators of the admin pages (hmis-schedule admin add NAME): argon2id password hashes",
    "and the sessions signed in now. Keep this file readable by the server's user only.",
)
_PRIVATE_MODE = 0o600


def _change_state(
    path: str | os.PathLike[str],
    change: Callable[[State, tomlkit.TOMLDocument], None],
    record: Callable[[Path], None] | None = None,
) -> State:
    """Read the state file ``path`` under its lock, let ``change`` edit its document, check it and write it.

    A new file is made readable by its owner only. ``record`` is called with
    the state file's path after the write, still under the lock (to append
    to the audit log). Returns the state written (or the state as it was,
    when ``change`` changed nothing).
    """
    target = Path(os.path.realpath(path))
    source = str(target)
    with writer.locked(target):
        try:
            text = decode_text(target.read_bytes(), source)
            mode = None
        except FileNotFoundError:
            text, mode = _HEADER, _PRIVATE_MODE
        before = from_state_toml(text, source=source)
        try:
            doc = tomlkit.parse(text)
        except tomlkit.exceptions.TOMLKitError as err:  # tomllib read it, so this is unlikely
            raise ScheduleError(f"cannot be edited: {err}", source=source) from None
        change(before, doc)
        new = tomlkit.dumps(doc)
        after = from_state_toml(new, source=source)
        writer.write_atomic(target, new.encode("utf-8"), mode=mode)
        if record is not None:
            record(target)
    return after


def _set_admins(doc: tomlkit.TOMLDocument, accounts: list[Account]) -> None:
    """Put ``accounts`` in ``doc`` as its ``[admins]`` table (one sub-table per account)."""
    table = tomlkit.table(is_super_table=True)
    for account in accounts:
        entry = tomlkit.table()
        entry["hash"] = account.hash
        entry["added"] = account.added.astimezone(UTC)
        sessions = tomlkit.array()
        for signed in account.sessions:
            line = tomlkit.inline_table()
            line.update({"id": signed.id, "started": signed.started.astimezone(UTC)})
            sessions.append(line)
        entry["sessions"] = sessions
        table[account.name] = entry
    if "admins" in doc:
        doc["admins"] = table
        return
    if doc.as_string().strip():
        doc.add(tomlkit.nl())
    for text in _ADMINS_COMMENT:
        doc.add(tomlkit.comment(text))
    doc.add("admins", table)


def _whole_seconds(now: datetime) -> datetime:
    return aware_datetime(now, "now", text=False).astimezone(UTC).replace(microsecond=0)


def _replace_account(before: State, name: str, new: Account | None) -> list[Account]:
    """The accounts of ``before`` with the one named ``name`` replaced by ``new`` (or removed when ``None``)."""
    found = before.admins.find(name)
    kept = [a for a in before.admins if a is not found]
    if new is None:
        return kept
    if found is None:
        return [*kept, new]
    index = before.admins.accounts.index(found)
    return [*kept[:index], new, *kept[index:]]


def add_admin(
    path: str | os.PathLike[str], name: str, password: str, *, now: datetime, actor: str | None = None,
    audit_file: str | os.PathLike[str] | None = None,
) -> Account:
    """Add the administrator ``name`` with ``password`` (hashed with argon2id) to the state file ``path``.

    With an ``actor`` (``cli:USER``), the change is recorded in the audit log
    (``audit_file``, by default beside the state file) as ``admin-add``;
    likewise ``admin-passwd`` and ``admin-remove`` below. No hash is recorded.

    Raises
    ------
    ScheduleError
        For a bad name or password (:func:`hmis_schedule.accounts.check_password`),
        a state file that is not valid or read-only; :class:`AdminRefused` if
        the name is taken (case ignored). The file is then untouched.

    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> file = Path(folder.name) / "s.state.toml"
    >>> add_admin(file, "alice", "correct horse battery", now=datetime(2026, 12, 1, tzinfo=UTC)).name
    'alice'
    >>> [a.name for a in load_state(file).admins], oct(file.stat().st_mode & 0o777)
    (['alice'], '0o600')
    >>> folder.cleanup()
    """
    clean = check_name(name)
    account = Account(name=clean, hash=hash_password(password), added=_whole_seconds(now))

    def change(before: State, doc: tomlkit.TOMLDocument) -> None:
        taken = before.admins.find(clean)
        if taken is not None:
            raise AdminRefused(
                f"there is an account named {taken.name!r} already: change its password with "
                f"`hmis-schedule admin passwd {taken.name}`",
                field="name",
            )
        _set_admins(doc, _replace_account(before, clean, account))

    summary = f"Added the administrator {clean!r}."
    _change_state(path, change, _recorder(actor, audit_file, "admin-add", summary, account.added))
    return account


def _existing(before: State, name: str) -> Account:
    return before.admins.named(name)


def _recorder(
    actor: str | None, audit_file: str | os.PathLike[str] | None, action: str, summary: str, at: datetime
) -> Callable[[Path], None] | None:
    """What appends an account change to the audit log (``None`` without an actor): who, when, what; no hash."""
    if actor is None:
        return None
    who = audit.check_actor(actor)

    def record(target: Path) -> None:
        entry = audit.AuditEntry(at=at, actor=who, action=action, summary=summary)
        audit.append(audit.audit_path(target) if audit_file is None else audit_file, entry)

    return record


def set_admin_password(
    path: str | os.PathLike[str], name: str, password: str, *, now: datetime, actor: str | None = None,
    audit_file: str | os.PathLike[str] | None = None,
) -> Account:
    """Give the administrator ``name`` a new password; every session of the account is signed out.

    Raises
    ------
    ScheduleError
        As :func:`add_admin`; :class:`AdminRefused` if there is no such account.
    """
    clean = check_name(name)
    digest = hash_password(password)
    at = _whole_seconds(now)
    done: list[Account] = []

    def change(before: State, doc: tomlkit.TOMLDocument) -> None:
        found = _existing(before, clean)
        new = Account(name=found.name, hash=digest, added=found.added)
        _set_admins(doc, _replace_account(before, clean, new))
        done.append(new)

    summary = f"Changed the password of the administrator {clean!r}; their sessions were signed out."
    _change_state(path, change, _recorder(actor, audit_file, "admin-passwd", summary, at))
    return done[0]


def remove_admin(
    path: str | os.PathLike[str], name: str, *, now: datetime, actor: str | None = None,
    audit_file: str | os.PathLike[str] | None = None,
) -> Account:
    """Remove the administrator ``name`` (and so every session of the account); returns the account removed.

    Raises
    ------
    ScheduleError
        As :func:`add_admin`; :class:`AdminRefused` if there is no such account.
    """
    clean = check_name(name)
    at = _whole_seconds(now)
    done: list[Account] = []

    def change(before: State, doc: tomlkit.TOMLDocument) -> None:
        found = _existing(before, clean)
        _set_admins(doc, _replace_account(before, clean, None))
        done.append(found)

    summary = f"Removed the administrator {clean!r}; their sessions were signed out."
    _change_state(path, change, _recorder(actor, audit_file, "admin-remove", summary, at))
    return done[0]


def start_admin_session(
    path: str | os.PathLike[str], name: str, session_id: str, *, now: datetime, rehash: str | None = None
) -> Account:
    """Record that ``name`` signed in with the new ``session_id`` (its digest is kept) at ``now``.

    Sessions past their lifetime are dropped, and the oldest beyond
    :data:`~hmis_schedule.accounts.MAX_SESSIONS`. ``rehash`` replaces the
    account's hash (made again with this version's parameters at sign-in).

    Raises
    ------
    ScheduleError
        As :func:`add_admin`; :class:`AdminRefused` if the account was removed meanwhile.
    """
    at = _whole_seconds(now)
    signed = SignedIn(id=session_digest(session_id), started=at)
    done: list[Account] = []

    def change(before: State, doc: tomlkit.TOMLDocument) -> None:
        found = _existing(before, name)
        new = Account(
            name=found.name, hash=rehash or found.hash, added=found.added,
            sessions=kept_sessions(found, at, adding=signed),
        )  # fmt: skip
        _set_admins(doc, _replace_account(before, name, new))
        done.append(new)

    _change_state(path, change)
    return done[0]


def end_admin_session(path: str | os.PathLike[str], name: str, session_id: str, *, now: datetime) -> None:
    """Sign out the session ``session_id`` of ``name`` (and drop its sessions past their lifetime).

    Nothing is written when the account or the session is gone already.
    """
    at = _whole_seconds(now)
    digest = session_digest(session_id)

    def change(before: State, doc: tomlkit.TOMLDocument) -> None:
        found = before.admins.find(name)
        if found is None:
            return
        kept = tuple(s for s in kept_sessions(found, at) if s.id != digest)
        if kept == found.sessions:
            return
        new = Account(name=found.name, hash=found.hash, added=found.added, sessions=kept)
        _set_admins(doc, _replace_account(before, name, new))

    _change_state(path, change)
