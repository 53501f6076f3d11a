"""Public addresses: the one place that knows the paths of feeds, sessions, pages and private links.

The server's routes, the static export, the JSON records, the page and the
command line's private links all build their addresses here, so a path, a
``?lang=`` query or an ``es/`` prefix is written once:

- on the server, a language other than English is a query: ``/calendar.ics?lang=es``;
- in the static export (a static host cannot answer a query), it is a folder:
  ``es/calendar.ics``.

An :class:`Addresses` joins those paths to a public root (``base_url``, an
absolute ``https://...`` URL without a trailing slash, or ``""`` for
root-relative paths).

>>> site = Addresses("https://hmis.example.org")
>>> site.feed("online", "es")
'https://hmis.example.org/calendar/online.ics?lang=es'
>>> site.session("first-monday-20261207@x.org", "es", static=True)
'https://hmis.example.org/es/sessions/first-monday-20261207@x.org.ics'
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import ScheduleError
from .facts import DEFAULT_LANGUAGE
from .i18n import check_language
from .rules import Modality

if TYPE_CHECKING:
    from .schedule import Schedule

__all__ = [
    "ATOM_PATH",
    "CSV_FILE",
    "CSV_PATH",
    "FEED_FILES",
    "FEED_PATHS",
    "PRIVATE_FEED_NAMES",
    "Addresses",
    "FeedFilter",
    "feed_filter",
    "feed_path",
    "page_url",
    "private_path",
    "session_file",
    "session_page_path",
    "session_path",
]


class FeedFilter(StrEnum):
    """Which sessions a feed holds."""

    ALL = "all"
    ONLINE = "online"
    IN_PERSON = "in_person"

    @property
    def modality(self) -> Modality | None:
        """The modality this filter keeps, or ``None`` for all sessions."""
        return None if self is FeedFilter.ALL else Modality(self.value)


def feed_filter(value: FeedFilter | str) -> FeedFilter:
    """``value`` as a :class:`FeedFilter`; ``"in-person"`` (as in URLs) is accepted too.

    Raises
    ------
    ScheduleError
        For anything else, listing the choices (field ``filter``).

    >>> feed_filter("in-person")
    <FeedFilter.IN_PERSON: 'in_person'>
    """
    if isinstance(value, FeedFilter):
        return value
    if isinstance(value, str):
        try:
            return FeedFilter(value.replace("-", "_"))
        except ValueError:
            pass
    raise ScheduleError(f"unknown filter {value!r}", field="filter", choices=[f.value for f in FeedFilter])


FEED_PATHS = {
    FeedFilter.ALL: "/calendar.ics",
    FeedFilter.ONLINE: "/calendar/online.ics",
    FeedFilter.IN_PERSON: "/calendar/in-person.ics",
}
"""The URL path of each feed on the server (Spanish: add ``?lang=es``)."""

FEED_FILES = {kind: path.lstrip("/") for kind, path in FEED_PATHS.items()}
"""Where each feed goes, relative to the export folder (Spanish: under ``es/``)."""

ATOM_PATH = "/feed.atom"
"""The URL path of the Atom feed (Spanish: ``?lang=es``; in the export ``feed.atom`` and ``es/feed.atom``)."""

CSV_PATH = "/api/sessions.csv"
"""The URL path of the sessions as CSV (the same parameters as ``/api/sessions.json``)."""

CSV_FILE = "sessions.csv"
"""Where the export writes the sessions as CSV, beside ``sessions.json`` (Spanish: ``es/sessions.csv``)."""

PRIVATE_FEED_NAMES = {"all": "calendar.ics", "online": "online.ics"}
"""The file name of each private feed under ``/private/<token>/``, by feed filter."""


def _localized(path: str, lang: str, *, static: bool = False) -> str:
    """``path`` in ``lang``: unchanged in English, else ``?lang=`` (server) or an ``es/`` folder (static)."""
    if check_language(lang) == DEFAULT_LANGUAGE:
        return path
    return f"/{lang}{path}" if static else f"{path}?lang={lang}"


def feed_path(filter: FeedFilter | str = FeedFilter.ALL, lang: str = DEFAULT_LANGUAGE) -> str:
    """The server path of a feed, with ``?lang=`` for a language other than English.

    >>> feed_path("online", "es")
    '/calendar/online.ics?lang=es'
    """
    return _localized(FEED_PATHS[feed_filter(filter)], lang)


def session_path(uid: str) -> str:
    """The server path of one session's calendar.

    >>> session_path("first-monday-20261207@hmis.example.org")
    '/sessions/first-monday-20261207@hmis.example.org.ics'
    """
    return f"/sessions/{uid}.ics"


def session_page_path(uid: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The server path of one session's page (HTML), with ``?lang=`` for a language other than English.

    >>> session_page_path("first-monday-20261207@hmis.example.org", "es")
    '/sessions/first-monday-20261207@hmis.example.org?lang=es'
    """
    return _localized(f"/sessions/{uid}", lang)


def session_file(uid: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Where the static export writes one session's calendar, relative to its folder.

    Raises
    ------
    ScheduleError
        If ``uid`` cannot be a file name there (field ``uid``).

    >>> session_file("a-20270104@x.org", "es")
    'es/sessions/a-20270104@x.org.ics'
    >>> session_file("../a")
    Traceback (most recent call last):
    ...
    hmis_schedule.errors.ScheduleError: uid: uid '../a' cannot be a file name
    """
    name = session_path(uid).lstrip("/")
    if "/" in name[len("sessions/") :] or "\\" in name or name.startswith("sessions/."):
        raise ScheduleError(f"uid {uid!r} cannot be a file name", field="uid")
    return _localized("/" + name, lang, static=True).lstrip("/")


def private_path(token: str, filter: str = "all", lang: str = DEFAULT_LANGUAGE) -> str:
    """The server path of a private feed: ``/private/<token>/calendar.ics`` (or ``online.ics``), ``?lang=``.

    Raises
    ------
    ScheduleError
        For a filter other than ``"all"`` and ``"online"``, or an unknown language.

    >>> private_path("TOKEN")
    '/private/TOKEN/calendar.ics'
    """
    name = PRIVATE_FEED_NAMES.get(str(filter))
    if name is None:
        raise ScheduleError(f"unknown filter {filter!r}", field="filter", choices=list(PRIVATE_FEED_NAMES))
    return _localized(f"/private/{token}/{name}", lang)


def page_url(schedule: Schedule, base_url: str = "") -> str:
    """The public page of the schedule: its ``url`` if set, else ``base_url + "/"`` (``""`` if neither).

    >>> from hmis_schedule import clackamas
    >>> page_url(clackamas(), "https://hmis.example.org")
    'https://hmis.example.org/'
    """
    if schedule.url:
        return schedule.url
    return f"{base_url}/" if base_url else ""


@dataclass(frozen=True, slots=True)
class Addresses:
    """The public addresses under one root; ``static`` for the export's layout (``es/`` folders).

    >>> Addresses("").feed(FeedFilter.ALL, "en")
    '/calendar.ics'
    """

    base_url: str = ""
    static: bool = False

    def feed(self, filter: FeedFilter | str = FeedFilter.ALL, lang: str = DEFAULT_LANGUAGE) -> str:
        """The address of a feed."""
        path = FEED_PATHS[feed_filter(filter)]
        return self.base_url + _localized(path, lang, static=self.static)

    def session(self, uid: str, lang: str = DEFAULT_LANGUAGE, *, static: bool | None = None) -> str:
        """The address of one session's calendar (``static`` overrides the instance's layout)."""
        layout = self.static if static is None else static
        return self.base_url + _localized(session_path(uid), lang, static=layout)

    def session_page(self, uid: str, lang: str = DEFAULT_LANGUAGE) -> str:
        """The address of one session's page on the server (see :func:`session_page_path`)."""
        return self.base_url + session_page_path(uid, lang)

    def atom(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The address of the Atom feed (``?lang=`` on the server, ``es/`` in the export).

        >>> Addresses("https://hmis.example.org", static=True).atom("es")
        'https://hmis.example.org/es/feed.atom'
        """
        return self.base_url + _localized(ATOM_PATH, lang, static=self.static)

    def sessions_csv(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The address of the sessions as CSV (``/api/sessions.csv`` on the server, ``sessions.csv`` in the export).

        >>> Addresses("").sessions_csv("es")
        '/api/sessions.csv?lang=es'
        """
        path = "/" + CSV_FILE if self.static else CSV_PATH
        return self.base_url + _localized(path, lang, static=self.static)

    def private(self, token: str, filter: str = "all", lang: str = DEFAULT_LANGUAGE) -> str:
        """The address of a private feed (only the server has them)."""
        return self.base_url + private_path(token, filter, lang)

    def page(self, schedule: Schedule) -> str:
        """The address of the schedule's public page (see :func:`page_url`)."""
        return page_url(schedule, self.base_url)

    def page_in(self, schedule: Schedule, lang: str = DEFAULT_LANGUAGE) -> str:
        """The public page in ``lang``: the server's page with ``?lang=``; a schedule's own ``url`` as it is.

        >>> from hmis_schedule import clackamas
        >>> Addresses("https://hmis.example.org").page_in(clackamas(), "es")
        'https://hmis.example.org/?lang=es'
        """
        if schedule.url or not self.base_url:
            return self.page(schedule)
        return self.base_url + _localized("/", lang)
