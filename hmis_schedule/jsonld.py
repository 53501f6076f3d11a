"""Sessions as schema.org ``EducationEvent`` data (JSON-LD), for search engines and assistants.

A rendering stage like the feed: it maps each session to a plain ``dict``
and never changes one. Online sessions get a ``VirtualLocation`` (the public
page, never a meeting link), in-person ones a ``Place`` with a
``PostalAddress``, cancelled ones ``EventCancelled``, moved ones
``EventRescheduled`` with the ``previousStartDate`` they were planned for.

>>> from hmis_schedule import clackamas
>>> s = clackamas()
>>> x = s.session(f"second-monday-20261214@{s.uid_domain}")
>>> data = event_data(x, s, name="HMIS training", page_url="https://example.org/")
>>> data["location"]["address"]["postalCode"], data["eventStatus"]
('97045', 'https://schema.org/EventScheduled')
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .rules import Modality
from .schedule import Schedule
from .session import Session

__all__ = ["event_data", "postal_address"]

_SCHEMA = "https://schema.org/"
_US_ADDRESS = re.compile(
    r"^(?P<street>.+?),\s*(?P<city>[^,]+),\s*(?P<region>[A-Z]{2})\s+(?P<postal>\d{5}(?:-\d{4})?)$"
)


def postal_address(text: str, country: str = "") -> dict[str, str]:
    """A schema.org ``PostalAddress`` from an address line such as ``"2051 Kaen Road, Oregon City, OR 97045"``.

    An address of another shape is kept whole as ``streetAddress``.

    >>> postal_address("2051 Kaen Road, Oregon City, OR 97045", "US")["addressLocality"]
    'Oregon City'
    >>> postal_address("Calle Mayor 1, Madrid")["streetAddress"]
    'Calle Mayor 1, Madrid'
    """
    address = {"@type": "PostalAddress"}
    match = _US_ADDRESS.match(text.strip())
    if match:
        address |= {
            "streetAddress": match["street"],
            "addressLocality": match["city"],
            "addressRegion": match["region"],
            "postalCode": match["postal"],
        }
    else:
        address["streetAddress"] = text.strip()
    if country:
        address["addressCountry"] = country
    return address


def event_data(
    session: Session,
    schedule: Schedule,
    *,
    name: str,
    page_url: str,
    description: str = "",
    ics_url: str = "",
    lang: str = "en",
    event_url: str = "",
    previous_start: datetime | None = None,
) -> dict[str, Any]:
    """The schema.org ``EducationEvent`` of one session.

    Parameters
    ----------
    session, schedule:
        The session and the schedule it belongs to (for the organizer and country).
    name, description:
        The event's name and description, in ``lang``.
    page_url:
        The public page: the event's ``url`` and, for online sessions, the
        ``VirtualLocation``; the meeting link itself is never published.
    ics_url:
        The session's ``.ics`` (given as ``sameAs``), if any.
    lang:
        The language the event is given in (``inLanguage``).
    event_url:
        The session's own page, if there is one: the event's ``url``
        (default: the public page). Its ``@id`` is ``page_url#uid`` wherever
        it is given, so every page names the same event.
    previous_start:
        Where a moved session was planned (its ``previousStartDate``); with
        it, a session that takes place is ``EventRescheduled``.

    Returns
    -------
    A JSON-serialisable ``dict``.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> x = s.session(f"first-monday-20260907@{s.uid_domain}")
    >>> d = event_data(x, s, name="HMIS training", page_url="https://example.org/")
    >>> d["eventStatus"], d["location"]["@type"], d["startDate"]
    ('https://schema.org/EventCancelled', 'VirtualLocation', '2026-09-07T09:00:00-07:00')
    """
    online = session.modality is Modality.ONLINE
    moved = previous_start is not None and previous_start != session.start
    status = "EventCancelled" if session.cancelled else "EventRescheduled" if moved else "EventScheduled"
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "EducationEvent",
        "@id": f"{page_url}#{session.uid}",
        "name": name,
        "startDate": session.start.isoformat(),
        "endDate": session.end.isoformat(),
        "eventStatus": _SCHEMA + status,
        "eventAttendanceMode": _SCHEMA
        + ("OnlineEventAttendanceMode" if online else "OfflineEventAttendanceMode"),
        "isAccessibleForFree": True,
        "inLanguage": lang,
        "url": event_url or page_url,
    }
    if moved and previous_start is not None:
        data["previousStartDate"] = previous_start.isoformat()
    if description:
        data["description"] = description
    if ics_url:
        data["sameAs"] = ics_url
    if online:
        data["location"] = {"@type": "VirtualLocation", "url": page_url}
    else:
        country = schedule.holidays.country if schedule.holidays else ""
        place: dict[str, Any] = {"@type": "Place", "address": postal_address(session.location, country)}
        if session.room:
            place["name"] = session.room
        data["location"] = place
    contact = schedule.contact
    if contact is not None:
        organizer: dict[str, Any] = {
            "@type": "Organization",
            "name": contact.department.get(lang) or schedule.name.get(lang),
        }
        if contact.email or contact.hmis_email:
            organizer["email"] = contact.hmis_email or contact.email
        if contact.phone:
            organizer["telephone"] = contact.phone
        data["organizer"] = organizer
    return data
