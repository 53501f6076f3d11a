"""The words of the calendar feeds: summaries, locations, descriptions, calendar names.

Every sentence is an English message marked for translation (``_()`` around a
literal, or :func:`N_` for a name kept in a table) and translated through the
``feed`` gettext catalog, ``locale/<lang>/LC_MESSAGES/feed.po``. Regenerate
the catalog after changing a message with ``make messages``; a test fails when
a message has no Spanish translation.

The schedule's own words (its name, description, a closure's reason, notes)
come from the schedule file and are used as they are, in the language asked
for where the file gives one.

>>> from datetime import date, datetime
>>> from hmis_schedule import clackamas
>>> schedule = clackamas()
>>> labor_day = schedule.sessions_between(date(2026, 9, 7), date(2026, 9, 8))[0]
>>> session_summary(labor_day, schedule, "en")
'Cancelled: HMIS new user training (Microsoft Teams)'
>>> session_reason(labor_day, schedule, "es")
'Día del Trabajo: oficinas del condado cerradas'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from babel.dates import format_date, format_time

from .i18n import check_language, translations
from .rules import Modality
from .schedule import Schedule
from .session import Session

__all__ = [
    "HOLIDAY_MARK",
    "HOLIDAY_NAMES",
    "N_",
    "calendar_description",
    "calendar_name",
    "clock",
    "holiday_name",
    "long_date",
    "modality_label",
    "moved_note",
    "session_description",
    "session_location",
    "session_reason",
    "session_summary",
]

DOMAIN = "feed"
"""The gettext domain (catalog name) of the feed's messages."""


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalog without translating it here."""
    return message


HOLIDAY_NAMES = (
    N_("Alaska Day"),
    N_("All Souls' Day"),
    N_("American Indian Heritage Day"),
    N_("American Samoa Flag Day"),
    N_("Arbor Day"),
    N_("Bennington Battle Day"),
    N_("Casimir Pulaski Day"),
    N_("Cesar Chavez Day"),
    N_("Christmas Day"),
    N_("Christmas Eve"),
    N_("Christmas Second Day"),
    N_("Citizenship Day"),
    N_("Columbus Day"),
    N_("Columbus Day / American Indian Heritage Day / Fraternal Day"),
    N_("Columbus Day and Puerto Rico Friendship Day"),
    N_("Commonwealth Covenant Day"),
    N_("Commonwealth Cultural Day"),
    N_("Confederate Memorial Day"),
    N_("Constitution Day"),
    N_("Day After Christmas"),
    N_("Day After Thanksgiving"),
    N_("Diwali"),
    N_("Dr. Martin Luther King Jr. / Civil Rights Day"),
    N_("Dr. Martin Luther King Jr. and Robert E. Lee's Birthdays"),
    N_("Easter Monday"),
    N_("Election Day"),
    N_("Emancipation Day"),
    N_("Emancipation Day In Texas"),
    N_("Epiphany"),
    N_("Family Day"),
    N_("Frances Xavier Cabrini Day"),
    N_("Friday After Thanksgiving"),
    N_("George Washington & Thomas Jefferson's Birthday"),
    N_("George Washington Day"),
    N_("George Washington Day, Presidents' Day, and the Day of the Women and Men Heroes of Puerto Rico"),
    N_("George Washington's Birthday and Daisy Gatson Bates Day"),
    N_("Good Friday"),
    N_("Guam Discovery Day"),
    N_("Holy Thursday"),
    N_("Inauguration Day"),
    N_("Independence Day"),
    N_("Indigenous Peoples' Day"),
    N_("Indigenous Peoples' Day / Columbus Day"),
    N_("Jefferson Davis Birthday"),
    N_("Juneteenth National Independence Day"),
    N_("Kamehameha Day"),
    N_("Labor Day"),
    N_("Lady of Camarin Day"),
    N_("Lee Jackson Day"),
    N_("Liberation Day (Guam)"),
    N_("Liberty Day"),
    N_("Lincoln's Birthday"),
    N_("Lincoln's and Washington's Birthdays"),
    N_("Lincoln/Washington Presidents' Day"),
    N_("Lyndon Baines Johnson Day"),
    N_("Manu'a Islands Cession Day"),
    N_("Mardi Gras"),
    N_("Martin Luther King Jr. / Idaho Human Rights Day"),
    N_("Martin Luther King Jr. Day"),
    N_("Martin Luther King Jr.'s Birthday"),
    N_("Martin Luther King, Jr & Robert E. Lee's Birthday"),
    N_("Memorial Day"),
    N_("Native American Heritage Day"),
    N_("Native Americans' Day"),
    N_("Nevada Day"),
    N_("New Year's Day"),
    N_("New Year's Eve"),
    N_("Patriots' Day"),
    N_("Pioneer Day"),
    N_("President's Day"),
    N_("Presidents Day"),
    N_("Presidents' Day"),
    N_("Primary Election Day"),
    N_("Prince Jonah Kuhio Kalanianaole Day"),
    N_("Puerto Rican Culture and Discovery of Puerto Rico Day"),
    N_("Puerto Rican Identity Day"),
    N_("Puerto Rico Constitution Day"),
    N_("San Jacinto Day"),
    N_("Seward's Day"),
    N_("State Holiday"),
    N_("Statehood Day"),
    N_("Susan B. Anthony Day"),
    N_("Texas Independence Day"),
    N_("Thanksgiving"),
    N_("Thanksgiving Day"),
    N_("Three Kings Day"),
    N_("Town Meeting Day"),
    N_("Transfer Day"),
    N_("Truman Day"),
    N_("Veterans Day"),
    N_("Victory Day"),
    N_("Washington and Lincoln Day"),
    N_("Washington's Birthday"),
    N_("Washington's and Lincoln's Birthday"),
    N_("Washington-Lincoln Day"),
    N_("West Virginia Day"),
    N_("White Sunday"),
)
"""The public holiday names the ``holidays`` package gives for the United States, every state and
territory (it has no Spanish for them); the catalog translates each (``tests/test_text.py`` checks
that none the installed package can give is missing)."""

_OBSERVED = " (observed)"

HOLIDAY_MARK = "{holiday}"
"""Where the schedule's ``[holidays]`` ``closed`` wording puts the holiday's name."""


def _gettext(lang: str) -> Callable[[str], str]:
    return translations(check_language(lang), DOMAIN).gettext


def holiday_name(name: str, lang: str = "en") -> str:
    """A holiday's name from the ``holidays`` package, in ``lang``.

    Names joined with ``"; "`` (two holidays on one day) and the
    ``" (observed)"`` suffix are translated part by part; a name the catalog
    lacks stays in English.

    >>> holiday_name("Independence Day (observed)", "es")
    'Día de la Independencia (día feriado observado)'
    """
    _ = _gettext(lang)
    parts = []
    for part in name.split("; "):
        if part.endswith(_OBSERVED):
            parts.append(_("%(holiday)s (observed)") % {"holiday": _(part[: -len(_OBSERVED)])})
        else:
            parts.append(_(part))
    return "; ".join(parts)


def long_date(day: date, lang: str = "en") -> str:
    """A date written out for people, e.g. ``"Monday, February 8, 2027"``.

    >>> long_date(date(2027, 2, 8), "es")
    'lunes, 8 de febrero de 2027'
    """
    return format_date(day, format="full", locale=check_language(lang))


def clock(moment: datetime, lang: str = "en") -> str:
    """The wall-clock time of ``moment`` in its own zone, e.g. ``"9:00 AM"``.

    >>> from zoneinfo import ZoneInfo
    >>> clock(datetime(2027, 2, 8, 13, 0, tzinfo=ZoneInfo("America/Los_Angeles")), "es")
    '13:00'
    """
    return format_time(moment, format="short", tzinfo=moment.tzinfo, locale=check_language(lang))


def _is_holiday(session: Session, schedule: Schedule) -> bool:
    if schedule.holidays is None or any(c.date == session.day for c in schedule.closures):
        return False
    return schedule.holidays.name_on(session.day) == session.reason


def session_reason(session: Session, schedule: Schedule, lang: str = "en") -> str:
    """Why a session is cancelled, for people (``""`` for a session that takes place).

    A public holiday reads as the schedule's ``[holidays]`` ``closed`` says,
    ``{holiday}`` replaced by the holiday's name in ``lang`` ("Labor Day -
    county offices closed"), or the name alone; a closure's or change's
    reason is shown as the schedule file gives it.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> session_reason(s.session(f"first-monday-20260907@{s.uid_domain}"), s)
    'Labor Day - county offices closed'
    """
    if not session.reason:
        return ""
    if session.cancelled and schedule.holidays is not None and _is_holiday(session, schedule):
        name = holiday_name(session.reason, lang)
        closed = schedule.holidays.closed.get(lang)
        return closed.replace(HOLIDAY_MARK, name) if closed else name
    return session.reason


def moved_note(session: Session, lang: str = "en") -> str:
    """"Moved from <planned date>." for a moved session, ``""`` for one on its planned date.

    >>> import dataclasses
    >>> from hmis_schedule import Change, clackamas
    >>> s = clackamas()
    >>> s = dataclasses.replace(s, changes=(Change(slot="second-monday", date=date(2027, 2, 8), to_date=date(2027, 2, 9)),))
    >>> moved_note(s.session(f"second-monday-20270208@{s.uid_domain}"), "es")
    'Trasladada desde el lunes, 8 de febrero de 2027.'
    """
    if not session.moved:
        return ""
    _ = _gettext(lang)
    return _("Moved from %(date)s.") % {"date": long_date(session.original_date, lang)}


def modality_label(modality: Modality, lang: str = "en") -> str:
    """"Online" or "In person", in ``lang`` (the feed's CATEGORIES).

    >>> modality_label(Modality.IN_PERSON, "es")
    'Presencial'
    """
    _ = _gettext(lang)
    return _("Online") if modality is Modality.ONLINE else _("In person")


def session_location(session: Session, lang: str = "en") -> str:
    """The LOCATION: the full street address in person, the platform ("Microsoft Teams") online.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> session_location(s.session(f"first-monday-20261207@{s.uid_domain}"))
    'Microsoft Teams'
    """
    if session.modality is Modality.IN_PERSON:
        return session.full_location
    return session.location or _gettext(lang)("Online")


def session_summary(session: Session, schedule: Schedule, lang: str = "en") -> str:
    """The SUMMARY: the training and how it is attended, e.g. "HMIS new user training (Microsoft Teams)".

    In person it reads "HMIS new user training (in person, PSB 216)"; a
    cancelled session's summary starts with "Cancelled:".

    Parameters
    ----------
    session:
        The session.
    schedule:
        Its schedule (for the training's title).
    lang:
        ``"en"`` or ``"es"``.

    Returns
    -------
    The one-line summary.

    Raises
    ------
    ScheduleError
        For an unknown language.

    >>> from datetime import date, datetime
    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> in_person = s.sessions_between(date(2026, 12, 14), date(2026, 12, 15))[0]
    >>> session_summary(in_person, s, "es")
    'Capacitación para nuevos usuarios de HMIS (presencial, PSB 216)'
    """
    _ = _gettext(lang)
    title = schedule.title.get(lang)
    if session.modality is Modality.IN_PERSON:
        if session.room:
            text = _("%(title)s (in person, %(room)s)") % {"title": title, "room": session.room}
        else:
            text = _("%(title)s (in person)") % {"title": title}
    else:
        text = _("%(title)s (%(platform)s)") % {"title": title, "platform": session_location(session, lang)}
    if session.cancelled:
        text = _("Cancelled: %(summary)s") % {"summary": text}
    return text


def session_description(
    session: Session,
    schedule: Schedule,
    lang: str = "en",
    page_url: str = "",
    join_url: str = "",
    *,
    brief: bool = False,
) -> str:
    """The DESCRIPTION: what the session is, what comes first, and whom to contact.

    Lines, in order: a cancellation or move notice; the training's
    description; where it happens (with ``join_url``, the meeting link, for
    an online session of a private feed); what comes first (the schedule's
    ``[onboarding]`` ``feed_text``); how the meeting link arrives (its
    ``[online]`` ``feed_text``, online sessions without ``join_url``); how to
    sign up and whom to ask; the session's notes; the public page. The
    county's words come from the schedule file; a line it does not give is
    left out. ``brief`` leaves out how to sign up and whom to ask (for a
    link whose ``page_url``, the session's own page, says it).

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> text = session_description(s.session(f"first-monday-20261207@{s.uid_domain}"), s, "es")
    >>> text.splitlines()[1]
    'En línea, en Microsoft Teams.'
    """
    _ = _gettext(lang)
    lines: list[str] = []
    if session.cancelled:
        reason = session_reason(session, schedule, lang).rstrip(". ")
        lines.append(_("This session is cancelled: %(reason)s.") % {"reason": reason})
    elif session.reason:
        lines.append(_("Changed: %(reason)s.") % {"reason": session.reason.rstrip(". ")})
    if session.moved:
        lines.append(moved_note(session, lang))
    about = schedule.description.get(lang)
    if about:
        lines.append(about)
    if session.modality is Modality.IN_PERSON:
        lines.append(_("In person at %(place)s.") % {"place": session.full_location})
    else:
        lines.append(_("Online, in %(platform)s.") % {"platform": session_location(session, lang)})
        if join_url:
            lines.append(_("Join in %(platform)s: %(url)s") % {"platform": session_location(session, lang), "url": join_url})
    onboarding = schedule.onboarding
    if onboarding is not None and onboarding.feed_text:
        lines.append(onboarding.with_lms(onboarding.feed_text, lang))
    online = schedule.online
    if session.modality is Modality.ONLINE and not join_url and online is not None and online.feed_text:
        lines.append(online.feed_text.get(lang))
    if onboarding is not None and onboarding.email and not brief:
        words = {"email": onboarding.email, "subject": onboarding.subject.get(lang)}
        if onboarding.facts:
            lines.append(_('To sign up, email %(email)s (subject "%(subject)s") with:') % words)
            lines.extend(f"- {fact.get(lang)}" for fact in onboarding.facts)
        else:
            lines.append(_('To sign up, email %(email)s (subject "%(subject)s").') % words)
    contact = schedule.contact
    if contact is not None and not brief:
        desk = ", ".join(part for part in (contact.department.get(lang), contact.phone, contact.email) if part)
        lines.append(_("Questions: %(email)s") % {"email": contact.hmis_email} + (f"; {desk}" if desk else ""))
    if session.notes:
        lines.append(_("Notes: %(notes)s") % {"notes": session.notes})
    if page_url:
        lines.append(page_url)
    return "\n".join(lines)


def calendar_name(schedule: Schedule, modality: Modality | None, lang: str = "en") -> str:
    """The calendar's NAME (and X-WR-CALNAME), e.g. "... HMIS new user training (online)".

    >>> from hmis_schedule import clackamas
    >>> calendar_name(clackamas(), Modality.ONLINE, "es")
    'Capacitación para nuevos usuarios de HMIS del Condado de Clackamas (en línea)'
    """
    _ = _gettext(lang)
    name = schedule.name.get(lang)
    if modality is Modality.ONLINE:
        return _("%(name)s (online)") % {"name": name}
    if modality is Modality.IN_PERSON:
        return _("%(name)s (in person)") % {"name": name}
    return name


def calendar_description(schedule: Schedule, modality: Modality | None, lang: str = "en") -> str:
    """The calendar's DESCRIPTION (and X-WR-CALDESC), on one line (some apps show only the first).

    >>> from hmis_schedule import clackamas
    >>> calendar_description(clackamas(), None).endswith("Times are in the America/Los_Angeles time zone.")
    True
    """
    _ = _gettext(lang)
    lines = [schedule.description.get(lang) or schedule.name.get(lang)]
    if modality is Modality.ONLINE:
        lines.append(_("Online sessions only."))
    elif modality is Modality.IN_PERSON:
        lines.append(_("In-person sessions only."))
    lines.append(_("Times are in the %(zone)s time zone.") % {"zone": schedule.timezone})
    return " ".join(lines)
