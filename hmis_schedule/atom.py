"""The Atom feed (RFC 4287): the next sessions and the recent changes, for feed readers and aggregators.

Calendar apps subscribe to the iCalendar feeds; feed readers and content
systems that aggregate feeds (Drupal's aggregator, Outlook's RSS folder) read
Atom. :func:`render_atom` writes one with ``feedgen`` from the same sessions,
words (:mod:`hmis_schedule.text`) and published record
(:mod:`hmis_schedule.published`) as the calendar feeds.

What it holds, for ``today`` in the schedule's zone and the schedule's
default window ``[start, end)`` (:func:`~hmis_schedule.window.feed_window`):

- **upcoming**: the first :data:`MAX_UPCOMING` sessions taking place from
  ``today`` (inclusive) to the window's end (exclusive), scheduled or
  cancelled;
- **recent changes**: every session of the whole default window (so from
  ``feed.past_days`` days ago) that is cancelled (a public holiday, a closure
  or a cancelling change), moved to another date, added (an extra session)
  or otherwise changed (a change with a reason), at most
  :data:`MAX_CHANGES`, the latest-changed first. "Recent" is therefore: the
  session still lies ahead, or took place within the feed's past window.

One entry per session (a session both upcoming and changed is listed once).
Each entry's ``updated`` is when what subscribers see of it last changed: its
``since`` in the published record, or the schedule's ``updated`` for a
session not recorded. Entries are ordered by ``updated``, latest first, then
by start. The feed's ``updated`` is the latest of its entries' and the
schedule's ``updated``.

Ids are ``urn:uuid:`` names (UUID 5) of the session's uid and the language,
so an entry keeps its id while it is moved, cancelled or reinstated, and the
English and Spanish feeds do not share ids. Nothing reads the clock: equal
inputs give equal bytes (feedgen's own defaults, which stamp "now", are
always overridden).

>>> from datetime import date
>>> from hmis_schedule import clackamas
>>> body = render_atom(clackamas(), date(2026, 11, 23), base_url="https://hmis.example.org")
>>> body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
True
>>> body == render_atom(clackamas(), date(2026, 11, 23), base_url="https://hmis.example.org")
True
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from html import escape

from babel.dates import format_time, get_timezone_name
from feedgen.feed import FeedGenerator

from .addresses import Addresses, page_url
from .i18n import check_language, translations
from .published import Published
from .schedule import Schedule
from .session import Session
from .text import (
    DOMAIN,
    calendar_description,
    calendar_name,
    long_date,
    modality_label,
    session_location,
    session_reason,
    session_summary,
)
from .window import Window, feed_window

__all__ = ["MAX_CHANGES", "MAX_UPCOMING", "Kind", "atom_entries", "entry_id", "kind_of", "render_atom", "xml_text"]

MAX_UPCOMING = 25
"""The most upcoming sessions the feed lists."""
MAX_CHANGES = 50
"""The most changed sessions the feed lists (the latest-changed ones)."""

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot hold (control characters, lone surrogates, U+FFFE/FFFF)."""

_NAMESPACE = uuid.UUID("6f1d7b52-5a4f-5e55-9a86-3f3d9d2f3a10")
"""The namespace of the feed's UUID 5 ids (fixed forever: changing it changes every id)."""


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD (a schedule's notes may hold any).

    >>> xml_text("a" + chr(0) + "b")
    'a\ufffdb'
    """
    return _NOT_XML.sub("\ufffd", text)


def _gettext(lang: str) -> Callable[[str], str]:
    return translations(check_language(lang), DOMAIN).gettext


class Kind(StrEnum):
    """What an entry says about its session (the title's prefix)."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    MOVED = "moved"
    ADDED = "added"
    CHANGED = "changed"


def kind_of(session: Session) -> Kind:
    """What changed about ``session``: cancelled, moved (another date), added (an extra session), changed, or nothing.

    Cancelled wins over moved, moved over added, added over changed.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> kind_of(s.session(f"first-monday-20260907@{s.uid_domain}")), kind_of(s.session(f"first-monday-20261207@{s.uid_domain}"))
    (<Kind.CANCELLED: 'cancelled'>, <Kind.SCHEDULED: 'scheduled'>)
    """
    if session.cancelled:
        return Kind.CANCELLED
    if session.moved:
        return Kind.MOVED
    if session.ordinal is None:
        return Kind.ADDED
    if session.reason:
        return Kind.CHANGED
    return Kind.SCHEDULED


def atom_entries(
    schedule: Schedule, today: date, *, published: Published | None = None, window: Window | None = None
) -> list[Session]:
    """The sessions the feed lists for ``today``, in the feed's order (see the module's rules).

    Parameters
    ----------
    schedule:
        The schedule.
    today:
        Today in the schedule's zone.
    published:
        The published record, for each session's ``updated`` (and so the order).
    window:
        The default window for ``today`` (worked out from the schedule if not given).

    >>> from hmis_schedule import clackamas
    >>> listed = atom_entries(clackamas(), date(2026, 11, 23))
    >>> len({s.uid for s in listed}) == len(listed) <= MAX_UPCOMING + MAX_CHANGES
    True
    """
    record = published if published is not None else Published()
    shown = window if window is not None else feed_window(schedule, today)
    sessions = schedule.sessions_between(shown.start, shown.end)
    upcoming = [s for s in sessions if s.day >= today][:MAX_UPCOMING]

    def latest_first(s: Session) -> tuple[float, Session]:
        return (-record.stamp(s, schedule).timestamp(), s)

    changed = sorted((s for s in sessions if kind_of(s) is not Kind.SCHEDULED), key=latest_first)[:MAX_CHANGES]
    chosen = {s.uid: s for s in (*upcoming, *changed)}
    return sorted(chosen.values(), key=latest_first)


def entry_id(session: Session, lang: str) -> str:
    """The entry's id: a ``urn:uuid:`` (UUID 5) of the session's uid and the language.

    >>> entry_id(_example(), "en") != entry_id(_example(), "es")
    True
    """
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'session {check_language(lang)} {session.uid}')}"


def _example() -> Session:
    from . import clackamas

    s = clackamas()
    return s.session(f"first-monday-20261207@{s.uid_domain}")


def _title(session: Session, schedule: Schedule, lang: str) -> str:
    _ = _gettext(lang)
    summary = session_summary(session, schedule, lang)  # "Cancelled: ..." already for a cancelled one
    kind = kind_of(session)
    if kind is Kind.MOVED:
        summary = _("Moved: %(summary)s") % {"summary": summary}
    elif kind is Kind.ADDED:
        summary = _("Added: %(summary)s") % {"summary": summary}
    elif kind is Kind.CHANGED:
        summary = _("Changed: %(summary)s") % {"summary": summary}
    return _("%(summary)s, %(date)s") % {"summary": summary, "date": long_date(session.day, lang)}


def _times(session: Session, schedule: Schedule, lang: str) -> str:
    def clock(moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=moment.tzinfo, locale=lang)

    zone = get_timezone_name(schedule.zone, "long", zone_variant="generic", locale=lang)
    return f"{clock(session.start)} \u2013 {clock(session.end)} ({zone})"  # an en dash


def _content(session: Session, schedule: Schedule, lang: str, page: str, *, static: bool) -> str:
    """The entry's HTML: date and time, how and where, status and reason, a move, notes, the session's page."""
    _ = _gettext(lang)
    lines = [
        _("When: %(date)s, %(time)s") % {"date": long_date(session.day, lang), "time": _times(session, schedule, lang)},
        _("Where: %(modality)s, %(place)s")
        % {"modality": modality_label(session.modality, lang), "place": session_location(session, lang)},
    ]
    if session.cancelled:
        reason = session_reason(session, schedule, lang).rstrip(". ")
        lines.append(_("This session is cancelled: %(reason)s.") % {"reason": reason})
    elif session.reason:
        lines.append(_("Changed: %(reason)s.") % {"reason": session.reason.rstrip(". ")})
    if session.moved:
        lines.append(_("Moved from %(date)s.") % {"date": long_date(session.original_date, lang)})
    if session.notes:
        lines.append(_("Notes: %(notes)s") % {"notes": session.notes})
    html = "".join(f"<p>{escape(line)}</p>" for line in lines)
    if page:
        label = _("Add to calendar") if static else _("Details and add to calendar")
        html += f'<p><a href="{escape(page)}">{escape(label)}</a></p>'
    return html


def render_atom(
    schedule: Schedule,
    today: date,
    *,
    lang: str = "en",
    base_url: str = "",
    published: Published | None = None,
    static: bool = False,
) -> bytes:
    """The Atom feed of ``schedule`` for ``today``, as UTF-8 XML bytes.

    Parameters
    ----------
    schedule:
        The schedule.
    today:
        Today in the schedule's zone: it decides which sessions are upcoming
        and the default window (the feed never reads the clock).
    lang:
        ``"en"`` or ``"es"``: titles, contents and the feed's ``xml:lang``.
    base_url:
        The public https root without a trailing slash (``""``: root-relative links).
    published:
        The published record: each entry's ``updated`` is its ``since``.
    static:
        Links in the static export's layout (``es/feed.atom``, session
        calendar files instead of the server's session pages).

    Returns
    -------
    The feed; the same inputs give the same bytes.

    Raises
    ------
    ScheduleError
        For an unknown language.

    >>> from hmis_schedule import clackamas
    >>> b"<title>Cancelled: HMIS new user training" in render_atom(clackamas(), date(2026, 11, 23))
    True
    """
    check_language(lang)
    record = published if published is not None else Published()
    addresses = Addresses(base_url, static=static)
    sessions = atom_entries(schedule, today, published=record)
    _ = _gettext(lang)

    feed = FeedGenerator()
    feed.id(f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'feed {lang} {schedule.uid_domain} {schedule.id}')}")
    feed.title(xml_text(calendar_name(schedule, None, lang)))
    feed.subtitle(xml_text(calendar_description(schedule, None, lang)))
    feed.language(lang)
    contact = schedule.contact
    if contact is not None:
        name = contact.department or schedule.name.get(lang)
        feed.author({"name": xml_text(name), "email": xml_text(contact.hmis_email)})
    else:
        feed.author({"name": xml_text(schedule.name.get(lang))})
    feed.link(href=addresses.atom(lang), rel="self", type="application/atom+xml")
    page = addresses.page_in(schedule, lang)  # the export has no page: the schedule's url, if any
    if static:
        page = page_url(schedule, base_url) if schedule.url else ""
    if page:
        feed.link(href=page, rel="alternate", type="text/html")
    feed.generator("hmis-schedule", uri="https://pypi.org/project/hmis-schedule/")
    stamps = [record.stamp(s, schedule) for s in sessions]
    feed.updated(max([schedule.updated.astimezone(UTC), *stamps]))
    for session, stamp in zip(sessions, stamps, strict=True):
        entry = feed.add_entry(order="append")
        entry.id(entry_id(session, lang))
        entry.title(xml_text(_title(session, schedule, lang)))
        # the server's session page; the export has no such pages: the session's calendar file.
        # One link only: feedgen 1.0 writes an entry's links without their rel and type,
        # so a second one would be a second rel="alternate".
        session_page = addresses.session(session.uid, lang) if static else addresses.session_page(session.uid, lang)
        entry.link(href=session_page, rel="alternate")
        entry.updated(stamp)
        entry.category(
            term=session.modality.value,
            label=xml_text(modality_label(session.modality, lang)),
        )
        kind = kind_of(session)
        if kind is not Kind.SCHEDULED:
            entry.category(term=kind.value, label=_kind_label(kind, lang))
        entry.content(xml_text(_content(session, schedule, lang, session_page, static=static)), type="html")
    body: bytes = feed.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return body


def _kind_label(kind: Kind, lang: str) -> str:
    _ = _gettext(lang)
    labels = {
        Kind.CANCELLED: _("Cancelled"),
        Kind.MOVED: _("Moved"),
        Kind.ADDED: _("Added"),
        Kind.CHANGED: _("Changed"),
    }
    return labels.get(kind, kind.value)

