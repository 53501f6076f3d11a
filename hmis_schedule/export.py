"""Static export: every feed, one calendar per session, ``sessions.json``/``.csv`` and the Atom feed, written to a folder.

For counties that host files on a static site or CDN instead of running the
server. The layout mirrors the server's URLs, with Spanish under ``es/``
(a static host cannot answer ``?lang=es``)::

    calendar.ics                 calendar/online.ics        calendar/in-person.ics
    es/calendar.ics              es/calendar/online.ics     es/calendar/in-person.ics
    sessions/<uid>.ics           one per session of the default window (es/sessions/<uid>.ics in Spanish)
    sessions.json                the same sessions as JSON records (es/sessions.json in Spanish,
                                 linking the Spanish session files)
    sessions.csv                 the same records as CSV, beside the JSON (es/sessions.csv; the server's
                                 /api/sessions.csv)
    feed.atom                    the Atom feed of the next sessions and recent changes (es/feed.atom);
                                 its entries link to the session files (a static host has no session pages)

Every file is written to a temporary file beside it and renamed into place
(:func:`hmis_schedule.writer.write_atomic`, mode 0644), so a web server
reading the folder never sees a half-written file. A file whose bytes did not
change is left alone (its modification time too, so caches keep their
validators). Files of sessions that left the window are
kept: links to them keep working.

>>> import tempfile
>>> from datetime import date
>>> from hmis_schedule import clackamas
>>> with tempfile.TemporaryDirectory() as folder:
...     paths = export(clackamas(), folder, today=date(2026, 11, 23))
...     sorted(str(p.relative_to(folder)) for p in paths)[:4]
['calendar.ics', 'calendar/in-person.ics', 'calendar/online.ics', 'es/calendar.ics']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .addresses import CSV_FILE, FEED_FILES, Addresses, page_url, session_file
from .atom import render_atom
from .errors import ScheduleError
from .facts import LANGUAGES
from .feed import render_feed, render_session
from .published import Published
from .record import session_record
from .schedule import Schedule
from .table import to_csv
from .window import feed_window
from .writer import write_atomic

__all__ = ["Exported", "export", "write_site"]


@dataclass(frozen=True, slots=True)
class Exported:
    """What :func:`write_site` did: every file, in a stable order, and those it wrote (the others held their bytes)."""

    paths: tuple[Path, ...]
    written: tuple[Path, ...]

    @property
    def unchanged(self) -> tuple[Path, ...]:
        """The files left as they were: they held the right bytes already."""
        done = set(self.written)
        return tuple(p for p in self.paths if p not in done)


def export(
    schedule: Schedule,
    directory: str | Path,
    *,
    today: date,
    base_url: str = "",
    published: Published | None = None,
) -> list[Path]:
    """Write the static site into ``directory`` (:func:`write_site`); the paths, written or already up to date, in a stable order.

    >>> import tempfile
    >>> from hmis_schedule import clackamas
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     len(export(clackamas(), folder, today=date(2026, 11, 23))) > 100
    True
    """
    return list(write_site(schedule, directory, today=today, base_url=base_url, published=published).paths)


def write_site(
    schedule: Schedule,
    directory: str | Path,
    *,
    today: date,
    base_url: str = "",
    published: Published | None = None,
) -> Exported:
    """Write every feed, one calendar per session and ``sessions.json`` into ``directory``.

    Parameters
    ----------
    schedule:
        The schedule.
    directory:
        The folder to write into (created if missing). Other files in it are
        left alone.
    today:
        Today in the schedule's zone; it places the default window.
    base_url:
        The public https root the folder is served at, without a trailing
        slash (for event URLs and ``ics_url``).
    published:
        What was published (:func:`hmis_schedule.state.publish`'s record):
        the feeds, session calendars and records take their SEQUENCE (and
        the events their DTSTAMP and LAST-MODIFIED) from it. ``hmis-schedule
        export`` publishes first and passes it.

    Returns
    -------
    An :class:`Exported`: the paths, in a stable order (the six feeds, the
    session calendars, then ``sessions.json`` and ``sessions.csv`` (English,
    then Spanish under ``es/``), then ``feed.atom`` and ``es/feed.atom``), and
    those written (the others held the same bytes already and were left alone).

    Raises
    ------
    ScheduleError
        If ``directory`` exists and is not a folder, or a session's uid cannot
        be a file name (nothing is written then).
    OSError
        If the folder cannot be written.

    >>> import tempfile
    >>> from hmis_schedule import clackamas
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = write_site(clackamas(), folder, today=date(2026, 11, 23))
    ...     again = write_site(clackamas(), folder, today=date(2026, 11, 23))
    ...     (Path(folder) / "es" / "calendar.ics").read_bytes().count(b"BEGIN:VEVENT"), len(again.written)
    (78, 0)
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ScheduleError(f"{root} exists and is not a folder", field="directory")
    window = feed_window(schedule, today)
    first, last = window.start, window.end
    sessions = schedule.sessions_between(first, last)
    files: list[tuple[str, bytes]] = []
    for lang in LANGUAGES:
        prefix = "" if lang == "en" else f"{lang}/"
        for chosen, name in FEED_FILES.items():
            files.append(
                (
                    prefix + name,
                    render_feed(
                        schedule, window, lang=lang, filter=chosen, base_url=base_url, published=published
                    ),
                )
            )
    for lang in LANGUAGES:
        for session in sessions:
            body = render_session(schedule, session.uid, lang=lang, base_url=base_url, published=published)
            files.append((session_file(session.uid, lang), body))
    for lang in LANGUAGES:
        prefix = "" if lang == "en" else f"{lang}/"
        records = [
            session_record(s, schedule, base_url=base_url, lang=lang, static=True, published=published)
            for s in sessions
        ]
        document = {
            "schedule": schedule.id,
            "name": schedule.name.get(lang),
            "timezone": schedule.timezone,
            "updated": schedule.updated.isoformat(),
            "window": {"start": first.isoformat(), "end": last.isoformat()},
            "url": page_url(schedule, base_url),
            "sessions": records,
        }
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        files.append((f"{prefix}sessions.json", text.encode()))
        files.append((f"{prefix}{CSV_FILE}", to_csv(records)))
    for lang in LANGUAGES:
        atom = Addresses(static=True).atom(lang).lstrip("/")
        files.append((atom, render_atom(schedule, today, lang=lang, base_url=base_url, published=published, static=True)))
    paths: list[Path] = []
    written: list[Path] = []
    for name, data in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if write_atomic(path, data, mode=0o644):
            written.append(path)
        paths.append(path)
    return Exported(tuple(paths), tuple(written))
