"""Gunicorn settings for hmis-schedule: no private-feed token in any log line; the app loaded once; threaded workers.

``hmis-schedule serve`` passes this module to gunicorn as
``--config python:hmis_schedule.web.gunicorn_config`` (the top-level
``gunicorn.conf.py`` of a checkout re-exports it, for ``make serve``). Pass
it the same way in any other deployment that serves private feeds.

A private link's token is its password. Gunicorn writes the request line in
its access log and the request URI in its error log when a request fails;
:class:`RedactingLogger` runs every line of both through
:func:`hmis_schedule.redact.redact`, so ``/private/<token>/calendar.ics``
is logged as ``/private/[redacted]``, whatever the access log format and
the path's percent-encoding. The app's own log (``hmis_schedule``: file
reloads, private feeds on or off, failures) goes to gunicorn's error log,
redacted the same way.

Gunicorn itself believes no forwarded header (``forwarded_allow_ips`` empty,
no ``secure_scheme_headers``, no ``forwarder_headers``; by default it takes
``X-Forwarded-Proto``/``-Ssl`` from loopback clients): the app alone decides
what a proxy's headers mean, by ``HMIS_TRUST_PROXY``
(:mod:`hmis_schedule.web.origin`), so there is one place to get it right.

:func:`when_ready` warns once, in the master, when ``HMIS_BASE_URL`` is not
set and gunicorn listens beyond the loopback interface: links then come from
each request's Host header.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
from collections.abc import Iterable
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
        guard(self.error_log, self.access_log, app, logging.getLogger("gunicorn.http.wsgi"))


logger_class = RedactingLogger

# Load the app once, in the master, before the workers start: a bad setting or
# schedule file stops gunicorn with one line instead of workers failing one by
# one, start-up notes ("private feeds are off") are logged once, and workers
# share the loaded code. Nothing needs a reload signal: the app follows its
# schedule, state and secrets files by itself (hmis_schedule.follow).
preload_app = True

# Gunicorn believes no client's forwarded headers; the app decides (HMIS_TRUST_PROXY).
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
forwarder_headers = ""


def exposed(addresses: Iterable[object]) -> list[str]:
    """The addresses among ``addresses`` (sockets' ``getsockname()``) reachable from beyond this machine.

    A Unix socket (a path) and loopback addresses are not; ``0.0.0.0`` is.

    >>> exposed([("127.0.0.1", 8000), ("::1", 8000, 0, 0), "/run/hmis.sock", ("0.0.0.0", 80)])
    ['0.0.0.0:80']
    """
    found = []
    for address in addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            host = str(address[0])
            try:
                if ipaddress.ip_address(host).is_loopback:
                    continue
            except ValueError:
                pass  # a name: count it as exposed
            found.append(f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}")
    return found


def when_ready(server: Any) -> None:
    """Warn once, in the master, when links come from the Host header of requests from beyond this machine."""
    app = getattr(getattr(server, "app", None), "callable", None)  # preloaded
    settings = getattr(app, "extensions", {}).get("hmis_settings")
    base_url = settings.base_url if settings is not None else os.environ.get("HMIS_BASE_URL", "").strip()
    if base_url:
        return
    listening = exposed(listener.getsockname() for listener in server.LISTENERS)
    if listening:
        server.log.warning(
            "HMIS_BASE_URL is not set and gunicorn listens on %s, beyond this machine: links on pages "
            "and in feeds are built from each request's Host header (checked, but chosen by the client). "
            "Set HMIS_BASE_URL to the public address, such as https://hmis-training.example.org.",
            ", ".join(listening),
        )


# Threaded workers. Rendering a window no one asked for costs tens of
# milliseconds of CPU; in a sync worker every other request waits behind it.
# In a gthread worker it holds one thread: the app lets one render run at a
# time per worker (RENDER_SLOTS, answering 503 with Retry-After to a request
# that gets no slot within RENDER_WAIT), and cached answers, which never wait
# for a slot, are served by the other threads (bench/bench_hostile.py). A slow
# client holds a thread, not the worker.
worker_class = "gthread"
threads = 32


def post_worker_init(worker: Any) -> None:
    """Hand the GIL over every 0.5 ms (Python's default: 5 ms).

    A thread with a cached answer to send then waits at most about that long
    for a thread that is rendering, instead of up to 5 ms at each of its turns.
    """
    sys.setswitchinterval(0.0005)
