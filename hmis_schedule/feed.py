"""Stage 5 of the pipeline: sessions to iCalendar (RFC 5545) bytes, with ``icalendar``.

Every client (Outlook, Google Calendar, Apple Calendar, Thunderbird) must show
the same sessions at the same wall-clock times, so the feed is written in the
form they all read alike:

- **One VEVENT per session, no RRULE.** Outlook cannot express "the fifth
  Monday" and rewrites such rules; expanded events are read the same
  everywhere. Each event's UID is the session's stable uid.
- **Cancelled sessions stay**, with ``STATUS:CANCELLED``, a higher SEQUENCE, a
  summary starting "Cancelled:" and the reason in the description.
- **Deterministic bytes.** DTSTAMP and LAST-MODIFIED are the schedule's
  ``updated`` time or, given a record of what was published
  (:mod:`hmis_schedule.published`), each event's own: when its content was
  first published; SEQUENCE is then the published one, which never falls; the calendar's UID and PRODID are fixed, icalendar is given
  ``uid=`` and ``stamp=`` so it invents nothing: equal inputs, equal bytes.
- **Times** carry the schedule's IANA TZID and a VTIMEZONE in the classic
  one-STANDARD-one-DAYLIGHT form Outlook reads (:mod:`hmis_schedule.vtimezone`),
  checked against ``zoneinfo`` for every session written; ``X-HMIS-TZDATA``
  names the release of the tz data (:mod:`hmis_schedule.zones`). A wall-clock time
  that happens twice (the repeated hour when clocks go back) is written in
  UTC instead, so no reader has to guess which of the two is meant; the
  event's other end is then written in UTC too, so both ends of an event
  always take the same form.
- **RFC 5546.** ``METHOD:PUBLISH`` only with an ORGANIZER in every event (the
  schedule's ``[contact]`` ``hmis_email``, :func:`organizer`); a schedule
  without a contact gets no METHOD, as a plain RFC 5545 calendar.
- **Text** comes from :mod:`hmis_schedule.text` in English or Spanish,
  escaped by :class:`IcsText`; lines are folded at 75 octets by
  :func:`fold_line` (never inside a UTF-8 character or an escape), CRLF ends.

Addresses in events come from :mod:`hmis_schedule.addresses`: with a base
URL, each event's URL is its session's own page (``/sessions/<uid>``, in the
feed's language), and its DESCRIPTION ends with the public page.

The window is worked out once, by :func:`feed_window` (the schedule's
``[feed]`` defaults and limit applied), and passed to the renderers as a
:class:`Window`, which they take as it is.

>>> from datetime import date
>>> from hmis_schedule import clackamas, feed_window
>>> schedule = clackamas()
>>> ics = render_feed(schedule, feed_window(schedule, date(2026, 11, 23)), filter="in_person")
>>> ics.count(b"BEGIN:VEVENT"), ics.splitlines()[1]
(18, b'VERSION:2.0')
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Protocol
from urllib.parse import quote

from icalendar import Calendar, Component, Conference, Event, vDuration, vText
from icalendar.enums import STATUS, TRANSP

from .addresses import Addresses, FeedFilter, feed_filter, page_url
from .i18n import check_language
from .published import Published
from .rules import Modality
from .schedule import Schedule
from .session import Session
from .text import (
    calendar_description,
    calendar_name,
    modality_label,
    session_description,
    session_location,
    session_summary,
)
from .values import https_url
from .vtimezone import ZoneRules, zone_rules
from .window import Window
from .zones import tzdata_version

__all__ = [
    "PRODID",
    "IcsText",
    "Parts",
    "clean_text",
    "escape_text",
    "feed_calendar",
    "fold_line",
    "organizer",
    "render_feed",
    "render_session",
    "session_calendar",
    "session_event",
    "session_summary",
    "to_ics",
]

PRODID = "-//hmis-schedule//Training schedule feed//EN"
"""The fixed product identifier of every feed."""


# -- text -------------------------------------------------------------------

_LINE_OCTETS = 75
_CONTROLS = dict.fromkeys(c for c in range(0x20) if c not in (0x09, 0x0A)) | {0x7F: None}


def clean_text(value: str) -> str:
    r"""``value`` as RFC 5545 TEXT may hold it: line breaks as ``\n``, no other control characters.

    ``\r\n`` and a lone ``\r`` become ``\n``; tabs stay; other C0 controls
    and DEL, which TEXT cannot carry, are dropped.

    >>> clean_text("Room 2\r\nBack door\x07")
    'Room 2\nBack door'
    """
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(_CONTROLS)


def escape_text(value: str) -> str:
    r"""``value`` escaped as an RFC 5545 TEXT value (after :func:`clean_text`).

    >>> print(escape_text('C:\\Notes; a, b\nc'))
    C:\\Notes\; a\, b\nc
    """
    return (
        clean_text(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    )


class IcsText(vText):
    """A TEXT property value, escaped by :func:`escape_text`.

    icalendar 7.3's own escaping reads a literal backslash followed by ``N``
    in the text as a line break; this writes the text exactly as given.
    """

    __slots__ = ()

    def to_ical(self) -> bytes:
        """The escaped value, UTF-8."""
        return escape_text(str(self)).encode()


def fold_line(line: bytes) -> bytes:
    r"""Fold one content line (UTF-8) at 75 octets, never inside a character or an escape.

    RFC 5545 allows a fold anywhere but inside a UTF-8 character; some
    clients also misread an escape (``\,``) split by a fold, and icalendar 7.3
    can split a ``\\`` pair, so the feed folds its lines itself.

    >>> folded = fold_line(b"DESCRIPTION:" + "é".encode() * 40)
    >>> [len(part) for part in folded.split(b"\r\n")]
    [74, 19]
    """
    if len(line) <= _LINE_OCTETS:
        return line
    parts = []
    start, limit = 0, _LINE_OCTETS
    while len(line) - start > limit:
        cut = start + limit
        while line[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: step back to the character's start
            cut -= 1
        run = 0
        while line[cut - 1 - run] == 0x5C:  # backslashes just before the cut
            run += 1
        if run % 2:  # the last one starts an escape: keep it with what it escapes
            cut -= 1
        parts.append(line[start:cut])
        start, limit = cut, _LINE_OCTETS - 1  # a continuation line starts with a space
    parts.append(line[start:])
    return b"\r\n ".join(parts)


def to_ics(calendar: Component) -> bytes:
    """``calendar`` (or any component) as iCalendar bytes: icalendar's content lines, folded by :func:`fold_line`, CRLF ends.

    >>> to_ics(Calendar.new(uid="x@example.org", prodid=PRODID)).splitlines()[:2]
    [b'BEGIN:VCALENDAR', b'VERSION:2.0']
    """
    return b"".join(fold_line(line.encode()) + b"\r\n" for line in calendar.content_lines() if line)


# -- events -------------------------------------------------------------------


def _stamp(schedule: Schedule) -> datetime:
    return schedule.updated.astimezone(UTC)


def _ambiguous(value: datetime, schedule: Schedule, rules: ZoneRules) -> bool:
    """Whether a reader could misplace ``value`` written with the schedule's TZID.

    True for a wall-clock time that happens twice (the repeated hour when
    clocks go back) and for one the VTIMEZONE's rules would place otherwise.
    """
    local = value.astimezone(schedule.zone)
    repeated = local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()
    return repeated or rules.offset_at(local.replace(tzinfo=None)) != local.utcoffset()


def _moments(session: Session, schedule: Schedule, rules: ZoneRules) -> tuple[datetime, datetime]:
    """The DTSTART and DTEND written for a session, both in the same form.

    Both carry the schedule's TZID, or both are in UTC when either one could
    be misplaced with the TZID: some readers add an hour to a TZID end that
    follows a UTC start across a clock change.
    """
    start, end = session.start, session.end
    if _ambiguous(start, schedule, rules) or _ambiguous(end, schedule, rules):
        return start.astimezone(UTC), end.astimezone(UTC)
    return start.astimezone(schedule.zone), end.astimezone(schedule.zone)


def organizer(schedule: Schedule) -> str | None:
    """The ORGANIZER of the schedule's events: ``mailto:`` its administrator's address, or ``None``.

    RFC 5546 requires an ORGANIZER in every event of a ``METHOD:PUBLISH``
    calendar; a schedule without a ``[contact]`` has none, and its feeds
    carry no METHOD at all (a plain RFC 5545 calendar). Characters an
    address may hold but a ``mailto:`` URI may not are percent-encoded.

    >>> from hmis_schedule import clackamas
    >>> organizer(clackamas())
    'mailto:hmisadmin@clackamas.us'
    """
    if schedule.contact is None:
        return None
    return "mailto:" + quote(schedule.contact.hmis_email, safe="@!$'*+=-._~")


def session_event(
    session: Session,
    schedule: Schedule,
    *,
    lang: str = "en",
    base_url: str = "",
    rules: ZoneRules | None = None,
    join_url: str | None = None,
    published: Published | None = None,
    session_pages: bool = True,
) -> Event:
    """The VEVENT of one session.

    Parameters
    ----------
    session, schedule:
        The session and its schedule.
    lang:
        ``"en"`` or ``"es"``.
    base_url:
        The public https root: the event's URL is the session's own page
        under it (``/sessions/<uid>``), and its DESCRIPTION ends with the
        public page (the schedule's ``url``, else the root). Without a base
        URL, the event's URL is the schedule's ``url`` (or none).
    rules:
        The VTIMEZONE rules the calendar carries (default: those of the
        session's year); every time is checked against them.
    join_url:
        The meeting's join URL, for private feeds only: an online session
        that takes place then carries it as its URL, in its DESCRIPTION and
        as a CONFERENCE (RFC 7986). In-person and cancelled sessions never do.
    published:
        What was published (:class:`~hmis_schedule.published.Published`):
        the event's SEQUENCE, DTSTAMP and LAST-MODIFIED come from it. Without
        it, the computed sequence and the schedule's ``updated``.
    session_pages:
        Whether ``base_url`` serves each session's page (the server does;
        the static export does not: its events' URL is the public page).

    Returns
    -------
    An icalendar :class:`~icalendar.Event`.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> event = session_event(s.session(f"second-monday-20261214@{s.uid_domain}"), s)
    >>> str(event["LOCATION"])
    'PSB 216, 2051 Kaen Road, Oregon City, OR 97045'
    """
    if rules is None:
        rules = zone_rules(schedule.timezone, session.day.year, session.day.year)
    stamp = _stamp(schedule) if published is None else published.stamp(session, schedule)
    url = page_url(schedule, base_url)
    own = Addresses(base_url).session_page(session.uid, lang) if base_url and session_pages else url
    join = join_url if join_url and session.modality is Modality.ONLINE and not session.cancelled else ""
    start, end = _moments(session, schedule, rules)
    event = Event.new(
        uid=session.uid,
        stamp=stamp,
        last_modified=stamp,
        sequence=session.sequence if published is None else published.sequence(session),
        start=start,
        end=end,
        organizer=organizer(schedule),
        url=join or own or None,
        conferences=[Conference(join, feature="VIDEO", label=session_location(session, lang))] if join else None,
        categories=[modality_label(session.modality, lang)],
        status=STATUS.CANCELLED if session.cancelled else STATUS.CONFIRMED,
        transparency=TRANSP.TRANSPARENT if session.cancelled else TRANSP.OPAQUE,
    )
    event.add("SUMMARY", IcsText(session_summary(session, schedule, lang)))
    event.add("LOCATION", IcsText(session_location(session, lang)))
    event.add("DESCRIPTION", IcsText(session_description(session, schedule, lang, url, join_url=join)))
    return event


def _calendar(
    schedule: Schedule,
    sessions: Sequence[Session],
    *,
    lang: str,
    base_url: str,
    years: tuple[int, int],
    modality: Modality | None,
    subscription: bool,
    uid: str,
    join_url: str | None = None,
    published: Published | None = None,
    session_pages: bool = True,
) -> Calendar:
    rules = zone_rules(schedule.timezone, *years)
    events: Iterable[Event] = (
        session_event(
            s, schedule, lang=lang, base_url=base_url, rules=rules, join_url=join_url, published=published,
            session_pages=session_pages,
        )
        for s in sessions
    )
    return _head(
        schedule,
        lang=lang,
        base_url=base_url,
        modality=modality,
        subscription=subscription,
        uid=uid,
        last_modified=_last_modified(schedule, sessions, published),
        subcomponents=[rules.component(), *events],
    )


def _last_modified(schedule: Schedule, sessions: Sequence[Session], published: Published | None) -> datetime:
    """The calendar's LAST-MODIFIED: the latest change of any event it holds, or the schedule's ``updated``."""
    modified = _stamp(schedule)
    if published is None:
        return modified
    return max([modified, *(published.stamp(s, schedule) for s in sessions)])


def _head(
    schedule: Schedule,
    *,
    lang: str,
    base_url: str,
    modality: Modality | None,
    subscription: bool,
    uid: str,
    last_modified: datetime,
    subcomponents: Sequence[Component] = (),
) -> Calendar:
    """The VCALENDAR with its properties and ``subcomponents`` (none: the head :func:`render_feed` fills in)."""
    cal = Calendar.new(
        uid=uid,
        prodid=PRODID,
        method="PUBLISH" if organizer(schedule) else None,
        calscale="GREGORIAN",
        last_modified=last_modified,
        subcomponents=list(subcomponents),
    )
    cal.add("X-WR-TIMEZONE", schedule.timezone)
    cal.add("X-HMIS-TZDATA", tzdata_version())  # the tz data release every time was placed with
    if subscription:
        # NAME, DESCRIPTION and their X-WR- twins are all TEXT (icalendar
        # would write the X-WR- ones unescaped).
        name = calendar_name(schedule, modality, lang)
        about = calendar_description(schedule, modality, lang)
        for key, value in (("NAME", name), ("X-WR-CALNAME", name), ("DESCRIPTION", about), ("X-WR-CALDESC", about)):
            cal.add(key, IcsText(value))
        interval = schedule.feed.refresh_interval
        cal.add("REFRESH-INTERVAL", vDuration(interval), parameters={"VALUE": "DURATION"})
        cal.add("X-PUBLISHED-TTL", vDuration(interval))
        url = page_url(schedule, base_url)
        if url:
            cal.url = url
    return cal


def _feed_uid(schedule: Schedule, chosen: FeedFilter, lang: str, join_url: str | None) -> str:
    private = "-private" if join_url else ""
    return f"{schedule.id}-{chosen.value.replace('_', '-')}-{lang}{private}@{schedule.uid_domain}"


class Parts(Protocol):
    """Where :func:`render_feed` keeps the bytes of a feed's parts between calls.

    ``parts(key, make)`` returns the bytes kept for ``key``, or ``make()``'s
    (keeping them or not, as the store decides). A key holds everything the
    part's bytes depend on *except the schedule*: a store serves one schedule
    (the server keeps one per schedule version). A VEVENT's key is its
    session, language, base URL, join URL and whether its start and end are
    written in UTC (what the VTIMEZONE in force decides), so any window is
    assembled from the same events, and a window costs its sessions and a
    look-up per event once those are kept. A plain ``dict``'s ``setdefault``
    would do, but is not bounded.

    >>> kept: dict[object, bytes] = {}
    >>> def store(key, make):
    ...     return kept[key] if key in kept else kept.setdefault(key, make())
    >>> from datetime import date
    >>> from hmis_schedule import clackamas, feed_window
    >>> s = clackamas()
    >>> w = feed_window(s, date(2026, 11, 23))
    >>> render_feed(s, w, parts=store) == render_feed(s, w) == to_ics(feed_calendar(s, w))
    True
    >>> len(kept)  # the head, the VTIMEZONE and 78 events
    80
    """

    def __call__(self, key: Hashable, make: Callable[[], bytes], /) -> bytes:
        """The bytes kept for ``key``, or ``make()``'s."""
        ...


def feed_calendar(
    schedule: Schedule,
    window: Window,
    *,
    lang: str = "en",
    filter: FeedFilter | str = FeedFilter.ALL,
    base_url: str = "",
    join_url: str | None = None,
    published: Published | None = None,
    session_pages: bool = True,
) -> Calendar:
    """The feed as an icalendar :class:`~icalendar.Calendar`, before serializing.

    Same parameters and errors as :func:`render_feed`, whose bytes are
    ``to_ics(feed_calendar(...))`` (it serializes the parts one by one).

    >>> from datetime import date
    >>> from hmis_schedule import clackamas, feed_window
    >>> schedule = clackamas()
    >>> cal = feed_calendar(schedule, feed_window(schedule, date(2026, 11, 23)), filter="online")
    >>> str(cal["X-WR-CALNAME"]), len(cal.timezones)
    ('Clackamas County HMIS new user training (online)', 1)
    """
    check_language(lang)
    chosen = feed_filter(filter)
    if join_url is not None:
        join_url = https_url(join_url, "join_url")
    sessions = schedule.sessions_between(window.start, window.end, modality=chosen.modality)
    return _calendar(
        schedule,
        sessions,
        lang=lang,
        base_url=base_url,
        years=(window.start.year, window.end.year),
        modality=chosen.modality,
        subscription=True,
        uid=_feed_uid(schedule, chosen, lang, join_url),
        join_url=join_url,
        published=published,
        session_pages=session_pages,
    )


def render_feed(
    schedule: Schedule,
    window: Window,
    *,
    lang: str = "en",
    filter: FeedFilter | str = FeedFilter.ALL,
    base_url: str = "",
    join_url: str | None = None,
    published: Published | None = None,
    parts: Parts | None = None,
    session_pages: bool = True,
) -> bytes:
    """The whole calendar feed: every session in the window, as iCalendar bytes (CRLF).

    Parameters
    ----------
    schedule:
        The schedule.
    window:
        The dates covered, ``[start, end)``: normally :func:`feed_window`'s,
        which applies the schedule's ``[feed]`` defaults and limit. It is
        taken as it is, not checked again.
    lang:
        ``"en"`` or ``"es"``.
    filter:
        ``"all"``, ``"online"`` or ``"in_person"`` (or a :class:`FeedFilter`).
    base_url:
        The public https root without a trailing slash: each event's URL is
        its session's page under it (see :func:`session_event`).
    join_url:
        The meeting's join URL, for a *private* feed only (never a public
        one): online sessions that take place carry it as their URL, in their
        DESCRIPTION and as a CONFERENCE; the calendar's UID ends ``-private``.
        Without it the bytes are the public feed's.
    published:
        What was published (:mod:`hmis_schedule.published`): each event's
        SEQUENCE, DTSTAMP and LAST-MODIFIED come from it, and the calendar's
        LAST-MODIFIED is the latest of its events' (or the schedule's
        ``updated``, if later). Without it, the computed sequences and the
        schedule's ``updated`` everywhere.
    parts:
        Where the bytes of the feed's parts (its head, VTIMEZONE and each
        VEVENT) are kept between calls, for this schedule only (see
        :class:`Parts`); without it every part is made anew. The bytes are the
        same either way: ``to_ics(feed_calendar(...))``.
    session_pages:
        Whether ``base_url`` serves each session's page (``False`` for the
        static export, which has none: the events' URL is then the public page).

    Returns
    -------
    The same bytes for the same arguments, every time.

    Raises
    ------
    ScheduleError
        For an unknown language or filter (the message lists the choices), or
        a join URL that is not an https URL (field ``join_url``).

    >>> from datetime import date
    >>> from hmis_schedule import clackamas, feed_window
    >>> schedule = clackamas()
    >>> window = feed_window(schedule, date(2026, 11, 23), date(2026, 9, 7), date(2026, 9, 8))
    >>> event = Calendar.from_ical(render_feed(schedule, window, lang="es")).events[0]
    >>> str(event["STATUS"]), str(event["SUMMARY"])
    ('CANCELLED', 'Cancelada: Capacitación para nuevos usuarios de HMIS (Microsoft Teams)')
    """
    check_language(lang)
    chosen = feed_filter(filter)
    if join_url is not None:
        join_url = https_url(join_url, "join_url")
    keep = parts if parts is not None else _made
    sessions = schedule.sessions_between(window.start, window.end, modality=chosen.modality)
    rules = zone_rules(schedule.timezone, window.start.year, window.end.year)
    uid = _feed_uid(schedule, chosen, lang, join_url)
    modified = _last_modified(schedule, sessions, published)

    def head() -> bytes:
        calendar = _head(
            schedule, lang=lang, base_url=base_url, modality=chosen.modality, subscription=True, uid=uid,
            last_modified=modified,
        )  # fmt: skip
        return to_ics(calendar)[: -len(_END)]

    def event(session: Session) -> bytes:
        return to_ics(
            session_event(
                session, schedule, lang=lang, base_url=base_url, rules=rules, join_url=join_url, published=published,
                session_pages=session_pages,
            )
        )

    if parts is None:
        events = [event(s) for s in sessions]
    else:
        events = [
            parts(
                _event_key(s, schedule, rules, lang, base_url if session_pages else ("", base_url), join_url, published),
                partial(event, s),
            )
            for s in sessions
        ]
    return b"".join(
        (
            keep(("head", uid, lang, base_url, chosen.modality, modified), head),
            keep(("vtimezone", rules.tzid, rules.first_year, rules.last_year), lambda: to_ics(rules.component())),
            *events,
            _END,
        )
    )


_END = b"END:VCALENDAR\r\n"


def _made(key: Hashable, make: Callable[[], bytes], /) -> bytes:
    return make()


def _event_key(
    session: Session,
    schedule: Schedule,
    rules: ZoneRules,
    lang: str,
    base_url: str | tuple[str, str],
    join_url: str | None,
    published: Published | None,
) -> Hashable:
    """Everything a VEVENT's bytes depend on, but the schedule (see :class:`Parts`)."""
    join = join_url if join_url and session.modality is Modality.ONLINE and not session.cancelled else None
    in_utc = _moments(session, schedule, rules)[0].tzinfo is UTC  # both ends are in one form
    record = None if published is None else (published.sequence(session), published.stamp(session, schedule))
    return ("event", session, lang, base_url, join, in_utc, record)


def session_calendar(
    schedule: Schedule,
    uid: str,
    *,
    lang: str = "en",
    base_url: str = "",
    published: Published | None = None,
    session_pages: bool = True,
) -> Calendar:
    """The one-event calendar of a session, before serializing (see :func:`render_session`).

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> [str(e["UID"]) for e in session_calendar(s, f"first-monday-20261207@{s.uid_domain}").events]
    ['first-monday-20261207@hmis-training.clackamas.us']
    """
    check_language(lang)
    session = schedule.session(uid)
    day = session.day
    return _calendar(
        schedule,
        [session],
        lang=lang,
        base_url=base_url,
        years=(day.year, day.year),
        modality=session.modality,
        subscription=False,
        uid=f"{schedule.id}-session-{lang}-{uid}",
        published=published,
        session_pages=session_pages,
    )


def render_session(
    schedule: Schedule,
    uid: str,
    *,
    lang: str = "en",
    base_url: str = "",
    published: Published | None = None,
    session_pages: bool = True,
) -> bytes:
    """A calendar with one session, for "Add to calendar" buttons.

    It has no calendar name or refresh interval, so apps add the event to a
    calendar the person chooses instead of subscribing.

    Parameters
    ----------
    schedule:
        The schedule.
    uid:
        The session's uid.
    lang:
        ``"en"`` or ``"es"``.
    base_url:
        The public https root without a trailing slash.
    published:
        What was published, as for :func:`render_feed`.
    session_pages:
        As for :func:`render_feed`.

    Returns
    -------
    iCalendar bytes (CRLF).

    Raises
    ------
    SessionNotFoundError
        If no session has that uid.
    ScheduleError
        For an unknown language.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> render_session(s, f"first-monday-20261207@{s.uid_domain}").count(b"BEGIN:VEVENT")
    1
    """
    return to_ics(
        session_calendar(
            schedule, uid, lang=lang, base_url=base_url, published=published, session_pages=session_pages
        )
    )
