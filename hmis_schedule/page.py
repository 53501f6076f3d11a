"""The public page's view model: everything the page and the embed show, computed without a web framework.

:func:`page_model` takes an :class:`~hmis_schedule.overview.Overview` (what
is shown at an instant) and turns it into the words and links the templates
print: each session's summary and calendar link, the reasons of cancelled
sessions, "Add to Google Calendar" links, the subscribe links of each feed,
the onboarding email, schema.org data, the zone's name and the weekday
headings, all in the page's language and under the site's public addresses.
:func:`session_model` does the same for one session's own page.

Every county word comes from the schedule file (:mod:`hmis_schedule.facts`);
what the file leaves out is left out of the model (no empty step list, no
in-person line for a schedule without in-person sessions), so the templates
print what they are given and decide nothing.

>>> from datetime import UTC, datetime
>>> from hmis_schedule import clackamas
>>> from hmis_schedule.addresses import Addresses
>>> from hmis_schedule.overview import overview
>>> s = clackamas()
>>> model = page_model(s, overview(s, datetime(2026, 12, 1, tzinfo=UTC)), "es", Addresses("https://x.org"))
>>> model.zone_name, model.weekdays[0]
('hora del Pacífico', ('dom', 'domingo'))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from babel.dates import get_day_names, get_timezone_name

from . import text
from .addresses import Addresses, FeedFilter
from .facts import LMS_MARK, Onboarding, Text
from .jsonld import event_data
from .links import google_event_link, mailto_link, map_link, subscribe_links
from .overview import Overview
from .rules import Modality
from .schedule import Schedule
from .session import Session

__all__ = ["GettingStarted", "PageModel", "Piece", "SessionModel", "StepView", "google_link", "page_model", "session_model"]


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text, a link when ``href`` is given (the LMS's name in a step, when the file gives its URL)."""

    text: str
    href: str = ""


@dataclass(frozen=True, slots=True)
class StepView:
    """One step of "How to get started" in the page's language: a bold ``title``, then ``text``."""

    title: tuple[Piece, ...]
    text: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class GettingStarted:
    """The onboarding steps as a page shows them; only what the schedule file gives.

    ``email``, ``email_step`` (its title), ``facts`` and ``mailto`` make the
    first step when the file names an address (``email`` is then non-empty);
    ``steps`` follow.
    """

    email: str
    email_step: str
    facts: tuple[str, ...]
    mailto: str
    steps: tuple[StepView, ...]


@dataclass(frozen=True, slots=True)
class PageModel:
    """What a page shows, beyond the overview itself (see :func:`page_model`)."""

    schedule: Schedule
    view: Overview
    summaries: dict[str, str]
    """Each shown session's summary, by uid."""
    reasons: dict[str, str]
    """Why each shown cancelled session is cancelled, by uid."""
    ics: dict[str, str]
    """Each summarised session's one-event calendar, by uid."""
    google: dict[str, str]
    """"Add to Google Calendar" links of the upcoming sessions that take place, by uid: the server's short
    address that redirects to Google's form (:func:`google_link`), so the page does not hold each long link."""
    feeds: dict[str, Any]
    """Subscribe links of each feed (``all``, ``online``, ``in_person``, ``other`` language)."""
    mailto: str
    """The onboarding email's ``mailto:`` link, or ``""``."""
    structured: list[dict[str, Any]]
    """schema.org Event data of the upcoming sessions."""
    zone_name: str
    weekdays: list[tuple[str, str]]
    """The month grid's weekday headings, ``(short, wide)``."""
    offered: tuple[str, ...]
    """The modalities the schedule has sessions of (``"online"``, ``"in_person"``), in that order."""
    next_by_modality: tuple[tuple[str, Session], ...]
    """The next session of each offered modality that has one (none: no line); empty when only one
    modality is offered, since "Next session" says it already."""
    also_next: tuple[tuple[str, Session], ...]
    """Those of ``next_by_modality`` that are not ``view.next`` (the embed's extra lines)."""
    legend: tuple[tuple[str, str], ...]
    """The calendar's legend: ``(modality, platform)`` of each offered modality; the platform ("Microsoft Teams") is ``""`` in person or when the file names none."""
    places: dict[str, str]
    """Where each shown session happens, by uid: the address, or the platform and how its link arrives."""
    moved_from: dict[str, str]
    """The planned date of each shown session that was moved, written out, by uid."""
    pages: dict[str, str]
    """Each shown session's own page, by uid."""
    start: GettingStarted | None
    """"How to get started", or ``None`` when the schedule file gives no step at all."""
    contact_title: str
    """Who the contact's ``hmis_email`` reaches ("HMIS administrator"), or ``""``."""
    department: str
    """The organisation and department (the page's header and Contact section), or ``""``."""

    def context(self) -> dict[str, Any]:
        """The model as template variables."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def page_model(schedule: Schedule, view: Overview, lang: str, addresses: Addresses) -> PageModel:
    """The view model of a page showing ``view`` in ``lang``, linking under ``addresses``."""
    page_url = addresses.page(schedule)
    summaries = {s.uid: text.session_summary(s, schedule, lang) for s in view.upcoming}
    for s in (view.next, *(n for _, n in view.next_by_modality)):
        if s is not None:
            summaries.setdefault(s.uid, text.session_summary(s, schedule, lang))
    shown = [*view.upcoming, *(s for month in view.months for s in month.sessions)]
    everything = [*shown, *(s for s in (view.next, *(n for _, n in view.next_by_modality)) if s is not None)]
    reasons = {s.uid: text.session_reason(s, schedule, lang) for s in shown if s.cancelled}
    ics = {uid: addresses.session(uid, lang) for uid in summaries}
    google = {s.uid: addresses.session_google(s.uid, lang) for s in view.upcoming if not s.cancelled}
    start = getting_started(schedule, lang)
    structured = [
        event_data(
            s,
            schedule,
            name=summaries[s.uid],
            description=schedule.description.get(lang),
            page_url=page_url,
            ics_url=ics[s.uid],
            lang=lang,
            event_url=addresses.session_page(s.uid, lang),
            previous_start=schedule.planned(s.uid).start if s.moved else None,
        )
        for s in view.upcoming
    ]
    offered = offered_modalities(schedule, everything)
    next_each = tuple((m.value, n) for m, n in view.next_by_modality if n is not None and m.value in offered)
    if len(offered) < 2:  # one kind of session: "Next session" is the next of that kind
        next_each = ()
    contact = schedule.contact
    return PageModel(
        schedule=schedule,
        view=view,
        summaries=summaries,
        reasons=reasons,
        ics=ics,
        google=google,
        feeds=_feed_links(schedule, lang, addresses),
        mailto=start.mailto if start is not None else "",
        structured=structured,
        zone_name=zone_name(schedule, lang),
        weekdays=_weekday_names(view, lang),
        offered=offered,
        next_by_modality=next_each,
        also_next=tuple((m, n) for m, n in next_each if n != view.next),
        legend=tuple((m, platform(schedule, lang) if m == Modality.ONLINE else "") for m in offered),
        places={s.uid: place(s, schedule, lang) for s in everything},
        moved_from={s.uid: text.long_date(s.original_date, lang) for s in everything if s.moved},
        pages={s.uid: addresses.session_page(s.uid, lang) for s in everything},
        start=start,
        contact_title=contact.hmis_title.get(lang) if contact is not None else "",
        department=contact.department.get(lang) if contact is not None else "",
    )


def google_link(schedule: Schedule, session: Session, lang: str, addresses: Addresses) -> str:
    """Google Calendar's "add event" link for ``session``: its summary, times, description and place in ``lang``.

    The description is the feed's (:func:`hmis_schedule.text.session_description`),
    ending with the session's own page under ``addresses``.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> link = google_link(s, s.session(f"first-monday-20261207@{s.uid_domain}"), "en", Addresses("https://x.org"))
    >>> link.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&text=HMIS+new+user+training")
    True
    """
    return google_event_link(
        session,
        title=text.session_summary(session, schedule, lang),
        details=text.session_description(session, schedule, lang, addresses.session_page(session.uid, lang)),
        location=text.session_location(session, lang),
    )


@dataclass(frozen=True, slots=True)
class SessionModel:
    """What one session's own page shows (see :func:`session_model`)."""

    schedule: Schedule
    session: Session
    summary: str
    reason: str
    """Why it is cancelled (``""`` when it takes place)."""
    place: str
    """The address, or the platform and how its link arrives."""
    map_url: str
    """The in-person address on a map (``""`` online)."""
    moved_from: str
    """The planned date and time, written out, of a session moved to another date or time (``""`` otherwise)."""
    ics: str
    google: str
    """"Add to Google Calendar": the address that redirects to Google's form (``""`` for a cancelled session)."""
    structured: dict[str, Any]
    """Its schema.org ``EducationEvent`` (an ``Event``)."""
    start: GettingStarted | None
    zone_name: str
    home: str
    """The public page (the list of every session)."""
    url: str
    """This page's own address."""
    department: str

    def context(self) -> dict[str, Any]:
        """The model as template variables."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def session_model(schedule: Schedule, session: Session, lang: str, addresses: Addresses) -> SessionModel:
    """The view model of ``session``'s own page in ``lang``, linking under ``addresses``.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> m = session_model(s, s.session(f"first-monday-20260907@{s.uid_domain}"), "en", Addresses("https://x.org"))
    >>> m.reason, m.structured["eventStatus"], m.google
    ('Labor Day - county offices closed', 'https://schema.org/EventCancelled', '')
    """
    page_url = addresses.page(schedule)
    summary = text.session_summary(session, schedule, lang)
    planned = schedule.planned(session.uid)
    ics = addresses.session(session.uid, lang)
    url = addresses.session_page(session.uid, lang)
    in_person = session.modality is Modality.IN_PERSON
    moved_from = ""
    if planned.start != session.start:  # another date, or another time the same day
        moved_from = f"{text.long_date(planned.day, lang)}, {text.clock(planned.start, lang)}"
    contact = schedule.contact
    return SessionModel(
        schedule=schedule,
        session=session,
        summary=summary,
        reason=text.session_reason(session, schedule, lang) if session.cancelled else "",
        place=place(session, schedule, lang),
        map_url=map_link(session.location) if in_person and session.location else "",
        moved_from=moved_from,
        ics=ics,
        google="" if session.cancelled else addresses.session_google(session.uid, lang),
        structured=event_data(
            session,
            schedule,
            name=summary,
            description=schedule.description.get(lang),
            page_url=page_url,
            ics_url=ics,
            lang=lang,
            event_url=url,
            previous_start=planned.start if planned.start != session.start else None,
        ),
        start=getting_started(schedule, lang),
        zone_name=zone_name(schedule, lang),
        home=page_url,
        url=url,
        department=contact.department.get(lang) if contact is not None else "",
    )


def offered_modalities(schedule: Schedule, sessions: Iterable[Session] = ()) -> tuple[str, ...]:
    """The modalities the schedule has sessions of: its slots', its extra sessions' and those of ``sessions``.

    >>> from hmis_schedule import clackamas
    >>> offered_modalities(clackamas())
    ('online', 'in_person')
    """
    found = {s.modality for s in schedule.slots} | {e.modality for e in schedule.extras}
    found |= {s.modality for s in sessions}
    return tuple(m.value for m in Modality if m in found)


def platform(schedule: Schedule, lang: str) -> str:
    """The online meeting platform's name from the schedule's ``[online]`` (``""`` if it gives none).

    >>> from hmis_schedule import clackamas
    >>> platform(clackamas(), "es")
    'Microsoft Teams'
    """
    online = schedule.online
    return online.platform.get(lang) if online is not None else ""


def place(session: Session, schedule: Schedule, lang: str) -> str:
    """Where a session happens, for people: the room and address, or the platform and how its link arrives.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> place(s.session(f"first-monday-20261207@{s.uid_domain}"), s, "en")
    'Microsoft Teams (the link is emailed to you after the LMS steps)'
    """
    if session.modality is Modality.IN_PERSON:
        return session.full_location
    where = text.session_location(session, lang)
    online = schedule.online
    if online is not None and online.join:
        return f"{where} ({online.join.get(lang)})"
    return where


def getting_started(schedule: Schedule, lang: str) -> GettingStarted | None:
    """The onboarding steps in ``lang``, or ``None`` when the schedule gives no step at all.

    >>> from hmis_schedule import clackamas
    >>> steps = getting_started(clackamas(), "en")
    >>> steps.email_step, [p.text for p in steps.steps[0].text]
    ('Email the HMIS administrator', ['in ', "the county's Learning Management System (LMS)", '.'])
    """
    onboarding = schedule.onboarding
    if onboarding is None or not (onboarding.email or onboarding.steps):
        return None
    facts = tuple(fact.get(lang) for fact in onboarding.facts)
    mailto = (
        mailto_link(onboarding.email, subject=onboarding.subject.get(lang), lines=facts) if onboarding.email else ""
    )
    return GettingStarted(
        email=onboarding.email,
        email_step=onboarding.email_step.get(lang),
        facts=facts,
        mailto=mailto,
        steps=tuple(
            StepView(title=_pieces(step.title, onboarding, lang), text=_pieces(step.text, onboarding, lang))
            for step in onboarding.steps
        ),
    )


def _pieces(value: Text, onboarding: Onboarding, lang: str) -> tuple[Piece, ...]:
    """``value`` in ``lang`` as runs of text, ``{lms}`` as the LMS's name (a link to its URL, if given)."""
    parts = value.get(lang).split(LMS_MARK)
    lms = Piece(onboarding.lms.get(lang), onboarding.lms_url)
    pieces: list[Piece] = []
    for i, part in enumerate(parts):
        if i:
            pieces.append(lms)
        if part:
            pieces.append(Piece(part))
    return tuple(pieces)


def zone_name(schedule: Schedule, lang: str) -> str:
    """The schedule's zone as people call it, in ``lang`` ("Pacific Time")."""
    return get_timezone_name(schedule.zone, "long", zone_variant="generic", locale=lang)


def _feed_links(schedule: Schedule, lang: str, addresses: Addresses) -> dict[str, Any]:
    """Subscribe links of each feed a page offers, in the page's language."""
    other = "es" if lang == "en" else "en"
    name = schedule.name.get(lang)
    return {
        "all": subscribe_links(addresses.feed(FeedFilter.ALL, lang), name=name),
        "online": subscribe_links(addresses.feed(FeedFilter.ONLINE, lang), name=name),
        "in_person": subscribe_links(addresses.feed(FeedFilter.IN_PERSON, lang), name=name),
        "other_lang": other,
        "other": subscribe_links(addresses.feed(FeedFilter.ALL, other), name=schedule.name.get(other)),
    }


def _weekday_names(view: Overview, lang: str) -> list[tuple[str, str]]:
    if not view.months:
        return []
    wide = get_day_names("wide", locale=lang)
    short = get_day_names("abbreviated", locale=lang)
    return [(str(short[d.date.weekday()]), str(wide[d.date.weekday()])) for d in view.months[0].weeks[0]]
