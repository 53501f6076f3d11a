"""JSON records: one record for a session and one header for a schedule, shared by every JSON document.

The server's ``/api/sessions.json`` and ``/api/next.json``, the static
export's ``sessions.json`` and ``hmis-schedule list --format json`` all
describe sessions with :func:`session_record` and the schedule with
:func:`schedule_info`, so a script reads the same fields wherever it gets them.
"""

from __future__ import annotations

from .addresses import Addresses
from .i18n import check_language
from .published import Published
from .schedule import Schedule
from .session import Session
from .text import session_location, session_reason, session_summary

__all__ = ["schedule_info", "session_record"]


def session_record(
    session: Session,
    schedule: Schedule,
    *,
    base_url: str = "",
    lang: str = "en",
    static: bool = False,
    published: Published | None = None,
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
        ``ics_url`` leads to the file the static export writes (Spanish under
        ``es/``) instead of the server's route (Spanish with ``?lang=es``).
    published:
        What was published (:mod:`hmis_schedule.published`): ``sequence`` is
        then the feeds' SEQUENCE for the session; without it, the computed one.

    Returns
    -------
    A dict with ``uid``, ``slot``, ``date`` (the day it takes place, in the
    schedule's zone), ``start`` and ``end`` (ISO 8601 with the offset), ``modality``, ``location`` (full), ``room``, ``status``,
    ``reason`` (as people read it, e.g. "Labor Day - county offices closed"),
    ``sequence``, ``summary``, ``notes``, ``original_date``, ``moved`` (whether
    it takes place at another date or time than planned), ``ics_url``.

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
        "date": session.day.isoformat(),
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "modality": session.modality.value,
        "location": session_location(session, lang),
        "room": session.room,
        "status": session.status.value,
        "reason": session_reason(session, schedule, lang),
        "sequence": session.sequence if published is None else published.sequence(session),
        "summary": session_summary(session, schedule, lang),
        "notes": session.notes,
        "original_date": session.original_date.isoformat(),
        "moved": session.moved,
        "ics_url": Addresses(base_url, static=static).session(session.uid, lang),
    }


def schedule_info(schedule: Schedule, *, lang: str = "en", base_url: str = "") -> dict[str, str]:
    """What a JSON document says about its schedule: id, name, zone, ``updated``, version and page.

    >>> from hmis_schedule import clackamas
    >>> info = schedule_info(clackamas(), lang="es", base_url="https://hmis.example.org")
    >>> info["timezone"], info["url"]
    ('America/Los_Angeles', 'https://hmis.example.org/')
    """
    return {
        "schedule": schedule.id,
        "name": schedule.name.get(check_language(lang)),
        "timezone": schedule.timezone,
        "updated": schedule.updated.isoformat(),
        "version": schedule.version,
        "url": Addresses(base_url).page(schedule),
    }
