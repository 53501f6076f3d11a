"""The application factory: settings checked once, then each part wired by its own ``init_app``.

Read :func:`create_app` as the web layer's table of contents.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from flask import Flask, request

from hmis_schedule.redact import guard

from . import admin, api, cache, errors, feeds, middleware, pages, sources, templating
from .settings import ConfigError, load_settings

__all__ = ["HmisFlask", "app_from_environment", "create_app"]

APP_LOGGERS = (
    "hmis_schedule",
    errors.log.name,
    sources.log.name,
    "hmis_schedule.follow",
    "hmis_schedule.source",
    "hmis_schedule.audit",
)
"""The loggers the app writes to (besides Flask's ``app.logger``), each guarded by :func:`~hmis_schedule.redact.guard`."""


class HmisFlask(Flask):
    """Flask, whose last-resort log of an exception is one redacted line (:func:`.errors.log_failure`).

    Flask's own writes ``Exception on <path>`` and the traceback for every
    request, the path unredacted; it is only reached if an error handler fails.
    """

    def log_exception(
        self, exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None]
    ) -> None:
        """Log the exception Flask could not hand to an error handler, in one line."""
        if exc_info[1] is not None:
            errors.log_failure(f"{request.method} {request.path}", exc_info[1])


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from the environment, overlaid with ``config``.

    Parameters
    ----------
    config:
        Settings that win over the environment: any of
        :data:`~hmis_schedule.web.settings.ENVIRONMENT`, ``NOW`` (a callable
        returning an aware datetime) and Flask's own.

    Returns
    -------
    The Flask app; its schedule's source is ``app.extensions["hmis"]``.

    Raises
    ------
    ConfigError
        For a bad setting or schedule file; the one-line message names the
        variable, the file and the field.

    >>> client = create_app({"HMIS_BASE_URL": "https://example.org"}).test_client()
    >>> client.get("/healthz").json["status"]
    'ok'
    """
    settings = load_settings(config)
    app = HmisFlask(__name__, static_folder=str(templating.STATIC), template_folder=str(templating.TEMPLATES))
    app.config.update(settings.public_config())  # never the secret key or the join URL
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = settings.cache_max_age
    app.url_map.merge_slashes = False  # /sessions/%2F0.ics is a 404, not a redirect to another uid
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    guard(logging.getLogger("werkzeug"))  # the development server's request lines
    guard(app.logger, *(logging.getLogger(name) for name in APP_LOGGERS))  # a filter only sees its own records
    sources.init_app(app, settings)
    cache.init_app(app, settings)
    templating.init_app(app)
    errors.init_app(app)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    admin.init_app(app, settings)  # /admin: only with a schedule file and a secret key
    middleware.init_app(app, sources.schedule_source_of(app), settings)
    return app


def app_from_environment() -> Flask:
    """The app configured by the environment alone, for WSGI servers.

    A bad setting prints one line and exits with status 3, gunicorn's "worker
    failed to boot", so gunicorn stops at once instead of retrying.
    """
    try:
        return create_app()
    except ConfigError as err:
        print(f"hmis-schedule: cannot start: {err}", file=sys.stderr)
        raise SystemExit(3) from None
