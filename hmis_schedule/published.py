"""What the feeds have published: per session, its SEQUENCE, a digest of what subscribers saw, and since when.

Calendar apps keep the copy of an event with the higher SEQUENCE, so a
session's SEQUENCE must never fall and must rise with every change a
subscriber can see. The schedule file alone cannot promise that: deleting a
cancelling change by hand, excluding a holiday or an upgrade of the
``holidays`` package or of the time-zone data all lower or keep the
sequence the schedule computes. So whatever publishes (the command line after
an edit, the export, the server when it adopts a new schedule) remembers, in
the schedule's state file (:mod:`hmis_schedule.state`), what it published:

- :class:`Entry`: the last published ``sequence``, the :func:`digest` of the
  event's visible content, and ``since``, the instant that content was first
  published (the event's DTSTAMP and LAST-MODIFIED);
- :class:`Published`: the entries by uid, which the renderers take
  (:func:`hmis_schedule.feed.render_feed`'s ``published=``);
- :func:`record`: the pure step from the previous record, a schedule, the
  sessions to record and "now" to the new record.

The rules of :func:`record`, per session:

- **unknown uid**: the sequence the schedule computes, ``since`` = the
  schedule's ``updated`` (so a first record changes no byte of any feed);
- **same digest**: unchanged, unless the computed sequence rose above the
  recorded one (a ``sequence`` raised by hand asks calendars to update):
  then that sequence, ``since`` = now;
- **another digest**: ``max(recorded + 1, computed)``, ``since`` = now.

So a sequence never falls, rises with every visible change, and
DTSTAMP/LAST-MODIFIED change only for the events that changed. Recording is
idempotent: the same schedule recorded twice (two server workers, or the
command line and then the server) keeps the first ``since``.

>>> from datetime import UTC, datetime
>>> from hmis_schedule import clackamas
>>> s = clackamas()
>>> labor_day = s.session(f"first-monday-20260907@{s.uid_domain}")
>>> now = datetime(2026, 12, 1, tzinfo=UTC)
>>> first = record(Published(), s, [labor_day], now=now)
>>> first.entries[labor_day.uid].sequence, first.entries[labor_day.uid].since == s.updated
(1, True)
>>> record(first, s, [labor_day], now=now) == first
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from .addresses import page_url
from .errors import ScheduleError
from .facts import LANGUAGES
from .schedule import Schedule
from .session import Session, parse_uid
from .text import modality_label, session_description, session_location, session_summary
from .values import aware_datetime

__all__ = ["Entry", "Published", "digest", "record"]


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """What was published of one session: its ``sequence``, the ``digest`` of its content, and ``since`` when.

    ``since`` is aware; it is kept in UTC, whole seconds.

    Raises
    ------
    ScheduleError
        For a sequence that is not a whole number >= 0 (field ``sequence``),
        a digest that is not 16 hexadecimal digits (field ``digest``) or a
        ``since`` without a time zone (field ``since``).

    >>> Entry(sequence=-1, digest="0" * 16, since=datetime(2026, 1, 1, tzinfo=UTC))
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: sequence: must be a whole number >= 0, got -1
    """

    sequence: int
    digest: str
    since: datetime

    def __post_init__(self) -> None:
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int) or self.sequence < 0:
            raise ScheduleError(f"must be a whole number >= 0, got {self.sequence!r}", field="sequence")
        if not isinstance(self.digest, str) or len(self.digest) != 16 or self.digest.strip("0123456789abcdef"):
            raise ScheduleError(f"expected 16 hexadecimal digits, got {self.digest!r}", field="digest")
        object.__setattr__(self, "since", _utc(aware_datetime(self.since, "since", text=False)))


@dataclass(frozen=True, slots=True)
class Published:
    """What the feeds published, by uid: the record the renderers take.

    An empty record (``Published()``) renders exactly what the schedule
    computes. For a session it holds, :meth:`sequence` and :meth:`stamp`
    give the published values; for any other, the computed sequence and the
    schedule's ``updated``.
    """

    entries: Mapping[str, Entry] = field(default_factory=dict)

    def sequence(self, session: Session) -> int:
        """The SEQUENCE to publish for ``session``: never below the recorded one nor the computed one."""
        entry = self.entries.get(session.uid)
        return session.sequence if entry is None else max(entry.sequence, session.sequence)

    def stamp(self, session: Session, schedule: Schedule) -> datetime:
        """The DTSTAMP and LAST-MODIFIED of ``session`` (UTC): when its content was first published."""
        entry = self.entries.get(session.uid)
        return schedule.updated.astimezone(UTC) if entry is None else entry.since

    @property
    def latest(self) -> datetime | None:
        """The latest ``since`` of any entry (``None`` for an empty record)."""
        return max((e.since for e in self.entries.values()), default=None)

    @property
    def version(self) -> str:
        """A short fingerprint of the record; it changes when any entry does.

        >>> Published().version
        'e3b0c44298fc1c14'
        """
        text = "".join(
            f"{uid} {e.sequence} {e.digest} {e.since.isoformat()}\n" for uid, e in sorted(self.entries.items())
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def digest(session: Session, schedule: Schedule) -> str:
    """16 hexadecimal digits that change whenever what a subscriber sees of ``session`` changes.

    They cover the start and end as instants (so a change of time-zone data
    that moves a session changes them), the status, the modality, and the
    summary, location, category and description in every language, written
    for the public feed with no base URL: the address a request came in on
    never changes a digest, nor does anything only a private feed shows.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> len(digest(s.session(f"first-monday-20261207@{s.uid_domain}"), s))
    16
    """
    url = page_url(schedule, "")
    words = {
        lang: [
            session_summary(session, schedule, lang),
            session_location(session, lang),
            modality_label(session.modality, lang),
            session_description(session, schedule, lang, url),
        ]
        for lang in LANGUAGES
    }
    seen = [
        _utc(session.start).isoformat(),
        _utc(session.end).isoformat(),
        session.status.value,
        session.modality.value,
        words,
    ]
    return hashlib.sha256(json.dumps(seen, ensure_ascii=False).encode()).hexdigest()[:16]


def record(
    previous: Published,
    schedule: Schedule,
    sessions: Iterable[Session],
    *,
    now: datetime,
    forget_before: date | None = None,
) -> Published:
    """The record after publishing ``sessions`` of ``schedule`` at ``now`` (see the module's rules).

    Parameters
    ----------
    previous:
        The record so far (``Published()`` for none).
    schedule:
        The schedule published.
    sessions:
        The sessions it publishes (normally every session a default feed can
        show, and every one ``previous`` holds); the other entries are kept.
    now:
        When it publishes (aware); the ``since`` of every changed entry.
    forget_before:
        Entries of sessions planned before this date are dropped (no feed
        shows them any more); ``None`` keeps them all.

    Returns
    -------
    The new record; ``previous`` itself when nothing changed.

    >>> from datetime import timedelta
    >>> from hmis_schedule import clackamas
    >>> import dataclasses
    >>> s = clackamas()
    >>> uid = f"first-monday-20260907@{s.uid_domain}"
    >>> now = datetime(2026, 12, 1, tzinfo=UTC)
    >>> before = record(Published(), s, [s.session(uid)], now=now)
    >>> worked = dataclasses.replace(s, holidays=dataclasses.replace(s.holidays, exclude=(date(2026, 9, 7),)))
    >>> after = record(before, worked, [worked.session(uid)], now=now)
    >>> worked.session(uid).sequence, after.entries[uid].sequence, after.entries[uid].since.isoformat()
    (0, 2, '2026-12-01T00:00:00+00:00')
    """
    at = _utc(aware_datetime(now, "now", text=False))
    updated = _utc(schedule.updated)
    entries = dict(previous.entries)
    changed = False
    if forget_before is not None:
        for uid in list(entries):
            parsed = parse_uid(uid)
            if parsed is not None and parsed[1] < forget_before:
                del entries[uid]
                changed = True
    for session in sessions:
        seen = digest(session, schedule)
        old = entries.get(session.uid)
        if old is None:
            new = Entry(sequence=session.sequence, digest=seen, since=updated)
        elif old.digest == seen:
            if session.sequence <= old.sequence:
                continue
            new = Entry(sequence=session.sequence, digest=seen, since=max(at, old.since))
        else:
            new = Entry(sequence=max(old.sequence + 1, session.sequence), digest=seen, since=max(at, old.since))
        entries[session.uid] = new
        changed = True
    return Published(entries) if changed else previous
