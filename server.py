"""The web app: the public page, the embed widget, the calendar feeds and a small JSON API.

A thin Flask app over :mod:`hmis_schedule`. Each route parses and checks its
query string, asks the library, and builds the response; every decision about
sessions and dates stays in the library. Run it with ``make serve`` or
``gunicorn server:app``; build one in code with :func:`create_app`.

Configuration comes from the environment (see :data:`ENVIRONMENT`) or from the
``config`` mapping given to :func:`create_app`, which wins:

``HMIS_SCHEDULE``
    A schedule file (TOML); default: the built-in Clackamas schedule. In code
    it may also be a :class:`~hmis_schedule.Schedule`.
``HMIS_BASE_URL``
    The public URL the links on pages and in feeds start with, such as
    ``https://hmis-training.example.org``; default: the URL of each request.
``HMIS_TRUST_PROXY``
    ``1`` when the app runs behind a reverse proxy that sets ``X-Forwarded-*``
    headers (and only then): the request's scheme, host and prefix come from them.
``HMIS_EMBED_ORIGINS``
    Space- or comma-separated origins (``https://www.example.org``) allowed to
    show ``/embed`` in an iframe, besides this site itself.
``HMIS_CACHE_MAX_AGE``
    Seconds browsers and proxies may keep pages, feeds and JSON (default 900).
``HMIS_SECRET_KEY``, ``HMIS_TEAMS_URL``, ``HMIS_SECRETS_FILE``
    The key that signs private links and the meeting's join URL, or a TOML
    file holding them (``secret_key``, ``teams_url``); see
    :mod:`hmis_schedule.private`. Private feeds are served only when both are
    set; otherwise ``/private/...`` is a 404 and the app says so once at start.
    The secrets file is followed while serving; the variables are read once.
``HMIS_RELOAD_INTERVAL``
    Seconds between looks at the schedule, state and secrets files (default 1).
``HMIS_STATE_FILE``
    The state file with the revoked private links; default
    ``<schedule>.state.toml`` beside the schedule file (see
    :mod:`hmis_schedule.state`). With the built-in schedule and no state file,
    links can only expire.

In code only: ``NOW``, a callable returning an aware datetime (tests freeze
"today" with it), ``HMIS_CACHE_ENTRIES``, the size of the in-process cache
of rendered responses (default 512), and ``MONOTONIC``, the clock the
looks at the files are timed by.

The schedule file, the state file and the secrets file are followed while serving
(:class:`hmis_schedule.follow.FileFollower`): each worker looks at them at most
once per ``HMIS_RELOAD_INTERVAL`` on a request, loads a changed file once it
has stopped changing, and swaps it in between requests. A file that turns
invalid, unreadable or missing leaves the last good version in service, is
logged once, and makes ``/healthz`` report ``degraded`` with the reason.

Rendered bytes are cached in the process, keyed by everything that decides
them (schedule version, today's date in the schedule's zone, route, filters,
language, base URL), so a warm request renders nothing; ETags and
conditional requests go through Werkzeug (``add_etag``/``make_conditional``).
A warm public feed is answered whole by :class:`FeedResponses`, without
entering Flask, and the security headers are added by :class:`SecurityHeaders`
(both WSGI middleware; ``bench/bench_server.py`` measures why).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

from babel.dates import format_date, format_time, get_day_names, get_timezone_name
from flask import Blueprint, Flask, Response, current_app, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import http_date, is_resource_modified
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import get_current_url

from hmis_schedule import (
    LANGUAGES,
    Modality,
    Schedule,
    ScheduleError,
    SessionNotFoundError,
    Status,
    WindowError,
    clackamas,
    clock,
    export,
    feed,
    text,
)
from hmis_schedule import private as private_links
from hmis_schedule.errors import one_line
from hmis_schedule.facts import DEFAULT_LANGUAGE
from hmis_schedule.files import decode_text, from_toml
from hmis_schedule.follow import FileFollower
from hmis_schedule.i18n import translations
from hmis_schedule.jsonld import event_data
from hmis_schedule.links import google_event_link, mailto_link, subscribe_links
from hmis_schedule.openapi import openapi_spec
from hmis_schedule.overview import Overview, overview
from hmis_schedule.redact import guard, redact
from hmis_schedule.session import local_datetime
from hmis_schedule.state import STATE_FILE_ENV, State, from_state_toml, state_path

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ENVIRONMENT", "ConfigError", "ScheduleProvider", "app", "create_app", "openapi_spec"]

ROOT = Path(__file__).resolve().parent
TRANSLATIONS = ROOT / "translations"
ENVIRONMENT = (
    "HMIS_SCHEDULE",
    "HMIS_BASE_URL",
    "HMIS_TRUST_PROXY",
    "HMIS_EMBED_ORIGINS",
    "HMIS_CACHE_MAX_AGE",
    private_links.SECRET_KEY_ENV,
    private_links.TEAMS_URL_ENV,
    private_links.SECRETS_FILE_ENV,
    STATE_FILE_ENV,
    "HMIS_RELOAD_INTERVAL",
)
"""The environment variables the app reads."""

log = logging.getLogger("hmis_schedule.server")

FEEDS = {path: kind for kind, path in feed.FEED_PATHS.items()}
"""The feed routes and their filters."""

MAX_PARAMETER = 100
"""The longest query parameter value accepted, in characters."""
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$")
_YEARS = (1900, 2199)
_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


# -- configuration ------------------------------------------------------------


class ConfigError(ValueError):
    """A setting of the app is not valid; the message names it and says what is accepted."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """One schedule as the app serves it, with its version computed once."""

    schedule: Schedule
    version: str
    source: str


class ScheduleProvider:
    """Hands the app its schedule: routes read :attr:`schedule` (or :attr:`current`) per request.

    This one serves a schedule loaded once; :class:`FileScheduleProvider`
    follows a file and has the same three members, so the routes need not change.
    """

    def __init__(self, schedule: Schedule, source: str) -> None:
        self._current = Loaded(schedule, schedule.version, source)

    @property
    def current(self) -> Loaded:
        """The schedule, its version and its source, read together."""
        return self._current

    @property
    def schedule(self) -> Schedule:
        """The schedule to serve now."""
        return self.current.schedule

    @property
    def error(self) -> str | None:
        """Why the schedule being served is not the latest one, or ``None`` when all is well."""
        return None


class FileScheduleProvider(ScheduleProvider):
    """Serves a schedule file and follows it: a changed file is swapped in between requests.

    See :class:`hmis_schedule.follow.FileFollower`: the file is looked at no
    more than once per ``interval`` seconds, on a request; an invalid, missing
    or half-written file keeps the last good schedule in service and sets
    :attr:`error`.

    Raises
    ------
    ScheduleError
        If the file is missing or not valid at start.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, interval: float = 1.0, monotonic: Callable[[], float] | None = None
    ) -> None:
        source = str(path)

        def parse(raw: bytes) -> Loaded:
            schedule = from_toml(decode_text(raw, source), source=source)
            return Loaded(schedule, schedule.version, source)

        self._follower = FileFollower(
            path, parse, interval=interval, monotonic=monotonic, name="schedule file", logger=log
        )

    @property
    def current(self) -> Loaded:
        """The schedule, its version and its source, read together (the last good ones)."""
        return self._follower.reading().value

    @property
    def error(self) -> str | None:
        """Why the file's latest version is not served (with the field path), or ``None``."""
        return self._follower.reading().error


def _load(value: object, settings: Settings) -> ScheduleProvider:
    if isinstance(value, ScheduleProvider):
        return value
    if isinstance(value, Schedule):
        return ScheduleProvider(value, "<in code>")
    if value in (None, ""):
        return ScheduleProvider(clackamas(), "built in")
    if not isinstance(value, str | os.PathLike):
        raise ConfigError(f"HMIS_SCHEDULE: expected a file name, got {value!r}")
    try:
        return FileScheduleProvider(value, interval=settings.reload_interval, monotonic=settings.monotonic)
    except ScheduleError as err:
        raise ConfigError(f"HMIS_SCHEDULE: {one_line(err)}") from None


def _base_url(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    if not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", text):
        raise ConfigError(
            f"HMIS_BASE_URL: expected an absolute http(s) URL without query, such as "
            f"'https://hmis-training.example.org', got {text!r}"
        )
    return text.rstrip("/")


def _flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"{name}: expected 1/true/yes/on or 0/false/no/off, got {value!r}")


def _origins(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else re.split(r"[\s,]+", str(value or ""))
    origins = tuple(str(item).rstrip("/") for item in items if str(item).strip())
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise ConfigError(
                f"HMIS_EMBED_ORIGINS: {origin!r} is not an origin; expected scheme and host "
                "such as 'https://www.example.org' (space-separated)"
            )
    return origins


def _max_age(value: object) -> int:
    text = str(value if value is not None else "").strip()
    if not text:
        return 900
    if not text.isdigit() or int(text) > 31_536_000:
        raise ConfigError(f"HMIS_CACHE_MAX_AGE: expected whole seconds from 0 to 31536000, got {value!r}")
    return int(text)


@dataclass(frozen=True, slots=True)
class Settings:
    """The checked settings of one app."""

    base_url: str
    trust_proxy: bool
    embed_origins: tuple[str, ...]
    cache_max_age: int
    cache_entries: int
    now: Callable[[], datetime] | None
    reload_interval: float = 1.0
    monotonic: Callable[[], float] | None = None


def _reload_interval(value: object) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1.0
    try:
        seconds = float(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else -1.0
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:  # also refuses nan
        raise ConfigError(f"HMIS_RELOAD_INTERVAL: expected seconds from 0 to 3600, such as 1 or 0.5, got {value!r}")
    return seconds


def _settings(config: Mapping[str, Any]) -> Settings:
    now = config.get("NOW")
    if now is not None and not callable(now):
        raise ConfigError("NOW: expected a callable returning an aware datetime")
    monotonic = config.get("MONOTONIC")
    if monotonic is not None and not callable(monotonic):
        raise ConfigError("MONOTONIC: expected a callable returning seconds")
    entries = config.get("HMIS_CACHE_ENTRIES", 512)
    if isinstance(entries, bool) or not isinstance(entries, int) or entries < 0:
        raise ConfigError(f"HMIS_CACHE_ENTRIES: expected a whole number >= 0, got {entries!r}")
    return Settings(
        base_url=_base_url(config.get("HMIS_BASE_URL")),
        trust_proxy=_flag(config.get("HMIS_TRUST_PROXY"), "HMIS_TRUST_PROXY"),
        embed_origins=_origins(config.get("HMIS_EMBED_ORIGINS")),
        cache_max_age=_max_age(config.get("HMIS_CACHE_MAX_AGE")),
        cache_entries=entries,
        now=now,
        reload_interval=_reload_interval(config.get("HMIS_RELOAD_INTERVAL")),
        monotonic=monotonic,
    )


# -- private feeds ---------------------------------------------------------------


class PrivateFeeds:
    """What the private routes need: the signing key, the join URL and the followed revocations.

    ``secrets`` is fixed (from the environment) or a :class:`FileFollower` of
    the secrets file, so a new join URL written there reaches every private
    feed without a restart. Its ``repr`` shows no secret.
    """

    def __init__(
        self,
        secrets: private_links.Secrets | FileFollower[private_links.Secrets],
        state: FileFollower[State] | None,
    ) -> None:
        self._secrets = secrets
        self.state = state
        if not self._current().private_feeds:
            raise ConfigError("private feeds need both HMIS_SECRET_KEY and HMIS_TEAMS_URL")

    def __repr__(self) -> str:
        followed = self._secrets.path if isinstance(self._secrets, FileFollower) else None
        state = None if self.state is None else str(self.state.path)
        return f"PrivateFeeds(secrets_file={None if followed is None else str(followed)!r}, state={state!r})"

    def _current(self) -> private_links.Secrets:
        return self._secrets.value if isinstance(self._secrets, FileFollower) else self._secrets

    def grant(self, token: str, now: datetime) -> str | None:
        """The join URL if ``token`` is valid at ``now`` and not revoked, else ``None`` (no reason given, on purpose).

        Key and join URL are read together, from one version of the secrets.
        """
        secrets = self._current()
        assert secrets.secret_key is not None and secrets.teams_url is not None  # checked when loaded
        grant = private_links.read_token(secrets.secret_key, token, now=now)
        if grant is None:
            return None
        if self.state is not None and self.state.value.is_revoked(grant):
            return None
        return secrets.teams_url

    @property
    def error(self) -> str | None:
        """Why the secrets or state file's latest version is not in use, or ``None``."""
        errors = [f.error for f in (self._secrets, self.state) if isinstance(f, FileFollower) and f.error]
        return "; ".join(errors) or None


def _private_feeds(merged: Mapping[str, Any], settings: Settings) -> PrivateFeeds | None:
    """Private feeds from the settings, or ``None`` (logged once) when the key or the join URL is missing."""
    try:
        secrets = private_links.load_secrets(merged)
    except ScheduleError as err:
        prefix = f"{private_links.SECRETS_FILE_ENV}: " if err.source else ""
        raise ConfigError(prefix + one_line(err)) from None
    if not secrets.private_feeds:
        missing = [
            name
            for name, value in (
                (private_links.SECRET_KEY_ENV, secrets.secret_key),
                (private_links.TEAMS_URL_ENV, secrets.teams_url),
            )
            if value is None
        ]
        log.warning("private feeds are off (%s not set): private links answer 404", " and ".join(missing))
        return None
    followed: private_links.Secrets | FileFollower[private_links.Secrets] = secrets
    if secrets.source:
        try:
            followed = FileFollower(
                secrets.source,
                private_links.secrets_file_parser(merged),
                interval=settings.reload_interval,
                monotonic=settings.monotonic,
                name="secrets file",
                logger=log,
            )
        except ScheduleError as err:
            raise ConfigError(f"{private_links.SECRETS_FILE_ENV}: {one_line(err)}") from None
    value = merged.get(STATE_FILE_ENV)
    schedule_file = merged.get("HMIS_SCHEDULE")
    if value:
        path: Path | None = Path(str(value))
    elif isinstance(schedule_file, str | os.PathLike) and str(schedule_file):
        path = state_path(schedule_file)
    else:
        path = None
    if path is None:
        log.warning("private feeds are on; links cannot be revoked: no schedule file or HMIS_STATE_FILE")
        return PrivateFeeds(followed, None)
    source = str(path)

    def parse(raw: bytes) -> State:
        return from_state_toml(decode_text(raw, source), source=source)

    try:
        state = FileFollower(
            path,
            parse,
            interval=settings.reload_interval,
            monotonic=settings.monotonic,
            missing=State,
            name="state file",
            logger=log,
        )
    except ScheduleError as err:
        raise ConfigError(f"{STATE_FILE_ENV}: {one_line(err)}") from None
    log.info("private feeds are on; revoked links are read from %s", path)
    return PrivateFeeds(followed, state)


# -- the render cache -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rendered:
    """A rendered body with what conditional requests need."""

    body: bytes
    etag: str
    last_modified: datetime | None = None
    valid_until: datetime | None = None


class RenderCache:
    """A small thread-safe LRU of rendered bodies; ``renders`` counts the misses."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._items: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._lock = threading.Lock()
        self.renders = 0

    def get(self, key: Hashable, now: datetime, make: Callable[[], Rendered]) -> Rendered:
        """The cached entry for ``key`` if it is still valid at ``now``, else ``make()``'s, stored."""
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and (hit.valid_until is None or now < hit.valid_until):
                self._items.move_to_end(key)
                return hit
        made = make()
        with self._lock:
            self.renders += 1
            if self._entries:
                self._items[key] = made
                self._items.move_to_end(key)
                while len(self._items) > self._entries:
                    self._items.popitem(last=False)
        return made


def _rendered(
    body: bytes, last_modified: datetime | None = None, valid_until: datetime | None = None
) -> Rendered:
    response = Response(body)
    response.add_etag()
    etag, _ = response.get_etag()
    assert etag is not None
    return Rendered(body, etag, last_modified, valid_until)


# -- request parsing -----------------------------------------------------------


class BadParameter(Exception):
    """A query parameter is not valid: answered with 400 naming it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _one(name: str) -> str | None:
    values = request.args.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadParameter(name, f"given {len(values)} times; give it once")
    value = values[0]
    if len(value) > MAX_PARAMETER:
        raise BadParameter(name, f"too long ({len(value)} characters; at most {MAX_PARAMETER})")
    return value


def _choice(name: str, choices: tuple[str, ...]) -> str | None:
    value = _one(name)
    if value is not None and value not in choices:
        accepted = ", ".join(repr(c) for c in choices)
        raise BadParameter(name, f"unknown value {_show(value)}; expected one of {accepted}")
    return value


def _lang_param() -> str | None:
    return _choice("lang", LANGUAGES)


def _date_param(name: str) -> date | None:
    value = _one(name)
    if value is None:
        return None
    expected = f"expected a date YYYY-MM-DD from {_YEARS[0]} to {_YEARS[1]}"
    if not _DATE.match(value):
        raise BadParameter(name, f"{expected}, got {_show(value)}")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadParameter(name, f"no such date {_show(value)}; {expected}") from None
    if not _YEARS[0] <= day.year <= _YEARS[1]:
        raise BadParameter(name, f"{expected}, got {_show(value)}")
    return day


def _datetime_param(name: str) -> datetime | None:
    value = _one(name)
    if value is None:
        return None
    expected = "expected a date and time with an offset, such as 2026-12-07T09:00:00-08:00"
    if not _DATETIME.match(value):
        raise BadParameter(name, f"{expected}, got {_show(value)}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadParameter(name, f"no such date and time {_show(value)}; {expected}") from None
    if not _YEARS[0] <= moment.year <= _YEARS[1]:
        raise BadParameter(name, f"year out of range {_YEARS[0]}-{_YEARS[1]}: {_show(value)}")
    return moment


def _window(schedule: Schedule, today: date) -> tuple[date, date]:
    """The half-open window of the inclusive ``from``/``to`` parameters."""
    first = _date_param("from")
    last = _date_param("to")
    end = None if last is None else last + timedelta(days=1)
    if first is not None and last is not None and last < first:
        raise BadParameter("to", f"must not be before from ({first.isoformat()})")
    try:
        return feed.feed_window(schedule, today, first, end)
    except WindowError as err:
        name = {"start": "from", "end": "to"}.get(err.field, err.field or "to")
        raise BadParameter(name, err.message) from None


# -- helpers for routes ----------------------------------------------------------


def _provider() -> ScheduleProvider:
    provider: ScheduleProvider = current_app.extensions["hmis"]
    return provider


def _config() -> Settings:
    settings: Settings = current_app.extensions["hmis_settings"]
    return settings


def _cache() -> RenderCache:
    cache: RenderCache = current_app.extensions["hmis_cache"]
    return cache


def _private() -> PrivateFeeds | None:
    feeds: PrivateFeeds | None = current_app.extensions["hmis_private"]
    return feeds


def _now(schedule: Schedule) -> datetime:
    """Now, in the schedule's zone: the clock, or the ``NOW`` setting (tests freeze time with it)."""
    make = _config().now
    moment = make() if make is not None else clock.now(schedule.zone)
    if moment.utcoffset() is None:
        raise ConfigError("NOW: returned a naive datetime; it must return an aware one")
    return moment.astimezone(schedule.zone)


@lru_cache(maxsize=64)
def _root_url(scheme: str, host: str, root_path: str) -> str:
    """``request.url_root`` without its slash, memoized (building it costs as much as a cached response)."""
    return get_current_url(scheme, host, root_path).rstrip("/")


def _base() -> str:
    return _config().base_url or _root_url(request.scheme, request.host, request.root_path)


def _session_url(uid: str, lang: str) -> str:
    path = feed.session_path(uid)
    return _base() + (path if lang == DEFAULT_LANGUAGE else f"{path}?lang={lang}")


def _feed_url(kind: feed.FeedFilter, lang: str) -> str:
    return _base() + feed.feed_path(kind, lang)


def _day_start(schedule: Schedule, day: date) -> datetime:
    return local_datetime(day, time(0), schedule.zone)


def _respond(
    rendered: Rendered,
    mimetype: str,
    *,
    filename: str | None = None,
    cache: bool = True,
) -> Response:
    # headers given as a list: Werkzeug's per-header setters cost more than the rest of a cached response
    headers = [("ETag", f'"{rendered.etag}"')]
    if rendered.last_modified is not None:
        headers.append(("Last-Modified", _http_date(rendered.last_modified)))
    if filename:
        headers.append(("Content-Disposition", f'inline; filename="{filename}"'))
    headers.append(("Cache-Control", f"public, max-age={_config().cache_max_age}" if cache else "no-store"))
    response = Response(rendered.body, headers=headers, mimetype=mimetype)
    if not _CONDITIONAL.isdisjoint(request.environ):  # without these make_conditional changes nothing
        response.make_conditional(request)
        # make_conditional adds a Date; gunicorn adds its own, so the answer would carry two,
        # and FeedResponses would replay a stale one
        response.headers.pop("Date", None)
    return response


_CONDITIONAL = frozenset(
    ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE")
)
_PRECONDITIONS = _CONDITIONAL - {"HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE"}
"""Request headers whose answers :class:`FeedResponses` leaves to Flask every time."""
_http_date = lru_cache(maxsize=256)(http_date)


def _negotiated_lang() -> str:
    lang = _lang_param()
    if lang is not None:
        return lang
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def _json(data: object) -> bytes:
    return current_app.json.dumps(data).encode() + b"\n"


# -- routes ----------------------------------------------------------------------

bp = Blueprint("hmis", __name__)


def _feed_route(path: str, join_url: str | None = None) -> Response:
    """The feed of ``path``; with ``join_url``, the private one: default window, never cached by others."""
    loaded = _provider().current
    schedule = loaded.schedule
    now = _now(schedule)
    today = schedule.today(now)
    lang = _lang_param() or DEFAULT_LANGUAGE
    start, end = _window(schedule, today) if join_url is None else feed.feed_window(schedule, today)
    kind = FEEDS[path]
    base = _base()
    key = ("feed", loaded.version, today, path, kind, lang, start, end, base, join_url)

    def make() -> Rendered:
        body = feed.render_feed(
            schedule, today=today, lang=lang, filter=kind, start=start, end=end, base_url=base, join_url=join_url
        )
        return _rendered(body, max(schedule.updated, _day_start(schedule, today)))

    rendered = _cache().get(key, now, make)
    private = "private" if join_url else "all"
    name = "-".join(
        part
        for part in (schedule.id, kind.value.replace("_", "-"), lang, private)
        if part not in ("all", "en")
    )
    response = _respond(rendered, "text/calendar", filename=f"{name}.ics", cache=join_url is None)
    if join_url:
        response.cache_control.private = True
    return response


@bp.get("/calendar.ics")
def calendar_all() -> Response:
    """Every session (default window: 90 days back, 15 months ahead)."""
    return _feed_route("/calendar.ics")


@bp.get("/calendar/online.ics")
def calendar_online() -> Response:
    """Online sessions only."""
    return _feed_route("/calendar/online.ics")


@bp.get("/calendar/in-person.ics")
def calendar_in_person() -> Response:
    """In-person sessions only."""
    return _feed_route("/calendar/in-person.ics")


def _private_feed(token: str, path: str) -> Response:
    """A private feed, or the 404 of any unknown URL for a token that is not valid (no hint why)."""
    feeds = _private()
    join_url = None if feeds is None else feeds.grant(token, _now(_provider().schedule))
    if join_url is None:
        raise NotFound()
    return _feed_route(path, join_url=join_url)


@bp.get("/private/<token>/calendar.ics")
def private_calendar(token: str) -> Response:
    """Every session; online ones carry the meeting's join URL (private link)."""
    return _private_feed(token, "/calendar.ics")


@bp.get("/private/<token>/online.ics")
def private_online(token: str) -> Response:
    """Online sessions only, with the meeting's join URL (private link)."""
    return _private_feed(token, "/calendar/online.ics")


@bp.get("/sessions/<uid>.ics")
def session_ics(uid: str) -> Response:
    """One session as a one-event calendar (for "Add to calendar")."""
    loaded = _provider().current
    schedule = loaded.schedule
    lang = _lang_param() or DEFAULT_LANGUAGE
    base = _base()
    key = ("session", loaded.version, uid, lang, base)

    def make() -> Rendered:
        return _rendered(feed.render_session(schedule, uid, lang=lang, base_url=base), schedule.updated)

    rendered = _cache().get(key, _now(schedule), make)
    return _respond(rendered, "text/calendar", filename=f"{uid.split('@')[0]}.ics")


@bp.get("/api/sessions.json")
def api_sessions() -> Response:
    """Sessions in a window as JSON, cancelled ones with their reason unless ``status=scheduled``."""
    loaded = _provider().current
    schedule = loaded.schedule
    now = _now(schedule)
    today = schedule.today(now)
    lang = _lang_param() or DEFAULT_LANGUAGE
    modality = _choice("modality", tuple(m.value for m in Modality))
    status = _choice("status", tuple(s.value for s in Status))
    start, end = _window(schedule, today)
    base = _base()
    key = ("api-sessions", loaded.version, today, start, end, modality, status, lang, base)

    def make() -> Rendered:
        sessions = schedule.sessions_between(
            start, end, modality=modality, include_cancelled=status != Status.SCHEDULED
        )
        data = {
            **_schedule_info(loaded, lang, base),
            "window": {"start": start.isoformat(), "end": end.isoformat()},
            "sessions": [
                export.session_record(s, schedule, base_url=base, lang=lang)
                for s in sessions
                if status is None or s.status == status
            ],
        }
        return _rendered(_json(data), max(schedule.updated, _day_start(schedule, today)))

    return _respond(_cache().get(key, now, make), "application/json")


@bp.get("/api/next.json")
def api_next() -> Response:
    """The next session that takes place after ``after`` (default: now)."""
    loaded = _provider().current
    schedule = loaded.schedule
    lang = _lang_param() or DEFAULT_LANGUAGE
    modality = _choice("modality", tuple(m.value for m in Modality))
    after = _datetime_param("after")
    moment = after if after is not None else _now(schedule)
    session = schedule.next_session(moment, modality=modality)
    base = _base()
    data = {
        **_schedule_info(loaded, lang, base),
        "after": moment.isoformat(),
        "session": None
        if session is None
        else export.session_record(session, schedule, base_url=base, lang=lang),
    }
    return _respond(_rendered(_json(data)), "application/json")


def _schedule_info(loaded: Loaded, lang: str, base: str) -> dict[str, str]:
    """What the JSON documents say about the schedule, as the static export's ``sessions.json`` does."""
    schedule = loaded.schedule
    return {
        "schedule": schedule.id,
        "name": schedule.name.get(lang),
        "timezone": schedule.timezone,
        "updated": schedule.updated.isoformat(),
        "version": loaded.version,
        "url": feed.page_url(schedule, base),
    }


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness and the version of the schedule being served."""
    provider = _provider()
    loaded = provider.current
    feeds = _private()
    errors = [e for e in (provider.error, feeds.error if feeds is not None else None) if e]
    data: dict[str, object] = {"status": "degraded" if errors else "ok", "version": loaded.version}
    if errors:
        data["error"] = "; ".join(errors)
    return _respond(_rendered(_json(data)), "application/json", cache=False)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of every route."""
    key = ("openapi", _base())
    loaded = _provider().current
    rendered = _cache().get(key, _now(loaded.schedule), lambda: _rendered(_json(openapi_spec(_base()))))
    return _respond(rendered, "application/json")


# -- pages -------------------------------------------------------------------------


def _feed_links(lang: str, schedule: Schedule) -> dict[str, Any]:
    """Subscribe links of each feed a page offers, in the page's language."""
    other = "es" if lang == "en" else "en"
    name = schedule.name.get(lang)
    return {
        "all": subscribe_links(_feed_url(feed.FeedFilter.ALL, lang), name=name),
        "online": subscribe_links(_feed_url(feed.FeedFilter.ONLINE, lang), name=name),
        "in_person": subscribe_links(_feed_url(feed.FeedFilter.IN_PERSON, lang), name=name),
        "other_lang": other,
        "other": subscribe_links(_feed_url(feed.FeedFilter.ALL, other), name=schedule.name.get(other)),
    }


def _page_context(schedule: Schedule, view: Overview, lang: str) -> dict[str, Any]:
    page_url = feed.page_url(schedule, _base())
    summaries = {s.uid: feed.session_summary(s, schedule, lang) for s in view.upcoming}
    for s in (view.next, *(n for _, n in view.next_by_modality)):
        if s is not None:
            summaries.setdefault(s.uid, feed.session_summary(s, schedule, lang))
    shown = [*view.upcoming, *(s for month in view.months for s in month.sessions)]
    reasons = {s.uid: text.session_reason(s, schedule, lang) for s in shown if s.cancelled}
    ics = {uid: _session_url(uid, lang) for uid in summaries}
    google = {
        s.uid: google_event_link(
            s,
            title=summaries[s.uid],
            details=text.session_description(s, schedule, lang, page_url),
            location=text.session_location(s, lang),
        )
        for s in view.upcoming
        if not s.cancelled
    }
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
    return {
        "schedule": schedule,
        "view": view,
        "summaries": summaries,
        "reasons": reasons,
        "ics": ics,
        "google": google,
        "feeds": _feed_links(lang, schedule),
        "mailto": mailto,
        "structured": structured,
        "zone_name": get_timezone_name(schedule.zone, "long", zone_variant="generic", locale=lang),
        "weekdays": _weekday_names(view, lang),
    }


def _weekday_names(view: Overview, lang: str) -> list[tuple[str, str]]:
    if not view.months:
        return []
    wide = get_day_names("wide", locale=lang)
    short = get_day_names("abbreviated", locale=lang)
    return [(str(short[d.date.weekday()]), str(wide[d.date.weekday()])) for d in view.months[0].weeks[0]]


def _page(template: str, months: int) -> Response:
    loaded = _provider().current
    schedule = loaded.schedule
    lang = _negotiated_lang()
    now = _now(schedule)
    base = _base()
    key = ("page", template, loaded.version, schedule.today(now), lang, base, request.script_root)

    def make() -> Rendered:
        view = overview(schedule, now, months=months)
        g.lang = lang
        html = render_template(template, lang=lang, **_page_context(schedule, view, lang))
        return _rendered(html.encode(), valid_until=view.valid_until)

    response = _respond(_cache().get(key, now, make), "text/html")
    response.vary.add("Accept-Language")
    response.content_language.add(lang)
    return response


@bp.get("/")
def index() -> Response:
    """The public page."""
    return _page("index.html", months=3)


@bp.get("/embed")
def embed() -> Response:
    """The compact widget for an iframe on another site."""
    return _page("embed.html", months=1)


# -- errors --------------------------------------------------------------------------


def _kind() -> str:
    path = request.path
    if path.startswith("/api/") or path.endswith(".json") or path == "/healthz":
        return "json"
    if path.endswith(".ics"):
        return "text"
    return "html"


def _error(status: int, title: str, message: str, parameter: str | None = None) -> Response:
    kind = _kind()
    if kind == "json":
        error: dict[str, object] = {"status": status, "title": title, "message": message}
        if parameter is not None:
            error["parameter"] = parameter
        response = Response(_json({"error": error}), status=status, mimetype="application/json")
    elif kind == "text":
        response = Response(f"{status} {title}\n{message}\n", status=status, mimetype="text/plain")
    else:
        try:
            lang = _negotiated_lang()
        except BadParameter:
            lang = DEFAULT_LANGUAGE
        g.lang = lang
        html = render_template("error.html", lang=lang, status=status, title=title, message=message)
        response = Response(html, status=status, mimetype="text/html")
    response.cache_control.no_store = True
    return response


def _bad_parameter(err: BadParameter) -> Response:
    return _error(400, "Bad Request", f"{err.parameter}: {err.message}", err.parameter)


def _not_found(err: SessionNotFoundError) -> Response:
    return _error(
        404, "Not Found", "No session has this id. The schedule may have changed: see the public page."
    )


def _http_error(err: HTTPException) -> Response:
    code = err.code or 500
    response = _error(code, err.name, err.description or err.name)
    if code == 405:
        allow = err.get_headers()
        for name, value in allow:
            if name.lower() == "allow":
                response.headers["Allow"] = value
    return response


def _unexpected(err: Exception) -> Response:
    log.exception("unexpected error on %s", redact(request.path))
    return _error(500, "Internal Server Error", "Something went wrong on our side. Please try again later.")


# -- warm feeds without Flask --------------------------------------------------------


class FeedResponses:
    """WSGI middleware: a warm request for a public feed answered with the last identical answer.

    The render cache spares a warm feed its rendering; this also spares it
    routing, the request context and building the headers, which were most of
    what a warm feed cost (``bench/bench_server.py``). Only ``GET`` and
    ``HEAD`` of the three public feed paths are looked up here; an answer is
    kept only when Flask answered a ``GET`` with 200, keyed by everything that
    decided it: path, query string, scheme, host and root path of the request
    (after ``ProxyFix``), the schedule's version and today's date in its zone.

    Calendar apps poll with ``If-None-Match`` or ``If-Modified-Since``. For
    those, the kept 200's ETag and Last-Modified decide, with Werkzeug's
    ``is_resource_modified`` (what Flask's ``make_conditional`` asks): a
    modified resource gets the kept 200, an unmodified one the 304 Flask gave
    for the same key, once Flask has given one. Requests with ``If-Match``,
    ``If-Unmodified-Since`` or ``Range``, errors, private feeds and pages go
    to Flask every time.
    """

    def __init__(self, app: WSGIApplication, provider: ScheduleProvider, settings: Settings) -> None:
        self.app = app
        self.provider = provider
        self.settings = settings
        self._items: OrderedDict[Hashable, tuple[str, list[tuple[str, str]], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, environ: WSGIEnvironment) -> Hashable | None:
        path = environ.get("PATH_INFO")
        if path not in FEEDS or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if not _PRECONDITIONS.isdisjoint(environ) or not self.settings.cache_entries:
            return None
        try:
            loaded = self.provider.current
            zone = loaded.schedule.zone
            moment = self.settings.now() if self.settings.now is not None else clock.now(zone)
            today = loaded.schedule.today(moment)
        except Exception:  # Flask answers this request and says what is wrong
            return None
        return (
            path,
            environ.get("QUERY_STRING", ""),
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
            environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"),
            environ.get("SCRIPT_NAME", ""),
            loaded.version,
            today,
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        head = environ["REQUEST_METHOD"] == "HEAD"
        hit = self._get(key)
        want = "200 "
        if hit is not None and ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ):
            if not self._modified(environ, hit[1]):
                key, want = (key, 304), "304 "
                hit = self._get(key)  # None until Flask has given this 304 once; kept below
        elif hit is None and not _CONDITIONAL.isdisjoint(environ):
            return self.app(environ, start_response)  # nothing kept to decide with: Flask decides
        if hit is not None:
            status, headers, body = hit
            start_response(status, list(headers))
            return [] if head else [body]
        started: list[Any] = []

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [status, list(headers)]
            return start_response(status, headers, exc_info)

        answer = self.app(environ, start)
        if head:
            return answer
        try:
            body = b"".join(answer)
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()
        if started and started[0].startswith(want):
            with self._lock:
                self._items[key] = (started[0], started[1], body)
                while len(self._items) > self.settings.cache_entries:
                    self._items.popitem(last=False)
        return [body]

    def _get(self, key: Hashable) -> tuple[str, list[tuple[str, str]], bytes] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
        return hit

    @staticmethod
    def _modified(environ: WSGIEnvironment, headers: list[tuple[str, str]]) -> bool:
        """Whether the kept answer with ``headers`` is modified for this request's conditions."""
        found = {name.lower(): value for name, value in headers}
        return is_resource_modified(environ, found.get("etag"), None, found.get("last-modified"))


# -- headers on every response -----------------------------------------------------


class SecurityHeaders:
    """WSGI middleware: the security (and CORS) headers of every response, added as it starts.

    Given as plain tuples to ``start_response``: setting them one by one on
    Werkzeug's ``Headers`` (in an ``after_request`` hook) cost more than the
    rest of a cached feed response. Each kind of response has its list computed
    once (:func:`_security_header_list`).
    """

    def __init__(self, app: WSGIApplication, embed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.embed_origins = embed_origins

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = "/" + str(environ.get("PATH_INFO") or "").lstrip("/")  # as request.path
        is_private = path.startswith("/private/")
        cors = not is_private and (path.startswith("/api/") or path.endswith(".ics") or path == "/openapi.json")
        preflight = environ.get("REQUEST_METHOD") == "OPTIONS"
        extra = _security_header_list(self.embed_origins, path == "/embed", is_private, cors, preflight)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *extra], exc_info)

        return self.app(environ, start)


@lru_cache(maxsize=64)
def _security_header_list(
    embed_origins: tuple[str, ...], is_embed: bool, is_private: bool, cors: bool, preflight: bool
) -> tuple[tuple[str, str], ...]:
    """The security and CORS headers of one kind of response.

    >>> dict(_security_header_list((), False, False, True, False))["X-Frame-Options"]
    'DENY'
    """
    ancestors = " ".join(("'self'", *embed_origins)) if is_embed else "'none'"
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    )
    headers = [
        ("Content-Security-Policy", csp),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer" if is_private else "strict-origin-when-cross-origin"),
    ]
    if is_private:
        headers.append(("X-Robots-Tag", "noindex, nofollow"))
    headers.append(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
    if not is_embed:
        headers.append(("X-Frame-Options", "DENY"))
    if cors:
        headers.append(("Access-Control-Allow-Origin", "*"))
        headers.append(("Access-Control-Expose-Headers", "ETag, Last-Modified, Content-Disposition"))
        if preflight:  # e.g. for a script sending If-None-Match
            headers.append(("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"))
            headers.append(("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since"))
            headers.append(("Access-Control-Max-Age", "86400"))
    return tuple(headers)


# -- templates: language and formatting ---------------------------------------------


def _lang() -> str:
    return str(g.get("lang", DEFAULT_LANGUAGE))


def _gettext(message: str) -> str:
    """Translate ``message`` into the current request's language (Jinja formats the variables)."""
    return translations(_lang(), "web", TRANSLATIONS).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_lang(), "web", TRANSLATIONS).ngettext(singular, plural, n)


def _install_templates(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    static_versions: dict[str, str] = {}

    def static_url(filename: str) -> str:
        if filename not in static_versions:
            data = (ROOT / "static" / filename).read_bytes()
            static_versions[filename] = sha256(data).hexdigest()[:10]
        return url_for("static", filename=filename, v=static_versions[filename])

    def long_date(day: date) -> str:
        return format_date(day, "full", locale=_lang())

    def short_date(day: date) -> str:
        return format_date(day, "EEE d MMM", locale=_lang())

    def month_title(day: date) -> str:
        return format_date(day, "LLLL y", locale=_lang())

    def clock_time(moment: datetime) -> str:
        return format_time(moment, "short", tzinfo=moment.tzinfo, locale=_lang())

    app.jinja_env.globals.update(static_url=static_url)
    app.jinja_env.filters.update(
        long_date=long_date, short_date=short_date, month_title=month_title, clock_time=clock_time
    )


# -- the factory -----------------------------------------------------------------------


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, overlaid with ``config``.

    Parameters
    ----------
    config:
        Settings that win over the environment: any of :data:`ENVIRONMENT`,
        ``NOW`` (a callable returning an aware datetime) and Flask's own.

    Returns
    -------
    The Flask app; its schedule provider is ``app.extensions["hmis"]``.

    Raises
    ------
    ConfigError
        For a bad setting or schedule file; the one-line message names the
        variable, the file and the field.

    >>> client = create_app({"HMIS_BASE_URL": "https://example.org"}).test_client()
    >>> client.get("/healthz").json["status"]
    'ok'
    """
    merged: dict[str, Any] = {name: os.environ.get(name) for name in ENVIRONMENT}
    merged.update(config or {})
    settings = _settings(merged)
    provider = _load(merged.get("HMIS_SCHEDULE"), settings)
    private_feeds = _private_feeds(merged, settings)
    app = Flask(__name__, static_folder=str(ROOT / "static"), template_folder=str(ROOT / "templates"))
    secret = {private_links.SECRET_KEY_ENV, private_links.TEAMS_URL_ENV}  # kept out of app.config
    app.config.update({k: v for k, v in merged.items() if k.isupper() and k not in secret})
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = settings.cache_max_age
    app.url_map.merge_slashes = False  # /sessions/%2F0.ics is a 404, not a redirect to another uid
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["hmis"] = provider
    app.extensions["hmis_settings"] = settings
    app.extensions["hmis_cache"] = RenderCache(settings.cache_entries)
    app.extensions["hmis_private"] = private_feeds
    guard(logging.getLogger("werkzeug"))  # the development server's request lines
    _install_templates(app)
    app.register_blueprint(bp)
    app.register_error_handler(BadParameter, _bad_parameter)
    app.register_error_handler(SessionNotFoundError, _not_found)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    app.wsgi_app = FeedResponses(app.wsgi_app, provider, settings)  # type: ignore[method-assign]
    app.wsgi_app = SecurityHeaders(app.wsgi_app, settings.embed_origins)  # type: ignore[method-assign]
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1
        )
    return app


# -- for gunicorn -------------------------------------------------------------------------


def _from_environment() -> Flask:
    try:
        return create_app()
    except ConfigError as err:
        print(f"hmis-schedule: cannot start: {err}", file=sys.stderr)
        raise SystemExit(3) from None  # 3: gunicorn's "worker failed to boot", so it stops at once


app = _from_environment()
