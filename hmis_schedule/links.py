"""Links that put the schedule into people's calendars and mail: subscribe, add one session, email.

Each calendar app has its own way in; these functions build the exact URLs
from a feed's https URL, so the web page, the embed widget and any static
page show the same links:

- ``webcal://`` (Apple Calendar, Outlook desktop and most apps open it);
- Google Calendar: ``https://calendar.google.com/calendar/r?cid=`` and the
  URL-encoded ``webcal://`` URL;
- Outlook.com and Microsoft 365: their ``addfromweb`` pages with ``url`` and ``name``;
- one session into Google Calendar: the ``action=TEMPLATE`` link with the
  times in UTC;
- ``mailto:`` with a subject and a body, for the first email to the administrator;
- an in-person address on OpenStreetMap.

>>> links = subscribe_links("https://example.org/calendar.ics", name="HMIS training")
>>> links.webcal
'webcal://example.org/calendar.ics'
>>> links.google
'https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fexample.org%2Fcalendar.ics'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, quote_plus

from .errors import ScheduleError
from .session import Session

__all__ = ["SubscribeLinks", "google_event_link", "mailto_link", "map_link", "subscribe_links", "webcal_url"]

GOOGLE_SUBSCRIBE = "https://calendar.google.com/calendar/r?cid="
GOOGLE_TEMPLATE = "https://calendar.google.com/calendar/render?action=TEMPLATE"
OUTLOOK_COM = "https://outlook.live.com/calendar/0/addfromweb"
MICROSOFT_365 = "https://outlook.office.com/calendar/0/addfromweb"
OPENSTREETMAP_SEARCH = "https://www.openstreetmap.org/search?query="


def _q(text: str) -> str:
    return quote(text, safe="")


def webcal_url(url: str) -> str:
    """The ``webcal://`` form of an ``http(s)://`` feed URL.

    Raises
    ------
    ScheduleError
        If ``url`` is not an absolute http or https URL.

    >>> webcal_url("https://example.org/calendar.ics?lang=es")
    'webcal://example.org/calendar.ics?lang=es'
    """
    for scheme in ("https://", "http://"):
        if url.startswith(scheme) and len(url) > len(scheme):
            return "webcal://" + url[len(scheme) :]
    raise ScheduleError(f"expected an absolute http or https URL, got {url!r}", field="url")


@dataclass(frozen=True, slots=True, kw_only=True)
class SubscribeLinks:
    """Every way to subscribe to one feed."""

    https: str
    webcal: str
    google: str
    outlook: str
    microsoft365: str

    @property
    def apple(self) -> str:
        """Apple Calendar (macOS, iPhone, iPad) subscribes through the ``webcal://`` link."""
        return self.webcal


def subscribe_links(feed_url: str, *, name: str) -> SubscribeLinks:
    """The subscribe links of the feed at ``feed_url`` (an https URL), called ``name`` in Outlook.

    Parameters
    ----------
    feed_url:
        The feed's absolute http(s) URL, query string included.
    name:
        The calendar's name as Outlook shows it.

    Returns
    -------
    A :class:`SubscribeLinks`.

    Raises
    ------
    ScheduleError
        If ``feed_url`` is not an absolute http(s) URL.

    >>> subscribe_links("https://example.org/calendar.ics", name="HMIS").outlook
    'https://outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fexample.org%2Fcalendar.ics&name=HMIS'
    """
    webcal = webcal_url(feed_url)
    query = f"?url={_q(feed_url)}&name={_q(name)}"
    return SubscribeLinks(
        https=feed_url,
        webcal=webcal,
        google=GOOGLE_SUBSCRIBE + _q(webcal),
        outlook=OUTLOOK_COM + query,
        microsoft365=MICROSOFT_365 + query,
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_event_link(session: Session, *, title: str, details: str = "", location: str | None = None) -> str:
    """A link that opens Google Calendar with one session filled in, ready to save.

    Parameters
    ----------
    session:
        The session; its start and end are written in UTC (``YYYYMMDDTHHMMSSZ``).
    title, details:
        The event's title and description.
    location:
        Where; by default the session's room and address.

    >>> from hmis_schedule import clackamas
    >>> s = clackamas()
    >>> x = s.session(f"first-monday-20261207@{s.uid_domain}")
    >>> google_event_link(x, title="HMIS training")
    'https://calendar.google.com/calendar/render?action=TEMPLATE&text=HMIS+training&dates=20261207T170000Z/20261207T200000Z&details=&location=Microsoft+Teams'
    """
    where = session.full_location if location is None else location
    # a query string, form-encoded: a space is "+" (one byte, not three: a page holds many such links)
    return (
        f"{GOOGLE_TEMPLATE}&text={quote_plus(title, safe='')}&dates={_utc(session.start)}/{_utc(session.end)}"
        f"&details={quote_plus(details, safe='')}&location={quote_plus(where, safe='')}"
    )


def mailto_link(address: str, *, subject: str, lines: Sequence[str] = ()) -> str:
    """A ``mailto:`` link that opens a new email with ``subject`` and a body of ``lines``.

    Each line is followed by ": " and a line break (CRLF, as RFC 6068 asks), so
    the person fills in each fact after its label.

    >>> mailto_link("admin@example.org", subject="HMIS training", lines=["Full name"])
    'mailto:admin@example.org?subject=HMIS%20training&body=Full%20name%3A%20%0D%0A'
    """
    body = "".join(f"{line}: \r\n" for line in lines)
    return f"mailto:{quote(address, safe='@')}?subject={_q(subject)}&body={_q(body)}"


def map_link(address: str) -> str:
    """A link that shows ``address`` on a map: OpenStreetMap's search, which needs no account and no key.

    >>> map_link("2051 Kaen Road, Oregon City, OR 97045")
    'https://www.openstreetmap.org/search?query=2051%20Kaen%20Road%2C%20Oregon%20City%2C%20OR%2097045'
    """
    return OPENSTREETMAP_SEARCH + _q(address.strip())
