"""The app's live inputs: the schedule, and the private feeds' secrets and revocations, wired from the settings.

The sources themselves are the library's (:mod:`hmis_schedule.source`,
:mod:`hmis_schedule.access`); this module builds them from the settings,
turns their start-up errors into :class:`~hmis_schedule.web.settings.ConfigError`
naming the variable, logs once whether private feeds are on, and hands them
to the routes and middleware.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC
from pathlib import Path
from typing import TypedDict, cast

from flask import Flask, current_app

from hmis_schedule import Schedule
from hmis_schedule.access import PrivateFeeds
from hmis_schedule.errors import ScheduleError, one_line
from hmis_schedule.follow import FileFollower, Readable
from hmis_schedule.private import (
    SECRET_KEY_ENV,
    SECRETS_FILE_ENV,
    TEAMS_URL_ENV,
    Secrets,
    load_secrets,
    secrets_file_parser,
)
from hmis_schedule.source import Fixed, Loaded, Source, schedule_source, state_source
from hmis_schedule.state import STATE_FILE_ENV, state_path

from .settings import ConfigError, Settings

__all__ = [
    "current_source",
    "init_app",
    "loaded",
    "private_feeds",
    "schedule_source_of",
    "settings",
    "state_file",
]

log = logging.getLogger("hmis_schedule.server")


def init_app(app: Flask, settings: Settings) -> None:
    """Build the schedule's source and the private feeds from ``settings`` and keep them on ``app``.

    Raises
    ------
    ConfigError
        For a missing or invalid schedule, secrets or state file, naming the variable.
    """
    app.extensions["hmis_settings"] = settings
    app.extensions["hmis"] = _schedule(settings)
    app.extensions["hmis_private"] = _private_feeds(settings)


def settings() -> Settings:
    """The current app's settings."""
    found: Settings = current_app.extensions["hmis_settings"]
    return found


def schedule_source_of(app: Flask) -> Source[Loaded]:
    """The source of ``app``'s schedule."""
    source: Source[Loaded] = app.extensions["hmis"]
    return source


def current_source() -> Source[Loaded]:
    """The source of the current app's schedule."""
    return schedule_source_of(current_app)


def loaded() -> Loaded:
    """The schedule to serve now, with its version."""
    return schedule_source_of(current_app).value


def private_feeds() -> PrivateFeeds | None:
    """The current app's private feeds, or ``None`` when they are off."""
    feeds: PrivateFeeds | None = current_app.extensions["hmis_private"]
    return feeds


def _schedule(settings: Settings) -> Source[Loaded]:
    value = settings.given.get("HMIS_SCHEDULE")
    if isinstance(value, Readable):
        return cast("Source[Loaded]", value)  # a source given in code
    if value is not None and not isinstance(value, Schedule | str | os.PathLike):
        raise ConfigError(f"HMIS_SCHEDULE: expected a file name, got {value!r}")
    state = _state_path(settings) if isinstance(value, str | os.PathLike) and str(value) else None
    try:
        return schedule_source(
            value, **_following(settings), logger=log, state=state, now=lambda: settings.now(UTC)
        )
    except ScheduleError as err:
        name = STATE_FILE_ENV if err.source and state is not None and Path(err.source) == state else "HMIS_SCHEDULE"
        raise ConfigError(f"{name}: {one_line(err)}") from None


class _Following(TypedDict):
    interval: float
    settle: float
    monotonic: Callable[[], float] | None
    wall: Callable[[], float] | None


def _following(settings: Settings) -> _Following:
    """How files are followed: the look interval, the settle time and the clocks (see :mod:`hmis_schedule.follow`)."""
    return _Following(
        interval=settings.reload_interval,
        settle=settings.reload_settle,
        monotonic=settings.monotonic,
        wall=settings.wall_clock,
    )


def _private_feeds(settings: Settings) -> PrivateFeeds | None:
    """Private feeds from the settings, or ``None`` (logged once) when the key or the join URL is missing."""
    given = settings.given
    try:
        secrets = load_secrets(given)
    except ScheduleError as err:
        prefix = f"{SECRETS_FILE_ENV}: " if err.source else ""
        raise ConfigError(prefix + one_line(err)) from None
    if not secrets.private_feeds:
        missing = [
            name for name, value in ((SECRET_KEY_ENV, secrets.secret_key), (TEAMS_URL_ENV, secrets.teams_url))
            if value is None
        ]
        log.warning("private feeds are off (%s not set): private links answer 404", " and ".join(missing))
        return None
    followed: Source[Secrets] = Fixed(secrets)
    if secrets.source:
        try:
            followed = FileFollower(
                secrets.source,
                secrets_file_parser(given),
                **_following(settings),
                name="secrets file",
                logger=log,
            )
        except ScheduleError as err:
            raise ConfigError(f"{SECRETS_FILE_ENV}: {one_line(err)}") from None
    path = _state_path(settings)
    if path is None:
        log.warning("private feeds are on; links cannot be revoked: no schedule file or HMIS_STATE_FILE")
        return PrivateFeeds(followed, None)
    try:
        state = state_source(path, **_following(settings), logger=log)
    except ScheduleError as err:
        raise ConfigError(f"{STATE_FILE_ENV}: {one_line(err)}") from None
    log.info("private feeds are on; revoked links are read from %s", path)
    return PrivateFeeds(followed, state)


def state_file(settings: Settings) -> Path | None:
    """The state file the settings name: ``HMIS_STATE_FILE``, else beside the schedule file, else ``None``."""
    return _state_path(settings)


def _state_path(settings: Settings) -> Path | None:
    """``HMIS_STATE_FILE``, else the state file beside the schedule file, else ``None``."""
    value = settings.given.get(STATE_FILE_ENV)
    if value:
        return Path(str(value))
    schedule_file = settings.given.get("HMIS_SCHEDULE")
    if isinstance(schedule_file, str | os.PathLike) and str(schedule_file):
        return state_path(schedule_file)
    return None
