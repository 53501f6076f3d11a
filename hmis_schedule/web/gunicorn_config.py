"""Gunicorn settings for hmis-schedule: no private-feed token in any log line; the app loaded once.

``hmis-schedule serve`` passes this module to gunicorn as
``--config python:hmis_schedule.web.gunicorn_config`` (the top-level
``gunicorn.conf.py`` of a checkout re-exports it, for ``make serve``). Pass
it the same way in any other deployment that serves private feeds.

A private link's token is its password. Gunicorn writes the request line in
its access log and the request URI in its error log when a request fails;
:class:`RedactingLogger` runs every line of both through
:func:`hmis_schedule.redact.redact`, so ``/private/<token>/calendar.ics``
is logged as ``/private/[redacted]``, whatever the access log format. The
app's own log (``hmis_schedule``: file reloads, private feeds on or off)
goes to gunicorn's error log, redacted the same way.
"""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from hmis_schedule.redact import guard


class RedactingLogger(Logger):  # type: ignore[misc]
    """Gunicorn's logger with private-feed tokens taken out of the error and access logs."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, send the app's log to the error log, and guard them all."""
        super().setup(cfg)
        app = logging.getLogger("hmis_schedule")
        app.handlers = list(self.error_log.handlers)
        app.setLevel(self.loglevel)
        app.propagate = False
        guard(self.error_log, self.access_log, app)


logger_class = RedactingLogger

# Load the app once, in the master, before the workers start: a bad setting or
# schedule file stops gunicorn with one line instead of workers failing one by
# one, start-up notes ("private feeds are off") are logged once, and workers
# share the loaded code. Nothing needs a reload signal: the app follows its
# schedule, state and secrets files by itself (hmis_schedule.follow).
preload_app = True
