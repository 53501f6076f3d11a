"""The public page's view model: everything the page and the embed show, computed without a web framework.

:func:`page_model` takes an :class:`~hmis_schedule.overview.Overview` (what
is shown at an instant) and turns it into the words and links the templates
print: each session's summary and calendar link, the reasons of cancelled
sessions, "Add to Google Calendar" links, the subscribe links of each feed,
the onboarding email, schema.org data, the zone's name and the weekday
headings, all in the page's language and under the site's public addresses.

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

from dataclasses import dataclass
from typing import Any

from babel.dates import get_day_names, get_timezone_name

from . import text
from .addresses import Addresses, FeedFilter
from .jsonld import event_data
from .links import google_event_link, mailto_link, subscribe_links
from .overview import Overview
from .schedule import Schedule
from .session import Session

__all__ = ["PageModel", "google_link", "page_model"]


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
    reasons = {s.uid: text.session_reason(s, schedule, lang) for s in shown if s.cancelled}
    ics = {uid: addresses.session(uid, lang) for uid in summaries}
    google = {s.uid: addresses.session_google(s.uid, lang) for s in view.upcoming if not s.cancelled}
    onboarding = schedule.onboarding
    mailto = (
        mailto_link(
            onboarding.email,
            subject=onboarding.subject.get(lang),
            lines=[fact.get(lang) for fact in onboarding.facts],
        )
        if onboarding
        else ""
    )
    structured = [
        event_data(
            s,
            schedule,
            name=summaries[s.uid],
            description=schedule.description.get(lang),
            page_url=page_url,
            ics_url=ics[s.uid],
            lang=lang,
        )
        for s in view.upcoming
    ]
    return PageModel(
        schedule=schedule,
        view=view,
        summaries=summaries,
        reasons=reasons,
        ics=ics,
        google=google,
        feeds=_feed_links(schedule, lang, addresses),
        mailto=mailto,
        structured=structured,
        zone_name=get_timezone_name(schedule.zone, "long", zone_variant="generic", locale=lang),
        weekdays=_weekday_names(view, lang),
    )


def google_link(schedule: Schedule, session: Session, lang: str, addresses: Addresses) -> str:
    """Google Calendar's "add event" link for ``session``: its summary, times, description and place in ``lang``.

    The description is the feed's (:func:`hmis_schedule.text.session_description`),
    ending with the public page under ``addresses``.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> link = google_link(s, s.session(f"first-monday-20261207@{s.uid_domain}"), "en", Addresses("https://x.org"))
    >>> link.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&text=HMIS+new+user+training")
    True
    """
    return google_event_link(
        session,
        title=text.session_summary(session, schedule, lang),
        details=text.session_description(session, schedule, lang, addresses.page(schedule)),
        location=text.session_location(session, lang),
    )


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
