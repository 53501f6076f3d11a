"""Static export: every feed, one calendar per session and ``sessions.json``, written to a folder.

For counties that host files on a static site or CDN instead of running the
server. The layout mirrors the server's URLs, with Spanish under ``es/``
(a static host cannot answer ``?lang=es``)::

    calendar.ics                 calendar/online.ics        calendar/in-person.ics
    es/calendar.ics              es/calendar/online.ics     es/calendar/in-person.ics
    sessions/<uid>.ics           one per session of the default window (es/sessions/<uid>.ics in Spanish)
    sessions.json                the same sessions as JSON records (es/sessions.json in Spanish,
                                 linking the Spanish session files)

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
from datetime import date
from pathlib import Path

from .errors import ScheduleError
from .facts import DEFAULT_LANGUAGE, LANGUAGES
from .feed import FeedFilter, feed_window, page_url, render_feed, render_session, session_path
from .i18n import check_language
from .schedule import Schedule
from .session import Session
from .text import session_location, session_reason, session_summary
from .writer import write_atomic

__all__ = ["FEED_FILES", "export", "session_record"]

FEED_FILES = {
    FeedFilter.ALL: "calendar.ics",
    FeedFilter.ONLINE: "calendar/online.ics",
    FeedFilter.IN_PERSON: "calendar/in-person.ics",
}
"""Where each feed goes, relative to the export folder (Spanish: under ``es/``)."""


def session_record(
    session: Session, schedule: Schedule, *, base_url: str = "", lang: str = "en", static: bool = False
) -> dict[str, object]:
    """One session as a JSON-ready record.

    Parameters
    ----------
    session, schedule:
        The session and its schedule.
    base_url:
        The public https root without a trailing slash, for ``ics_url``.
    lang:
        The language of ``summary``, ``reason`` and ``location``, and of the
        calendar ``ics_url`` leads to.
    static:
        ``ics_url`` leads to the file :func:`export` writes (Spanish under
        ``es/``) instead of the server's route (Spanish with ``?lang=es``).

    Returns
    -------
    A dict with ``uid``, ``slot``, ``start`` and ``end`` (ISO 8601 with the
    offset), ``modality``, ``location`` (full), ``room``, ``status``,
    ``reason`` (as people read it, e.g. "Labor Day - county offices closed"),
    ``sequence``, ``summary``, ``notes``, ``original_date``, ``ics_url``.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> record = session_record(s.session(f"first-monday-20260907@{s.uid_domain}"), s,
    ...                         base_url="https://hmis.example.org")
    >>> record["start"], record["status"], record["reason"]
    ('2026-09-07T09:00:00-07:00', 'cancelled', 'Labor Day - county offices closed')
    >>> record["ics_url"]
    'https://hmis.example.org/sessions/first-monday-20260907@hmis-training.clackamas.us.ics'
    >>> spanish = dict(base_url="https://hmis.example.org", lang="es")
    >>> session_record(s.session(record["uid"]), s, **spanish)["ics_url"]
    'https://hmis.example.org/sessions/first-monday-20260907@hmis-training.clackamas.us.ics?lang=es'
    >>> session_record(s.session(record["uid"]), s, **spanish, static=True)["ics_url"]
    'https://hmis.example.org/es/sessions/first-monday-20260907@hmis-training.clackamas.us.ics'
    """
    check_language(lang)
    return {
        "uid": session.uid,
        "slot": session.slot_id,
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "modality": session.modality.value,
        "location": session_location(session, lang),
        "room": session.room,
        "status": session.status.value,
        "reason": session_reason(session, schedule, lang),
        "sequence": session.sequence,
        "summary": session_summary(session, schedule, lang),
        "notes": session.notes,
        "original_date": session.original_date.isoformat(),
        "ics_url": base_url + _session_ics_path(session.uid, lang, static=static),
    }


def _session_ics_path(uid: str, lang: str, *, static: bool) -> str:
    path = session_path(uid)
    if lang == DEFAULT_LANGUAGE:
        return path
    return f"/{lang}{path}" if static else f"{path}?lang={lang}"


def _session_file(uid: str) -> str:
    name = session_path(uid).lstrip("/")
    if "/" in name[len("sessions/") :] or "\\" in name or name.startswith("sessions/."):
        raise ScheduleError(f"uid {uid!r} cannot be a file name", field="uid")
    return name


def export(schedule: Schedule, directory: str | Path, *, today: date, base_url: str = "") -> list[Path]:
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

    Returns
    -------
    The paths written (or already up to date), in a stable order: the six
    feeds, the session calendars, then ``sessions.json`` and ``es/sessions.json``.

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
    ...     paths = export(clackamas(), folder, today=date(2026, 11, 23))
    ...     (Path(folder) / "es" / "calendar.ics").read_bytes().count(b"BEGIN:VEVENT")
    78
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise ScheduleError(f"{root} exists and is not a folder", field="directory")
    first, last = feed_window(schedule, today)
    sessions = schedule.sessions_between(first, last)
    files: list[tuple[str, bytes]] = []
    for lang in LANGUAGES:
        prefix = "" if lang == "en" else f"{lang}/"
        for chosen, name in FEED_FILES.items():
            files.append(
                (prefix + name, render_feed(schedule, today=today, lang=lang, filter=chosen, base_url=base_url))
            )
    for lang in LANGUAGES:
        prefix = "" if lang == DEFAULT_LANGUAGE else f"{lang}/"
        for session in sessions:
            body = render_session(schedule, session.uid, lang=lang, base_url=base_url)
            files.append((prefix + _session_file(session.uid), body))
    for lang in LANGUAGES:
        prefix = "" if lang == "en" else f"{lang}/"
        document = {
            "schedule": schedule.id,
            "name": schedule.name.get(lang),
            "timezone": schedule.timezone,
            "updated": schedule.updated.isoformat(),
            "window": {"start": first.isoformat(), "end": last.isoformat()},
            "url": page_url(schedule, base_url),
            "sessions": [session_record(s, schedule, base_url=base_url, lang=lang, static=True) for s in sessions],
        }
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        files.append((f"{prefix}sessions.json", text.encode()))
    written = []
    for name, data in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, mode=0o644)
        written.append(path)
    return written
