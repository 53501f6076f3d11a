"""Gunicorn settings for ``make serve`` and the README's commands: the package's own, re-exported.

The settings live in :mod:`hmis_schedule.web.gunicorn_config`, so an
installed wheel has them too: ``gunicorn --config
python:hmis_schedule.web.gunicorn_config server:app`` works in any folder.
"""

from hmis_schedule.web.gunicorn_config import (
    RedactingLogger,
    forwarded_allow_ips,
    forwarder_headers,
    logger_class,
    post_worker_init,
    preload_app,
    secure_scheme_headers,
    threads,
    when_ready,
    worker_class,
)

__all__ = [
    "RedactingLogger",
    "forwarded_allow_ips",
    "forwarder_headers",
    "logger_class",
    "post_worker_init",
    "preload_app",
    "secure_scheme_headers",
    "threads",
    "when_ready",
    "worker_class",
]
