"""Settings: every setting of the app read from the environment and ``create_app``'s mapping, checked once.

``HMIS_SCHEDULE``
    A schedule file (TOML); default: the built-in Clackamas schedule. In code
    it may also be a :class:`~hmis_schedule.Schedule` or a
    :class:`~hmis_schedule.source.Source`.
``HMIS_BASE_URL``
    The public URL the links on pages and in feeds start with, such as
    ``https://hmis-training.example.org``; default: the URL of each request.
``HMIS_TRUST_PROXY``
    ``1`` when the app runs behind a reverse proxy that sets ``X-Forwarded-*``
    headers (and only then): the request's client address, scheme and host come
    from ``X-Forwarded-For``, ``-Proto`` (``http`` or ``https``) and ``-Host``
    (a valid ``host[:port]``); see :mod:`hmis_schedule.web.origin`.
``HMIS_TRUST_PROXY_PREFIX``
    ``1`` when that proxy also sets ``X-Forwarded-Prefix`` (a path such as
    ``/hmis``) and the app should believe it; needs ``HMIS_TRUST_PROXY``.
``HMIS_EMBED_ORIGINS``
    Space- or comma-separated origins (``https://www.example.org``) allowed to
    show ``/embed`` in an iframe, besides this site itself.
``HMIS_CACHE_MAX_AGE``
    Seconds browsers and proxies may keep pages, feeds and JSON (default 900).
``HMIS_CACHE_BYTES``
    The bytes each worker may keep in its caches of rendered answers and feed
    parts (:mod:`.cache`): whole bytes, or a number with ``K``, ``M`` or ``G``
    (binary: ``32M`` is 32 MiB, the default); ``0`` turns caching off.
``HMIS_SECRET_KEY``, ``HMIS_TEAMS_URL``, ``HMIS_SECRETS_FILE``
    The key that signs private links and the meeting's join URL, or a TOML
    file holding them (``secret_key``, ``teams_url``); see
    :mod:`hmis_schedule.private`. Private feeds are served only when both are
    set; otherwise ``/private/...`` is a 404 and the app says so once at start.
    The secrets file is followed while serving; the variables are read once.
``HMIS_RELOAD_INTERVAL``
    Seconds between looks at the schedule, state and secrets files (default 1).
``HMIS_RELOAD_SETTLE``
    Seconds a changed file must stay unchanged (by its modification time)
    before it is served (default 1; see :mod:`hmis_schedule.follow`). A change
    is served on the first request that starts the larger of the two after
    the file was last written.
``HMIS_ADMIN_IDLE_MINUTES``
    Minutes an administrator's session of the admin pages (``/admin``) stays
    signed in without a request (default 30, from 1 to 1440); see
    :mod:`hmis_schedule.web.auth`.
``HMIS_STATE_FILE``
    The state file with the revoked private links and the administrators' accounts; default
    ``<schedule>.state.toml`` beside the schedule file (see
    :mod:`hmis_schedule.state`). With the built-in schedule and no state file,
    links can only expire.

In code only: ``NOW``, a callable returning an aware datetime (tests freeze
"today" with it), ``MONOTONIC``, the clock the looks at the files are timed
by, ``WALL_CLOCK``, the clock (seconds since the epoch) their modification
times are compared with, and ``RENDER_SLOTS`` and ``RENDER_WAIT``, the
renders one worker runs at once (default 1: one process runs one render at a
time anyway) and the seconds a request waits for a slot before its 503
(default 0.5). ``HMIS_CACHE_ENTRIES`` (a count of entries) was replaced by
``HMIS_CACHE_BYTES``; giving it is an error that says so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from hmis_schedule import ScheduleError, clock
from hmis_schedule.follow import SETTLE
from hmis_schedule.private import SECRET_KEY_ENV, SECRETS_FILE_ENV, TEAMS_URL_ENV
from hmis_schedule.state import STATE_FILE_ENV
from hmis_schedule.values import whole_number

from .origin import valid_host, valid_prefix

__all__ = ["DEFAULT_CACHE_BYTES", "ENVIRONMENT", "ConfigError", "Settings", "load_settings"]

ENVIRONMENT = (
    "HMIS_SCHEDULE",
    "HMIS_BASE_URL",
    "HMIS_TRUST_PROXY",
    "HMIS_TRUST_PROXY_PREFIX",
    "HMIS_EMBED_ORIGINS",
    "HMIS_CACHE_MAX_AGE",
    "HMIS_CACHE_BYTES",
    SECRET_KEY_ENV,
    TEAMS_URL_ENV,
    SECRETS_FILE_ENV,
    STATE_FILE_ENV,
    "HMIS_RELOAD_INTERVAL",
    "HMIS_RELOAD_SETTLE",
    "HMIS_ADMIN_IDLE_MINUTES",
)
"""The environment variables the app reads."""

SECRET_SETTINGS = frozenset({SECRET_KEY_ENV, TEAMS_URL_ENV})
"""Settings that never go into ``app.config`` (or anything else that may be shown)."""

_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")
_BASE_URL = re.compile(r"https?://([^/?#\s]+)(/[^?#\s]*)?")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class ConfigError(ValueError):
    """A setting of the app is not valid; the message names it and says what is accepted."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The checked settings of one app.

    ``given`` keeps every setting as given (environment overlaid with the
    mapping), for the parts that read their own (secrets, state file); its
    ``repr`` is hidden because it may hold secrets.
    """

    base_url: str
    trust_proxy: bool
    embed_origins: tuple[str, ...]
    cache_max_age: int
    cache_bytes: int
    clock: Callable[[], datetime] | None
    reload_interval: float = 1.0
    reload_settle: float = SETTLE
    render_slots: int = 1
    render_wait: float = 0.5
    monotonic: Callable[[], float] | None = None
    wall_clock: Callable[[], float] | None = None
    trust_proxy_prefix: bool = False
    admin_idle_minutes: int = 30
    given: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def now(self, zone: tzinfo) -> datetime:
        """Now, in ``zone``: the clock, or the ``NOW`` setting (tests freeze time with it).

        Raises
        ------
        ConfigError
            If ``NOW`` returns a naive datetime.
        """
        moment = self.clock() if self.clock is not None else clock.now(zone)
        if moment.utcoffset() is None:
            raise ConfigError("NOW: returned a naive datetime; it must return an aware one")
        return moment.astimezone(zone)

    def public_config(self) -> dict[str, Any]:
        """The settings that may go into ``app.config``: every upper-case one but the secrets."""
        return {k: v for k, v in self.given.items() if k.isupper() and k not in SECRET_SETTINGS}


def load_settings(config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """The settings from ``environ`` (default: the process's) overlaid with ``config``, checked.

    Raises
    ------
    ConfigError
        Naming the first bad setting and what it accepts.

    >>> load_settings({"HMIS_BASE_URL": "https://x.org/"}, environ={}).base_url
    'https://x.org'
    >>> load_settings({"HMIS_CACHE_MAX_AGE": "soon"}, environ={})
    Traceback (most recent call last):
    ...
    hmis_schedule.web.settings.ConfigError: HMIS_CACHE_MAX_AGE: expected whole seconds from 0 to 31536000, got 'soon'
    """
    source = os.environ if environ is None else environ
    given: dict[str, Any] = {name: source.get(name) for name in ENVIRONMENT}
    given.update(config or {})
    now = given.get("NOW")
    if now is not None and not callable(now):
        raise ConfigError("NOW: expected a callable returning an aware datetime")
    monotonic = given.get("MONOTONIC")
    if monotonic is not None and not callable(monotonic):
        raise ConfigError("MONOTONIC: expected a callable returning seconds")
    wall_clock = given.get("WALL_CLOCK")
    if wall_clock is not None and not callable(wall_clock):
        raise ConfigError("WALL_CLOCK: expected a callable returning seconds since the epoch")
    if given.get("HMIS_CACHE_ENTRIES") is not None:
        raise ConfigError(
            "HMIS_CACHE_ENTRIES: no longer read; the caches are bounded in bytes by HMIS_CACHE_BYTES "
            "(such as 32M, or 0 for no caching)"
        )
    slots = given.get("RENDER_SLOTS", 1)
    try:
        slots = whole_number(slots, "RENDER_SLOTS", minimum=0, maximum=1000)
    except ScheduleError:
        raise ConfigError(f"RENDER_SLOTS: expected a whole number from 0 to 1000, got {slots!r}") from None
    trust_proxy = _flag(given.get("HMIS_TRUST_PROXY"), "HMIS_TRUST_PROXY")
    trust_proxy_prefix = _flag(given.get("HMIS_TRUST_PROXY_PREFIX"), "HMIS_TRUST_PROXY_PREFIX")
    if trust_proxy_prefix and not trust_proxy:
        raise ConfigError("HMIS_TRUST_PROXY_PREFIX: needs HMIS_TRUST_PROXY=1 (the proxy's other headers believed too)")
    return Settings(
        base_url=_base_url(given.get("HMIS_BASE_URL")),
        trust_proxy=trust_proxy,
        trust_proxy_prefix=trust_proxy_prefix,
        embed_origins=_origins(given.get("HMIS_EMBED_ORIGINS")),
        cache_max_age=_max_age(given.get("HMIS_CACHE_MAX_AGE")),
        cache_bytes=_cache_bytes(given.get("HMIS_CACHE_BYTES")),
        clock=now,
        reload_interval=_seconds(given.get("HMIS_RELOAD_INTERVAL"), "HMIS_RELOAD_INTERVAL", default=1.0),
        reload_settle=_seconds(given.get("HMIS_RELOAD_SETTLE"), "HMIS_RELOAD_SETTLE", default=SETTLE),
        render_slots=slots,
        render_wait=_seconds(given.get("RENDER_WAIT"), "RENDER_WAIT", default=0.5, most=60),
        monotonic=monotonic,
        wall_clock=wall_clock,
        admin_idle_minutes=_idle_minutes(given.get("HMIS_ADMIN_IDLE_MINUTES")),
        given=given,
    )


def _idle_minutes(value: object) -> int:
    """``HMIS_ADMIN_IDLE_MINUTES``: whole minutes from 1 to 1440, default 30.

    >>> _idle_minutes(None), _idle_minutes("15")
    (30, 15)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return 30
    try:
        return whole_number(int(value) if isinstance(value, str) and value.strip().isdigit() else value,
                            "HMIS_ADMIN_IDLE_MINUTES", minimum=1, maximum=1440)
    except ScheduleError:
        raise ConfigError(f"HMIS_ADMIN_IDLE_MINUTES: expected whole minutes from 1 to 1440, got {value!r}") from None


def _base_url(value: object) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    found = _BASE_URL.fullmatch(text)
    path = found.group(2) if found else None
    if not found or not valid_host(found.group(1)) or (path not in (None, "/") and not valid_prefix(path)):
        raise ConfigError(
            f"HMIS_BASE_URL: expected an absolute http(s) URL without query, such as "
            f"'https://hmis-training.example.org' or 'https://example.org/hmis' (a host[:port], then "
            f"an optional path of letters, digits and -._~ between slashes), got {text!r}"
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
    try:
        seconds = int(text) if text.isdigit() else text
        return whole_number(seconds, "HMIS_CACHE_MAX_AGE", minimum=0, maximum=31_536_000)
    except ScheduleError:
        raise ConfigError(
            f"HMIS_CACHE_MAX_AGE: expected whole seconds from 0 to 31536000, got {value!r}"
        ) from None


_BYTES = re.compile(r"^(\d{1,15})\s*([KMG]?)$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
DEFAULT_CACHE_BYTES = 32 * 1024**2
"""Each worker's cache budget when ``HMIS_CACHE_BYTES`` is not set: 32 MiB."""


def _cache_bytes(value: object) -> int:
    """``HMIS_CACHE_BYTES``: whole bytes, or a number with K, M or G (binary), at most 64G.

    >>> _cache_bytes("32M"), _cache_bytes("512k"), _cache_bytes(None), _cache_bytes(0)
    (33554432, 524288, 33554432, 0)
    >>> _cache_bytes("32MB")
    Traceback (most recent call last):
    ...
    hmis_schedule.web.settings.ConfigError: HMIS_CACHE_BYTES: expected whole bytes or a number with K, M or G (such as 33554432 or 32M; 0 turns caching off; at most 64G), got '32MB'
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_CACHE_BYTES
    match = _BYTES.match(str(value).strip()) if not isinstance(value, bool | float) else None
    size = int(match[1]) * _UNITS[match[2].upper()] if match else -1
    if not 0 <= size <= 64 * 1024**3:
        raise ConfigError(
            "HMIS_CACHE_BYTES: expected whole bytes or a number with K, M or G (such as 33554432 or 32M; "
            f"0 turns caching off; at most 64G), got {value!r}"
        )
    return size


def _seconds(value: object, name: str, *, default: float, most: float = 3600) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        seconds = float(value) if isinstance(value, str | int | float) and not isinstance(value, bool) else -1.0
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= most:  # also refuses nan
        raise ConfigError(f"{name}: expected seconds from 0 to {most:g}, such as 1 or 0.5, got {value!r}")
    return seconds
